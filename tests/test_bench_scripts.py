"""The bench scripts run on this checkout (a rename inside folint once broke one silently):
each is run on a small folder of fixtures, where a real tree is not needed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_parse_errors_runs_on_the_fixtures():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "parse_errors.py"), str(ROOT / "fixtures" / "FOL001")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kernelized:" in done.stdout and "function definitions" in done.stdout


def test_index_compare_finds_the_two_indexes_agree_on_the_fol003_fixtures():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "index_compare.py"), str(ROOT / "fixtures" / "FOL003"),
                           "--jobs", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identical (place, message, verdict, evidence): yes" in done.stdout
    counts = done.stdout.split("full index: ")[1].split(" findings")[0]
    assert int(counts) > 0  # the fixtures hold FOL003 findings: an empty comparison proves nothing


def test_index_compare_says_so_for_a_missing_tree(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "index_compare.py"), str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a folder" in done.stderr and "Traceback" not in done.stderr


def test_floor_measures_the_parse_of_a_folder_of_fixtures(tmp_path):
    # a folder of fixtures stands for a tree: the parses it records must be the run's (more than none)
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    for src in sorted((ROOT / "fixtures" / "FOL001").glob("*.c"))[:3]:
        (tree / "mm" / src.name).write_bytes(src.read_bytes())
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "floor.py"), str(tree), "--parts", "mm", "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(line.split() for line in done.stdout.splitlines() if line.startswith("mm "))
    parsed, read_mb, parse_cpu = int(row[1]), float(row[2]), float(row[3])
    assert parsed >= 1 and read_mb > 0 and parse_cpu >= 0  # three small files may parse in under a millisecond
    assert "budget (a folder, issue 12)" in done.stdout
    assert sorted(p.name for p in (tree / "mm").iterdir()) == sorted(
        p.name for p in sorted((ROOT / "fixtures" / "FOL001").glob("*.c"))[:3])  # nothing written into the tree


def test_floor_says_so_for_a_missing_part(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "floor.py"), str(tmp_path), "--parts", "mm"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a folder" in done.stderr and "Traceback" not in done.stderr
