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


# -- the second search: files no file rule wants and stage 1 does not summarise ------------

LOOP_TEXTS = [  # each passes vocab.page_loop_tokens; grep must list it by the loop question
    b"int f(struct page *p, int n) { while (n--) p++; }",
    b"void f(void) { struct\n  page *p = a; p += 2; }",
    b"void f(void) { struct page\n*p = a; g(p + i); }",
    b"void f(struct page **pp) { for (;;) g(pp[i]); }",
    b"x = nr_pages\n  [i];",
    b"x = req->ring_folios [idx];",
    b"n = compound_nr(p);",
    b"n = thp_nr_pages(p);",
    b"q = nth_page(p, 1);",
    b"n = 1UL << compound_order(p);",
    b"n = page_size(p) >> PAGE_SHIFT;",
    b"void f(void) { struct\tpage *p; ++p; }",
]


def _loop_listed(tmp_path, texts):
    from folint.index.tree_search import ere_escape
    from folint.prefilter import LOOP_PATTERNS, loop_words

    paths = []
    for i, text in enumerate(texts):
        (tmp_path / f"t{i}.c").write_bytes(text)
        paths.append(str(tmp_path / f"t{i}.c"))
    pattern = "|".join([ere_escape(w.decode()) for w in sorted(loop_words())] + list(LOOP_PATTERNS))
    return paths, set(grep_tree("", set(), paths=paths, pattern=pattern, strict=True))


@needs_grep
def test_the_loop_question_as_grep_asks_it_lists_every_file_page_loop_tokens_passes(tmp_path):
    from folint.prefilter import LOOP_CODE, _loop_code
    from folint.vocab import page_loop_tokens

    if _loop_code() != LOOP_CODE:  # grep_question then asks for the plain needles (safe, slower)
        pytest.skip("vocab.page_loop_tokens changed: check prefilter.LOOP_PATTERNS still follows it, "
                    "then set prefilter.LOOP_CODE to prefilter._loop_code()")
    assert all(page_loop_tokens(t) for t in LOOP_TEXTS)
    fixtures = [open(p, "rb").read() for p in FILES]
    texts = LOOP_TEXTS + [t for t in fixtures if page_loop_tokens(t)]
    (tmp_path / "loops").mkdir()
    paths, listed = _loop_listed(tmp_path / "loops", texts)
    assert listed == set(paths)
    # and it is narrower than "page": a struct page only, PAGE_SIZE, page_address() are not loops
    plain = [b"void f(void *v) { g(virt_to_page(v)); }", b"x = PAGE_SIZE;", b"p = page_address(pg);",
             b"void f(struct pagevec *pv);"]
    assert not any(page_loop_tokens(t) for t in plain)
    (tmp_path / "plain").mkdir()
    assert _loop_listed(tmp_path / "plain", plain)[1] == set()


def test_a_changed_loop_model_turns_the_loop_question_off(monkeypatch):
    from folint import prefilter

    rules = build_rules(Config(), ["FOL001"], None)
    assert prefilter.grep_question(rules)[1] is (prefilter._loop_code() == prefilter.LOOP_CODE)
    monkeypatch.setattr(prefilter, "LOOP_CODE", "something else")
    needles, loop = prefilter.grep_question(rules)
    assert not loop and b"page" in needles


PAGE_ONLY = {  # hold "page" but no folio, no loop and no other rule's needle: not read by Python
    "fs/plain.c": "void fs_plain(void *v)\n{\n\tlock_wrapper(virt_to_page(v));\n}\n",
    "drivers/size.c": "int sz(void)\n{\n\treturn PAGE_SIZE;\n}\n",
}


