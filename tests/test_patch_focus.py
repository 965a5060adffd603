"""Issue 14, part 12: check-patch checks only the functions a patch touches (a focus,
``SourceFile.focused``) and parses each text of a series once.  The results must be
those of the whole check: here a focused check is compared with the whole one on every
C fixture, and check-patch with the whole-file algorithm it replaced on the patch
fixtures and on a generated long series of random edits."""

import random

import pytest

import folint.patch.series as series
from conftest import FIXTURES
from folint.checker import check_source
from folint.cli import main
from folint.config import Config
from folint.enums import Verdict
from folint.index.patch import summaries_of
from folint.patch.compare import in_touched, unmatched
from folint.patch.touched import touched_functions
from folint.selection import build_rules
from folint.source import SourceFile
from snapshot import scrub

C_FIXTURES = sorted(p for p in FIXTURES.rglob("*.c") if "patches" not in p.parts)


def _seen(findings):
    return sorted((f.code, f.line, f.column, f.end_line, f.end_column, f.function, f.message, f.statement,
                   f.verdict, f.evidence) for f in findings)


@pytest.mark.parametrize("simulate", [False, True], ids=["rules", "simulated"])
def test_a_focused_check_finds_in_its_functions_what_the_whole_check_finds(simulate):
    rules = build_rules(Config())
    compared = found = 0
    for path in C_FIXTURES:
        raw = path.read_bytes()
        whole = check_source(str(path), raw, rules, simulate=simulate)
        src = SourceFile(str(path), raw)
        names = {fn.name for fn in src.all_functions}
        for name in names:
            focused = check_source(str(path), raw, rules, simulate=simulate, src=src, focus={name})
            assert focused.parsed == whole.parsed
            assert _seen(focused.findings) == _seen(f for f in whole.findings if f.function == name), (path, name)
            compared += 1
            found += len(focused.findings)
        # outside every function: what no focus narrows
        assert _seen(check_source(str(path), raw, rules, src=src, focus=set()).findings) == \
            _seen(f for f in check_source(str(path), raw, rules).findings if f.function is None), path
    assert compared > 200 and found > 100  # the fixtures hold many functions and findings


def test_a_focus_narrows_what_the_rules_iterate_not_what_they_look_up():
    src = SourceFile("x.c", b"static int a(void) { return 1; }\nint b(void) { return a(); }\n")
    view = src.focused({"b"})
    assert [f.name for f in view.functions] == ["b"] and [f.name for f in view.all_functions] == ["a", "b"]
    assert view.all_functions[0] is src.all_functions[0]  # shared, not parsed again
    assert view.function_at(src.all_functions[0].body).name == "a"
    assert [f.name for f in src.functions] == ["a", "b"]  # the file itself is not narrowed


# -- check-patch against the whole-file algorithm it replaced ----------------------------

def _whole_file_introduced(path, pre, post, added, gaps, settings, last=None):
    """The algorithm before the focus: the whole file checked before and after."""
    out = series._Introduced()
    after = check_source(path, post, settings.rules, simulate=settings.simulate)
    out.errors, out.parsed = after.errors, after.parsed
    if not after.findings or not (added or gaps):
        return out
    touched = touched_functions(SourceFile(path, post), added, gaps)
    before = check_source(path, pre, settings.rules).findings if pre else []
    candidates = in_touched(unmatched(before, after.findings, added), touched, added)
    out.refuted = sum(f.verdict == Verdict.REFUTED for f in candidates)
    out.findings = candidates if settings.show_refuted else [f for f in candidates if f.verdict != Verdict.REFUTED]
    return out


class _Unkept:
    """Tree-index summaries made again for every image, as before."""

    def __init__(self, root, last):
        self._root = root

    def __call__(self, files, errors):
        return summaries_of(files, errors)


def _both(monkeypatch, capsys, argv):
    """check-patch's (exit, stdout, stderr): as it is, then with the whole-file algorithm."""
    got = []
    for whole in (False, True):
        with monkeypatch.context() as m:
            if whole:
                m.setattr(series, "introduced", _whole_file_introduced)
                m.setattr(series, "Summaries", _Unkept)
            code = main(["check-patch", "--no-cache", *argv])
            out, err = capsys.readouterr()
            got.append((code, scrub(out), scrub(err)))
    return got


