"""The GNU grep pre-pass (folint/grep_prepass.py): it lists every file the Python
prefilter (or the tree index) would pass, so the findings are the same with it, without
it (FOLINT_NO_GREP=1) and without grep on PATH; odd file names survive it."""

import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES
from folint import grep_prepass
from folint.config import Config
from folint.index.collect import wants_summary
from folint.index.targeted import _gnu_grep
from folint.index.tree_search import grep_tree
from folint.prefilter import ByteScan, wanted_rules
from folint.selection import build_rules

needs_grep = pytest.mark.skipif(_gnu_grep() is None, reason="needs GNU grep")
FILES = sorted(str(p) for p in FIXTURES.rglob("*") if p.suffix in (".c", ".h") and p.is_file())


def _passed(rules, summaries: bool) -> set[str]:
    """The files the Python path reads for more than counting."""
    out = set()
    for path in FILES:
        raw = open(path, "rb").read()
        scan = ByteScan(raw.replace(b"\0", b" "))
        if wanted_rules(scan, rules) or (summaries and wants_summary(scan)) or b"\0" in raw:
            out.add(path)
    return out


@needs_grep
@pytest.mark.parametrize("select", [None, ["FOL001"], ["FOL013"], ["FOL003"]])
def test_grep_lists_every_file_the_prefilter_passes(select):
    rules = build_rules(Config(), select, None)
    for summaries in (False, True):
        names = grep_prepass.needles_for(rules, summaries)
        assert names is not None
        listed = set(grep_tree("", names, paths=FILES, word=False, strict=True))
        passed = _passed(rules, summaries)
        assert passed and passed <= listed


def _json(args, env=None):
    done = subprocess.run([sys.executable, "-m", "folint", "--no-cache", "--format", "json", *args],
                          capture_output=True, env={**os.environ, **(env or {})})
    out = json.loads(done.stdout)
    out["summary"].pop("seconds")
    return done.returncode, out


@needs_grep
def test_findings_the_same_with_and_without_the_prepass_and_without_grep(tmp_path):
    with_grep = _json([str(FIXTURES)])
    off = _json([str(FIXTURES)], {"FOLINT_NO_GREP": "1"})
    empty = tmp_path / "bin"
    empty.mkdir()
    no_grep = _json([str(FIXTURES)], {"PATH": str(empty)})
    assert with_grep == off == no_grep
    assert with_grep[1]["findings"]


@needs_grep
def test_odd_file_names_and_needle_free_files(tmp_path, capsys):
    src = tmp_path / "odd dir"
    src.mkdir()
    model = (FIXTURES / "FOL001" / "save_tags_return.c").read_bytes()
    (src / "with space.c").write_bytes(model)
    (src / os.fsdecode(b"bad\xffbyte\tname.c")).write_bytes(model)
    (src / "-dash.h").write_bytes(model)
    for i in range(20):
        (src / f"plain {i}.c").write_bytes(b"int x;\n")
    (src / "nul.c").write_bytes(b"int y;\0\n")  # no needle, but a NUL byte: an error line, as without grep
    files = sorted((str(p) for p in src.iterdir()), reverse=True)
    free, todo = grep_prepass.split(files, [str(src)], build_rules(Config(), None, None), Config(), summaries=True,
                                    jobs=2)
    assert todo == [p for p in files if p in todo]  # the order found: workers see the files as without grep
    assert sorted(os.path.basename(fr.path) for fr in free) == sorted(f"plain {i}.c" for i in range(20))
    assert all(fr.stat_key is not None and not fr.findings for fr in free)
    assert len(todo) == 4
    (tmp_path / "bin").mkdir()
    outs = [_json([str(src)], env) for env in ({}, {"FOLINT_NO_GREP": "1"}, {"PATH": str(tmp_path / "bin")})]
    assert outs[0] == outs[1] == outs[2]
    assert len(outs[0][1]["findings"]) == 3 and outs[0][1]["summary"]["files"] == 24
    assert any("nul.c" in e["path"] for e in outs[0][1]["errors"])


def test_files_named_on_the_command_line_keep_the_python_path(tmp_path):
    files = []
    for i in range(20):
        (tmp_path / f"p{i}.c").write_bytes(b"int x;\n")
        files.append(str(tmp_path / f"p{i}.c"))
    free, todo = grep_prepass.split(files, files, build_rules(Config(), None, None), Config(), summaries=True, jobs=1)
    assert free == [] and todo == files


@needs_grep
def test_an_oversize_file_without_needles_is_skipped_by_grep_as_the_python_path_skips_it(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / ".folint.toml").write_text("max-file-size = 64\n")
    for i in range(20):
        (src / f"plain{i}.c").write_bytes(b"int x;\n")
    (src / "big_free.h").write_bytes(b"#define REG_X 0x1\n" * 10)  # over 64, within 8x: no needle
    (src / "big_needle.h").write_bytes(b"struct folio;\n" + b"#define REG_X 0x1\n" * 10)  # error line
    (src / "huge_free.h").write_bytes(b"#define REG_X 0x1\n" * 40)  # over 8x: not scanned, error line
    files = sorted(str(p) for p in src.iterdir() if p.suffix in (".c", ".h"))
    config = Config(max_file_size=64)
    free, todo = grep_prepass.split(files, [str(src)], build_rules(config, None, None), config, summaries=True,
                                    jobs=1)
    big = [os.path.basename(fr.path) for fr in free if fr.oversize_skipped]
    assert big == ["big_free.h"] and len(free) == 21
    assert sorted(os.path.basename(p) for p in todo) == ["big_needle.h", "huge_free.h"]
    outs = [_json([str(src)], env) for env in ({}, {"FOLINT_NO_GREP": "1"})]
    assert outs[0] == outs[1]
    assert outs[0][1]["summary"]["oversize_skipped"] == 1
    assert sorted(os.path.basename(e["path"]) for e in outs[0][1]["errors"]) == ["big_needle.h", "huge_free.h"]
