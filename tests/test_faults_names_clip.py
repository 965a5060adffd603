"""Issue 14, parts 7 and 14: long lines are clipped in the text report; non-UTF-8 file
names are printed escaped (text, JSON, SARIF) under any locale."""

import json
import os
import subprocess
import sys

from folint.cli import main
from folint.finding import printable
from folint.reporters.text import EXCERPT, clip

LOOP = ("int demo_save(struct folio *folio)\n{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}\n")


def test_clip_keeps_short_lines_and_cuts_long_ones_around_the_column():
    assert clip("short line", 2, 3) == ("short line", 2, 3)
    line = "x" * 100_000 + "target" + "y" * 100_000
    text, start, width = clip(line, 100_000, 6)
    assert len(text) <= EXCERPT + 6 and text.startswith("...") and text.endswith("...")
    assert text[start:start + width] == "target"


def test_a_megabyte_line_with_many_findings_gives_a_small_report(tmp_path, capsys):
    calls = " ".join("unlock_page(&folio->page);" for _ in range(300))
    (tmp_path / "long.c").write_text("void demo_long(struct folio *folio)\n{\n" + " " * (1 << 20) + calls + "\n}\n")
    assert main(["--no-cache", "--no-simulate", str(tmp_path / "long.c")]) == 1
    out = capsys.readouterr().out
    assert out.count("[FOL006]") == 300 and len(out) < 300 * 1000


def _bad_tree(tmp_path):
    t = tmp_path / "t"
    t.mkdir()
    with open(os.path.join(os.fsencode(t), b"caf\xe9.c"), "w") as fh:
        fh.write(LOOP)
    return t


def test_printable_escapes_only_what_is_not_utf8():
    assert printable("café.c") == "café.c"
    assert printable(os.fsdecode(b"caf\xe9.c")) == "caf\\xe9.c"


def test_json_and_sarif_with_a_non_utf8_name_are_valid(tmp_path, capsys):
    t = _bad_tree(tmp_path)
    assert main(["--no-cache", "--no-simulate", "--format", "json", str(t)]) == 1
    data = json.loads(capsys.readouterr().out.encode("utf-8"))
    assert data["findings"][0]["path"].endswith("caf\\xe9.c")
    assert main(["--no-cache", "--no-simulate", "--format", "sarif", str(t)]) == 1
    sarif = json.loads(capsys.readouterr().out.encode("utf-8"))
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("caf%E9.c")


def test_text_under_an_ascii_locale(tmp_path):
    _bad_tree(tmp_path)
    (tmp_path / "t" / "café.c").write_text(LOOP.replace("demo_save(", "demo_other("))
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", NO_COLOR="1")
    proc = subprocess.run([sys.executable, "-m", "folint", "--no-cache", "--no-simulate", "t"], cwd=tmp_path,
                          capture_output=True, env=env, timeout=60)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    out = proc.stdout.decode("ascii")
    assert "t/caf\\xe9.c:6:3: warning:" in out and "t/caf\\xe9.c:6:3:" in out
    assert "t/caf\\xe9.c" in out and out.count("[FOL001]") == 2