@needs_grep
def test_a_run_reads_no_file_only_the_tree_index_would_defer_and_finds_the_same(tmp_path, monkeypatch):
    import folint.index.collect as collect
    from folint.runner import RunOptions, run

    sys.path.insert(0, os.path.dirname(__file__))
    from test_two_stage import WRAPPERS, _kernel_tree

    files = {**WRAPPERS, **PAGE_ONLY, **{f"lib/filler{i}.c": f"int filler{i};\n" for i in range(20)}}
    del files["fs/other.c"]  # fs/plain.c, never read, is lock_wrapper()'s plain-page caller now
    top = tmp_path / "linux"
    _kernel_tree(top, files)
    for p in top.rglob("*"):
        os.utime(p, (1e9, 1e9))  # not just written: the results cache keeps them (folint.results.RACY_SECONDS)
    monkeypatch.chdir(top)
    read = []
    real = collect.read_source
    monkeypatch.setattr(collect, "read_source", lambda path, size: (read.append(path), real(path, size))[1])

    def findings(env=None, cache=None):
        if env:
            monkeypatch.setenv(grep_prepass.OFF_ENV, "1")
        else:
            monkeypatch.delenv(grep_prepass.OFF_ENV, raising=False)
        read.clear()
        result = run(["."], Config(), RunOptions(jobs=1, simulate=True, show_refuted=True, cache=cache is not None,
                                                 cache_dir=cache))
        assert not result.errors, [str(e) for e in result.errors]
        return sorted((f.code, f.path, f.line, f.function, f.message, str(f.verdict)) for f in result.findings), \
            result.index_stats

    without, stats_off = findings(env=True)
    assert {os.path.normpath(p) for p in read} >= set(PAGE_ONLY)
    cold, stats = findings(cache=str(tmp_path / "cache"))
    assert not {os.path.normpath(p) for p in read} & set(PAGE_ONLY)  # grep stood in for them
    assert cold == without and stats["deferred"] == stats_off["deferred"]
    assert stats["named"] >= 1  # fs/plain.c, deferred unread, named lock_wrapper and was parsed in stage 2
    assert not any(f[3] == "lock_wrapper" for f in cold)  # its plain-page caller was seen
    assert any(f[3] == "mark_wrapper" for f in cold)
    warm, _ = findings(cache=str(tmp_path / "cache"))
    assert warm == cold and read == []


class _Rule:
    """A stand-in for a Rule: only what the prefilter reads."""

    def __init__(self, needles=(), gate=(), loops=False):
        self.needles, self.gate, self.uses_page_loops = needles, gate, loops


def test_covering_needles_take_the_set_already_asked_for():
    from folint.prefilter import covering_needles

    gated = _Rule(needles=(b"count_vm_event", b"_node_state"), gate=(b"folio",))
    plain = _Rule(needles=(b"folio",))
    # the gate is covered by the other rule's needle: the ten needles are not asked for
    assert covering_needles([gated, plain]) == {b"folio"}
    # alone, the set of fewest strings; on a tie the narrowest (the needles)
    assert covering_needles([gated]) == {b"folio"}
    assert covering_needles([_Rule(needles=(b"kmap",), gate=(b"folio",))]) == {b"kmap"}
    # what the caller searches anyway counts as asked for, and is in the result
    assert covering_needles([_Rule(needles=(b"kmap",), gate=(b"folio",))], also=(b"page", b"folio")) \
        == {b"page", b"folio"}
    # a needle holding an asked-for one is covered by it (a text with '->page' holds 'page')
    assert covering_needles([_Rule(needles=(b"->page",), gate=(b"x",))], also=(b"page",)) == {b"page"}
    assert covering_needles([_Rule()]) is None


@pytest.mark.parametrize("select", [["FOL008"], ["FOL012"], ["FOL013"], ["FOL002"], None])
def test_every_rule_set_covers_what_the_prefilter_passes(select):
    """covering_needles' choice keeps the guarantee for single rules and all of them."""
    from folint.prefilter import covering_needles

    rules = build_rules(Config(), select, None)
    for summaries in (False, True):
        needles = covering_needles(rules, also=(b"page", b"folio") if summaries else ())
        for path in _passed(rules, summaries):
            raw = open(path, "rb").read()
            assert b"\0" in raw or any(n in raw for n in needles), path


def test_vocabulary_answers_as_one_search_per_needle(monkeypatch):
    """One Aho-Corasick pass gives what a search per needle gives, overlapping needles
    and needles at the text's ends too; without ahocorasick_rs the same."""
    import builtins

    from folint.prefilter import Vocabulary

    needles = [b"kmap", b"kmap_local", b"map_lo", b"->page", b"zero_user", b"end", b"absent_one", b"page"]
    texts = [b"kmap_local_folio(f, 0); zero_user(p, 0, 10); the end", b"", b"x->page", b"page only"]
    expected = [{n: n in t for n in set(needles) - Vocabulary.COMMON} for t in texts]
    with_ac = Vocabulary(needles)
    assert with_ac._automaton is not None
    assert [with_ac.search(t, {}) for t in texts] == expected
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name))
                        if name == "ahocorasick_rs" else real_import(name, *a, **k))
    without = Vocabulary(needles)
    assert without._automaton is None
    assert [without.search(t, {}) for t in texts] == expected


def test_primed_scan_gives_the_rules_the_same_files():
    """wanted_rules primes the scan with the rules' vocabulary; a scan that searches
    each needle on its own passes the same rules for every fixture."""
    from folint.prefilter import ByteScan

    class OneByOne(ByteScan):
        __slots__ = ()

        def prime(self, vocabulary):
            pass

    rules = build_rules(Config(), None, None)
    for path in FILES:
        raw = open(path, "rb").read()
        assert wanted_rules(ByteScan(raw), rules) == wanted_rules(OneByOne(raw), rules), path