@pytest.mark.parametrize("argv", [
    ["--no-simulate", "--tree", "tree", "series.mbox"],
    ["--tree", "tree", "series.mbox"],
    ["--no-simulate", "--tree", "tree", "series-lines.mbox"],
    ["--tree", "tree", "early-return.patch"],
    ["--no-simulate", "--tree", "tree", "comment-only.patch", "early-return.patch", "new-rename-binary.patch"],
    ["--no-simulate", "--tree", "tree", "plain.diff"],
    ["--no-simulate", "--no-tree", "series.mbox"],
    ["--tree", "review-6.1", "review-6.1.patch"],
], ids=lambda a: "-".join(x for x in a if not x.startswith("--") and x != "tree"))
def test_check_patch_on_the_patch_fixtures_is_what_the_whole_file_check_gave(argv, monkeypatch, capsys):
    monkeypatch.chdir(FIXTURES / "patches")
    new, old = _both(monkeypatch, capsys, argv)
    assert new == old


def _mail(n: int, before: list[str], after: list[str]) -> str:
    import difflib

    diff = "".join(difflib.unified_diff(before, after, "a/s.c", "b/s.c", n=3))
    return (f"From {n:040x} Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\nSubject: [PATCH] edit {n}\n\n"
            f"---\ndiff --git a/s.c b/s.c\n{diff}\n")


def _fixture_text(rng) -> str:
    """One file made of rule fixtures (bad code and good, many functions)."""
    picked = [p for p in C_FIXTURES if "FOL0" in str(p) and not p.name.endswith(".fixed.c")]
    return "".join(p.read_text() for p in rng.sample(picked, 12))


def random_edits(rng, lines: list[str], n: int):
    """``n`` random edits of ``lines``, each on what the previous one left: lines copied
    from elsewhere in the file (which can bring a finding into another function, or a
    call, or a whole function), deleted or swapped.  Yields each new list of lines."""
    for _ in range(n):
        new = list(lines)
        for _ in range(rng.choice((1, 1, 2, 3))):
            at = rng.randrange(len(new))
            what = rng.random()
            if what < 0.45:
                src = rng.randrange(len(new))
                new[at:at] = new[src:src + rng.choice((1, 1, 2, 4))]
            elif what < 0.8 and len(new) > 10:
                del new[at:at + rng.choice((1, 1, 3))]
            else:
                i, j = sorted(rng.sample(range(len(new)), 2))
                new[i], new[j] = new[j], new[i]
        if new != lines:
            yield new
            lines = new


def random_series(tmp_path, n: int, seed: int) -> str:
    """A tree with one file made of rule fixtures and a mailbox of ``n`` patches of
    ``random_edits`` on it; a few are sent twice (one note, their findings once)."""
    rng = random.Random(seed)
    text = _fixture_text(rng)
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "s.c").write_text(text)
    lines = text.splitlines(keepends=True)
    mails = []
    for k, new in enumerate(random_edits(rng, lines, n)):
        mails.append(_mail(k, lines, new))
        if rng.random() < 0.05:
            mails.append(mails[-1])
        lines = new
    (tmp_path / "series.mbox").write_text("".join(mails))
    return str(tmp_path / "series.mbox")


@pytest.mark.parametrize("seed,n,simulate", [(1, 30, False), (3, 15, True)])
def test_a_long_random_series_gives_what_the_whole_file_check_gave(seed, n, simulate, tmp_path, monkeypatch, capsys):
    mbox = random_series(tmp_path, n, seed)
    new, old = _both(monkeypatch, capsys, [*([] if simulate else ["--no-simulate"]), "--tree", str(tmp_path / "tree"),
                                           mbox])
    assert new == old
    code, out, _err = new
    assert out.count("introduced by:") >= 3, out  # the edits did bring findings in


@pytest.mark.parametrize("seed", [4, 5])
def test_a_summary_made_with_the_memo_of_the_last_one_is_the_whole_summary(seed, monkeypatch):
    import folint.index.summary as summary

    rng = random.Random(seed)
    lines = _fixture_text(rng).splitlines(keepends=True)
    texts = ["".join(lines).encode(), *("".join(new).encode() for new in random_edits(rng, lines, 40))]
    assert len(texts) > 30
    memo: dict = {}
    looked_at = []
    real = summary._definition
    monkeypatch.setattr(summary, "_definition", lambda src, fn: looked_at.append(fn.name) or real(src, fn))
    functions = 0
    for text in texts:
        src = SourceFile("s.c", text)
        with monkeypatch.context() as m:
            m.setattr(summary, "_definition", real)
            whole = summary.summarise(SourceFile("s.c", text))
        assert summary.summarise(src, memo) == whole
        assert len(memo) == len(src.all_functions) or len({f.name for f in src.all_functions}) < len(src.all_functions)
        functions += len(src.all_functions)
    # the first text in full, then the functions each patch changed (a random edit of
    # the file-level declarations changes the types every function's calls are read with)
    assert len(looked_at) < functions * 0.4, (len(looked_at), functions)


