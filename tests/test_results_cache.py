"""The per-file results cache (folint/results.py): an unchanged file is not checked
again and its result is the same; a change of the file or of the settings is."""

import json
import os
import time

from conftest import FIXTURES
from folint import results, runner
from folint.cli import main

MODEL = (FIXTURES / "FOL001" / "save_tags_return.c").read_bytes()
PAST = time.time() - 3600  # older than the racy window


def _tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.c", "b.c"):
        (src / name).write_bytes(MODEL)
    (src / "plain.c").write_bytes(b"int x;\n")
    for f in src.iterdir():
        os.utime(f, (PAST, PAST))
    return src


def _run(capsys, monkeypatch, *args):
    checked = []
    real = runner._check

    def spy(path):
        checked.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(runner, "_check", spy)
    code = main([*map(str, args), "--format", "json", "--jobs", "1"])
    out = json.loads(capsys.readouterr()[0])
    out["summary"].pop("seconds")
    return code, out, sorted(checked)


def test_a_second_run_checks_no_unchanged_file_and_reports_the_same(capsys, monkeypatch, tmp_path):
    src, cache = _tree(tmp_path), tmp_path / "cache"
    first = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    second = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert first[2] == ["a.c", "b.c", "plain.c"] and second[2] == []
    assert first[0] == second[0] == 1
    assert first[1] == second[1] and len(first[1]["findings"]) == 2
    assert (cache / results.DB_NAME).exists()


def test_a_changed_file_and_changed_settings_are_checked_again(capsys, monkeypatch, tmp_path):
    src, cache = _tree(tmp_path), tmp_path / "cache"
    _run(capsys, monkeypatch, src, "--cache-dir", cache)
    (src / "b.c").write_bytes(b"int y;\n")
    os.utime(src / "b.c", (PAST + 5, PAST + 5))
    code, out, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert checked == ["b.c"]
    assert [os.path.basename(f["path"]) for f in out["findings"]] == ["a.c"]
    _, _, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache, "--no-simulate")
    assert checked == ["a.c", "b.c", "plain.c"]  # another fingerprint


def test_a_file_changed_just_now_is_not_stored(capsys, monkeypatch, tmp_path):
    """Its stat could stay the same through a second change (git's racy case)."""
    src, cache = _tree(tmp_path), tmp_path / "cache"
    (src / "a.c").write_bytes(MODEL)
    # mtime a little ahead of the clock, so a slow first run (a loaded machine) still sees the
    # file as changed within RACY_SECONDS when it takes its stat: no timing in the assertion
    ahead = time.time() + 60
    os.utime(src / "a.c", (ahead, ahead))
    _run(capsys, monkeypatch, src, "--cache-dir", cache)
    _, _, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert checked == ["a.c"]


def test_no_cache_reads_and_writes_nothing(capsys, monkeypatch, tmp_path):
    src, cache = _tree(tmp_path), tmp_path / "cache"
    _run(capsys, monkeypatch, src, "--cache-dir", cache, "--no-cache")
    assert not (cache / results.DB_NAME).exists()


def test_a_corrupt_results_database_is_moved_aside_and_started_anew(capsys, monkeypatch, tmp_path):
    src, cache = _tree(tmp_path), tmp_path / "cache"
    cache.mkdir()
    (cache / results.DB_NAME).write_bytes(b"not a database at all" * 200)
    code, out, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert checked == ["a.c", "b.c", "plain.c"] and len(out["findings"]) == 2
    assert any("results cache was not a database" in e["message"] for e in out["errors"])
    _, again, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert checked == [] and not again["errors"]


def test_a_database_another_user_wrote_is_not_read(capsys, monkeypatch, tmp_path):
    src, cache = _tree(tmp_path), tmp_path / "cache"
    _run(capsys, monkeypatch, src, "--cache-dir", cache)
    monkeypatch.setattr(results.os, "getuid", lambda: os.stat(cache / results.DB_NAME).st_uid + 1)
    _, _, checked = _run(capsys, monkeypatch, src, "--cache-dir", cache)
    assert checked == ["a.c", "b.c", "plain.c"]


def test_fact_values_fingerprint_the_same_whatever_the_set_order():
    assert results._canonical({"b": {3, 1, 2}, "a": ("x", b"y")}) == {"a": ["x", "y"], "b": [1, 2, 3]}


def test_a_verdict_cut_short_by_the_time_limit_is_not_stored():
    from folint.checker import FileResult
    from folint.finding import Finding

    f = Finding("FOL001", "n", "a.c", 1, 1, 1, 2, "f", "m", evidence="simulation incomplete: time limit (2s) reached")
    assert not results._cacheable(FileResult("a.c", findings=[f], parsed=True))
    f.evidence = "confirmed on a path"
    assert results._cacheable(FileResult("a.c", findings=[f], parsed=True))


def _tree_run(tree, cache, monkeypatch):
    """FOL003 over ``tree`` with the simulator and the cache: (findings, the findings simulated)."""
    from folint.config import Config
    from folint.index import verify
    from folint.runner import RunOptions, run

    judged = []
    real = verify._verify

    def spy(findings, *args):
        judged.extend((f.path, f.line) for f in findings)
        return real(findings, *args)

    monkeypatch.setattr(verify, "_verify", spy)
    done = run([str(tree)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, cache=True,
                                                 cache_dir=str(cache)))
    return [(f.path, f.line, f.message, f.verdict, f.evidence, f.trace) for f in done.findings], judged


def test_a_warm_run_takes_the_verdicts_of_tree_findings_judged_on_the_same_bytes(monkeypatch, tmp_path):
    import shutil

    from conftest import FIXTURES

    tree, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(FIXTURES / "FOL003", tree)
    cold, judged = _tree_run(tree, cache, monkeypatch)
    assert len(judged) == len(cold) > 2 and {f[3] for f in cold} - {"unverified"}
    warm, judged = _tree_run(tree, cache, monkeypatch)
    assert warm == cold and judged == []
    # one file changes (a comment): only the findings simulated on it are judged again
    changed = cold[0][0]
    with open(changed, "a") as f:
        f.write("/* changed */\n")
    again, judged = _tree_run(tree, cache, monkeypatch)
    assert again == cold and 0 < len(judged) < len(cold)
    assert {(p, line) for p, line, *_ in cold if p == changed} <= set(judged)