@pytest.mark.parametrize("edit", [("demo_8(page);", "demo_9(page);"), ("demo_8(page);", "demo_9(page);\n\tdemo_9(page);")],
                         ids=["in-place", "adds-a-line"])
def test_after_an_edit_only_the_changed_function_is_summarised_again_the_later_ones_moved(edit, monkeypatch):
    import folint.index.summary as summary

    text = "".join(f"void demo_{k}(struct page *page)\n{{\n\tput_page(page);\n\tdemo_{k + 1}(page);\n}}\n\n"
                   for k in range(20))
    memo: dict = {}
    first = summary.summarise(SourceFile("s.c", text.encode()), memo)
    looked_at = []
    real = summary._definition
    monkeypatch.setattr(summary, "_definition", lambda src, fn: looked_at.append(fn.name) or real(src, fn))
    edited = text.replace(*edit).encode()
    got = summary.summarise(SourceFile("s.c", edited), memo)
    assert looked_at == ["demo_7"]
    with monkeypatch.context() as m:
        m.setattr(summary, "_definition", real)
        assert got == summary.summarise(SourceFile("s.c", edited)) != first


_KEYWORDS = frozenset("auto break case char const continue default do double else enum extern float for goto if "
                      "inline int long register return short signed sizeof static struct switch typedef union "
                      "unsigned void volatile while bool".split())


def code_edits(rng, text: str, n: int):
    """``n`` random edits that keep C's syntax (a name put for another, a number
    changed, a function copied, dropped or moved, a statement line copied after
    another): what most patches are.  Yields each new text."""
    import re

    for _ in range(n):
        what = rng.random()
        fns = [(f.node.start_byte, f.node.end_byte) for f in SourceFile("s.c", text.encode()).all_functions]
        raw = text.encode()
        if what < 0.3:
            names = [m for m in re.finditer(rb"\b[a-z_]\w*\b", raw) if m.group().decode() not in _KEYWORDS]
            m, other = rng.choice(names), rng.choice(names).group()
            raw = raw[:m.start()] + other + raw[m.end():]
        elif what < 0.45:
            nums = list(re.finditer(rb"\b\d+\b", raw)) or [re.search(rb"$", raw)]
            m = rng.choice(nums)
            raw = raw[:m.start()] + str(rng.randrange(100)).encode() + raw[m.end():]
        elif what < 0.7 and len(fns) > 2:
            (a, b), (c, _d) = rng.sample(fns, 2)
            body = raw[a:b] + b"\n\n"
            if rng.random() < 0.4:  # copied before another
                raw = raw[:c] + body + raw[c:]
            elif c > b:  # moved after another
                raw = raw[:a] + raw[b:c] + body + raw[c:]
            else:  # dropped
                raw = raw[:a] + raw[b:]
        else:
            lines = raw.splitlines(keepends=True)
            stmts = [i for i, ln in enumerate(lines) if ln.startswith(b"\t") and ln.rstrip().endswith(b";")]
            if stmts:
                i, j = rng.choice(stmts), rng.choice(stmts)
                lines[j + 1:j + 1] = [lines[i]]
            raw = b"".join(lines)
        if raw.decode() != text:
            text = raw.decode()
            yield text


@pytest.mark.parametrize("seed", [6, 7])
def test_a_text_parsed_from_the_parse_before_its_edit_is_what_a_whole_parse_gives(seed):
    from folint.patch.reparse import edit_span, reparsed

    rng = random.Random(seed)
    text = _fixture_text(rng)
    before = SourceFile("s.c", text.encode())
    reused = 0
    for new in [*code_edits(rng, text, 30), *("".join(e) for e in random_edits(rng, text.splitlines(True), 10))]:
        raw = new.encode()
        got, whole = reparsed(before, "s.c", raw), SourceFile("s.c", raw)
        assert got.code == whole.code and str(got.root) == str(whole.root)
        assert [(f.name, f.node.start_byte, f.node.end_byte) for f in got.all_functions] == \
            [(f.name, f.node.start_byte, f.node.end_byte) for f in whole.all_functions]
        assert str(before.root) == str(SourceFile("s.c", before.raw).root)  # left as it was
        reused += not whole.root.has_error
        before = got
    assert reused > 20, reused  # (a tree with a syntax error is parsed afresh)
    assert edit_span(b"abcXdef", b"abcYYdef") == (3, 4, 5) and edit_span(b"aaa", b"aaaa") == (3, 3, 4)
    assert edit_span(b"same", b"same") == (4, 4, 4) and edit_span(b"ab", b"") == (0, 2, 0)
