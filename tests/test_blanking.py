"""The checker blanks the bodies no wanted rule can report in (``Rule.function_local``),
and that changes no finding and no verdict.

The equivalence is checked on every fixture file, with all the rules and with each
function-local rule alone (so that more files get blanked), against the same check
with blanking turned off; the whole 6.12 and 6.1 trees were compared the same way
(issue 12)."""

import dataclasses

import pytest

import folint.checker as checker
from conftest import FIXTURES
from folint.blanking import Blanked, blank_for_parse, blank_unneeded_bodies
from folint.checker import check_source
from folint.config import Config
from folint.facts.ranges import HELPERS
from folint.kernel_c.bodies import find_bodies
from folint.rule import Rule
from folint.selection import build_rules, registered_rules

RULES = build_rules(Config(), None, None)
LOCAL = [r for r in RULES if r.function_local and r.scope == "file"]
NAMED = [r for r in RULES if r.neighbours and r.scope == "file"]
FILES = sorted(p for p in FIXTURES.rglob("*.c") if not p.name.endswith(".fixed.c"))


def _seen(result):
    return [dataclasses.asdict(f) for f in result.findings], [e.message for e in result.errors]


def _blanked_bytes(raw, rules):
    got = blank_unneeded_bodies(raw, [r for r in rules])
    return 0 if got is None else sum(b.close - b.open - 1 for b in got[1])


def _both(monkeypatch, path, raw, rules):
    with_blanking = check_source(str(path), raw, rules, simulate=True)
    with monkeypatch.context() as m:
        m.setattr(checker, "blank_for_parse", lambda raw, active, keep=(): None)
        whole = check_source(str(path), raw, rules, simulate=True)
    return _seen(with_blanking), _seen(whole)


def test_the_function_local_rules():
    assert {r.code for r in LOCAL} == {"FOL001", "FOL002", "FOL004", "FOL005", "FOL006", "FOL012"}


def test_every_rule_declares_whether_it_is_function_local():
    builtin = {code: cls for code, cls in registered_rules().items() if cls.__module__.startswith("folint_rules.")}
    assert len(builtin) >= 14
    for code, cls in builtin.items():
        assert "function_local" in vars(cls), f"{code} does not say whether it is function_local"
    assert Rule.function_local is False


def test_fol012s_helpers_each_hold_one_of_its_needles():
    """What makes FOL012 function-local: the flagged call names a helper, and the name holds a needle."""
    rule = next(r for r in RULES if r.code == "FOL012")
    assert all(any(n.decode() in helper for n in rule.needles) for helper in HELPERS)


@pytest.mark.parametrize("rules", [RULES, *[[r] for r in LOCAL + NAMED]], ids=["all", *[r.code for r in LOCAL + NAMED]])
def test_findings_and_verdicts_with_blanking_equal_those_without(monkeypatch, rules):
    blanked = 0
    for path in FILES:
        raw = path.read_bytes()
        got, want = _both(monkeypatch, path, raw, rules)
        assert got == want, path
        blanked += _blanked_bytes(raw, rules)
    if len(rules) == 1:
        assert blanked > 0  # the comparison saw blanked files


GAPS = b"""\
static int unrelated(int a, int b)
{
	int i, s = 0;

	for (i = a; i < b; i++)
		s += i;
	return s;
}
"""
RANGE = b"""\
static void zero_tail(struct folio *folio, size_t offset)
{
	folio_zero_range(folio, offset, folio_size(folio));
}
"""


def test_a_blanked_file_keeps_its_finding_and_the_simulator_sees_the_whole_file(monkeypatch):
    raw = GAPS + RANGE + GAPS.replace(b"unrelated", b"other")
    rules = [r for r in RULES if r.code == "FOL012"]
    blanked, bodies = blank_unneeded_bodies(raw, rules)
    assert len(bodies) == 2 and b"s += i" not in blanked and b"folio_zero_range" in blanked
    seen = []
    import folint.sim.verify as verify

    real = verify.verify_findings

    def spy(src, findings, *a, **kw):
        seen.append(src.code)
        return real(src, findings, *a, **kw)

    monkeypatch.setattr(verify, "verify_findings", spy)
    result = check_source("t.c", raw, rules, simulate=True)
    assert [(f.code, f.line, f.function, f.verdict.value) for f in result.findings] == \
        [("FOL012", 11, "zero_tail", "confirmed")]
    assert len(seen) == 1 and b"s += i" in seen[0]  # parsed whole again for the simulator
    got, want = _both(monkeypatch, "t.c", raw, rules)
    assert got == want


def test_a_rule_that_reads_other_functions_and_says_nothing_of_how_blanks_nothing():
    raw = GAPS + RANGE
    fol012 = [r for r in RULES if r.code == "FOL012"]

    class ReadsEverything(Rule):
        code, name, summary = "X900", "reads-everything", "reads every function of the file"
        needles = (b"folio",)

        def check(self, src):
            return iter(())

    assert blank_unneeded_bodies(raw, fol012) is not None
    assert blank_unneeded_bodies(raw, fol012 + [ReadsEverything()]) is None
    tree_rule = [r for r in RULES if r.scope == "tree"]
    assert blank_unneeded_bodies(raw, fol012 + tree_rule) is not None  # a tree rule reads the index


CALLEE = b"""static bool is_small(struct x *x)
{
	return x->order == 0;
}
"""
CALLER = b"""static void caller(struct x *x)
{
	zero_tail(x->f, 0);
}
"""
CONSTANTS = b"""static int sizes(void)
{
#define LOCAL_SIZE 8
	return LOCAL_SIZE;
}
"""


def test_a_rule_reading_its_neighbours_keeps_the_callers_and_callees_it_says():
    """FOL013 (small_folio reads the callers and callees in the file): the callers of a
    body holding its needle are kept, theirs too, and the callees of all of those; another
    caller of a callee (a sibling), an unrelated body and a constant's are blanked."""
    fol013 = [r for r in RULES if r.code == "FOL013"]
    assert fol013[0].neighbours == {"callers", "callees"} and not fol013[0].function_local
    kmap = b"static void zero_tail(struct folio *f, int o)\n{\n\tif (is_small(f))\n\t\tkmap_local_folio(f, o);\n}\n"
    far = b"static void far(struct x *x)\n{\n\tcaller(x);\n}\n"
    sibling = b"static void sibling(struct x *x)\n{\n\tis_small(x);\n}\n"
    raw = GAPS + CALLEE + kmap + CALLER + far + sibling + CONSTANTS
    blanked, bodies = blank_unneeded_bodies(raw, fol013)
    assert [raw[b.start:b.open].strip().decode() for b in bodies] == [
        "static int unrelated(int a, int b)", "static void sibling(struct x *x)", "static int sizes(void)"]
    for kept in (b"x->order == 0", b"kmap_local_folio", b"zero_tail(x->f", b"caller(x)"):
        assert kept in blanked
    fol011 = [r for r in RULES if r.code == "FOL011"]
    assert fol011[0].neighbours == {"constants"}
    put = b"static void put(struct folio *folio)\n{\n\tfolio_put(folio);\n}\n"
    blanked, bodies = blank_unneeded_bodies(GAPS + put + CONSTANTS, fol011)
    assert b"#define LOCAL_SIZE 8" in blanked and b"folio_put(folio)" in blanked and b"s += i" not in blanked


def test_the_summary_keeps_the_bodies_that_mention_a_page_or_a_folio():
    raw = GAPS + RANGE
    got = blank_unneeded_bodies(raw, [], (b"page", b"folio"))
    assert got is not None and [b.open for b in got[1]] == [raw.index(b"{")]
    assert blank_unneeded_bodies(RANGE, [], (b"page", b"folio")) is None


def test_comments_and_strings_do_not_keep_a_body():
    raw = b"static void f(void)\n{\n\t/* folio_zero_range() */\n\tputs(\"zero_user\");\n}\n" + RANGE
    fol012 = [r for r in RULES if r.code == "FOL012"]
    _, bodies = blank_unneeded_bodies(raw, fol012)
    assert [raw[b.open:b.close + 1].count(b"\n") for b in bodies] == [3]


def test_a_page_loop_rule_keeps_the_functions_its_loop_model_could_read():
    """The header counts: a page pointer parameter walked in a body that names no page."""
    walk = b"static void walk(struct page *p, int n)\n{\n\twhile (n--) {\n\t\tclear(p);\n\t\tp++;\n\t}\n}\n"
    rules = [r for r in RULES if r.code == "FOL005"]
    assert blank_unneeded_bodies(GAPS + walk, rules)[1] == find_bodies(GAPS + walk).bodies[:1]


def test_no_blanking_with_a_summary_a_focus_or_a_parse_given(monkeypatch):
    calls = []
    monkeypatch.setattr(checker, "blank_for_parse", lambda raw, active, keep=(): calls.append(1))
    raw = GAPS + RANGE
    check_source("t.c", raw, RULES, summarise=lambda src: {})
    check_source("t.c", raw, RULES, focus={"zero_tail"})
    assert calls == []
    check_source("t.c", raw, RULES)
    assert calls == [1]


def test_a_body_the_parser_does_not_take_as_one_means_a_whole_parse(monkeypatch):
    from folint.kernel_c.bodies import Body
    from folint.source import SourceFile

    raw = b"struct s {\n\tint a;\n};\n" + RANGE
    src = SourceFile("t.c", raw)
    open_at = raw.index(b"{")
    assert not checker.parsed_as_blanked(src, [Body(0, open_at, raw.index(b"}"))])
    body = src.all_functions[0].body
    assert checker.parsed_as_blanked(src, [Body(0, body.start_byte, body.end_byte - 1)])
    # a finder that took the struct for a body: the checker parses the file whole
    monkeypatch.setattr(checker, "blank_for_parse",
                        lambda raw, active, keep=(): Blanked(raw, [Body(0, open_at, raw.index(b"}"))]))
    result = check_source("t.c", raw, [r for r in RULES if r.code == "FOL012"], simulate=False)
    assert [f.function for f in result.findings] == ["zero_tail"]


def _nodes(tree):
    out, stack = [], [tree.root_node]
    while stack:
        n = stack.pop()
        out.append((n.type, n.start_byte, n.end_byte, tuple(n.start_point), tuple(n.end_point), n.is_error))
        stack.extend(reversed(n.children))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_parser_reads_around_blanked_bodies_to_the_same_tree(path):
    """``parse_kernel_c(text, skip)`` (included ranges around each blanked body's inside)
    gives the tree of the whole blanked text: every node's type, bytes, lines and columns."""
    from folint.parsing import parse_kernel_c

    raw = path.read_bytes()
    for rules in [RULES, *[[r] for r in LOCAL]]:
        got = blank_unneeded_bodies(raw, rules)
        if got is None:
            continue
        text, bodies = got
        code, whole = parse_kernel_c(text)
        code2, around = parse_kernel_c(text, [(b.open + 1, b.close) for b in bodies])
        assert code2 == code
        assert _nodes(around) == _nodes(whole)


def test_reading_around_keeps_lines_and_columns_after_many_skipped_lines():
    from folint.parsing import parse_kernel_c

    raw = b"int a(void)\n{\n\tx();\n\n\ty();\n}\n\nint b(int p)\n{\n\treturn p;\n}\nint c;\n"
    layout = find_bodies(raw)
    first = layout.bodies[0]
    text = raw[:first.open + 1] + bytes(b if b == 0x0A else 0x20 for b in raw[first.open + 1:first.close]) + raw[first.close:]
    _, whole = parse_kernel_c(text)
    _, around = parse_kernel_c(text, [(first.open + 1, first.close)])
    assert _nodes(around) == _nodes(whole)
    ret = around.root_node.children[1].child_by_field_name("body").named_children[0]
    assert ret.type == "return_statement" and tuple(ret.start_point) == (9, 1)


def test_without_ahocorasick_the_same_bodies_are_blanked(monkeypatch):
    """The needle and name searches have a fallback (a search per needle or name): it
    blanks what the automaton does, on every fixture, for all rules and each alone."""
    sets = [RULES, *[[r] for r in LOCAL + NAMED]]
    raws = [p.read_bytes() for p in FILES]
    keeps = [(), (b"page", b"folio")]
    with_library = [blank_unneeded_bodies(raw, rules, keep) for raw in raws for rules in sets for keep in keeps]
    monkeypatch.setitem(__import__("sys").modules, "ahocorasick_rs", None)
    without = [blank_unneeded_bodies(raw, rules, keep) for raw in raws for rules in sets for keep in keeps]
    assert without == with_library
    assert sum(got is not None for got in without) > len(raws)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_kernelize_given_the_blanked_mask_writes_what_it_writes_masking_itself(path):
    """``Blanked.premask`` (the file's mask with the bodies blanked, the directives outside
    them) is what ``kernelize`` finds masking the blanked text: the same output."""
    from folint.kernel_c import kernelize
    from folint.kernel_c.lexemes import _mask
    from folint.kernel_c.text import _Text

    raw = path.read_bytes()
    for rules, keep in [(RULES, ()), (RULES, (b"page", b"folio")), *[([r], ()) for r in LOCAL + NAMED]]:
        got = blank_for_parse(raw, rules, keep)
        if got is None:
            continue
        text = _Text(got.text)
        directives = _mask(text)
        assert got.premask[0] == bytes(text.mask)
        assert [(d.start, d.end, d.text) for d in got.premask[1]] == [(d.start, d.end, d.text) for d in directives]
        assert kernelize(got.text, got.premask) == kernelize(got.text)


def test_word_mentions_finds_whole_words_in_the_spans_asked_with_or_without_ahocorasick(monkeypatch):
    from folint.words import word_mentions

    text = b"f(a); xf(a); f_x(); g(f); { f(b); } h = f;"
    names = ["f", "f_x", "g"]
    whole = list(word_mentions(text, names))
    inside = list(word_mentions(text, names, [(text.index(b"{"), text.index(b"}") + 1)]))
    assert whole == [("f", 0), ("f_x", 13), ("g", 20), ("f", 22), ("f", 28), ("f", 40)]
    assert inside == [("f", 28)]
    monkeypatch.setitem(__import__("sys").modules, "ahocorasick_rs", None)
    assert sorted(word_mentions(text, names)) == sorted(whole)
    assert list(word_mentions(text, names, [(text.index(b"{"), text.index(b"}") + 1)])) == inside



# Four holes a review found in the first version of the neighbours' blanking, each a
# result that differed with and without it: a function find_bodies does not take as a
# body (on one line) whose callers were blanked; a name taken from an annotation after the
# parameters (``__must_hold(...)``); FOL009's callers read in a comment of a blanked body;
# a needle with a parenthesis that a call with a space does not hold (FOL010's).
REVIEWED = {
    'one_line_function': '#include <linux/mm.h>\n\nstatic struct folio *demo_global;\n\nstatic bool demo_exclusive(struct folio *folio) { return folio_mapcount(folio) == 1; }\n\nint demo_fresh(void)\n{\n\tstruct folio *folio = folio_alloc(GFP_KERNEL, 0);\n\n\tif (!folio)\n\t\treturn -ENOMEM;\n\treturn demo_exclusive(folio);\n}\n\nint demo_old(void)\n{\n\treturn demo_exclusive(demo_global);\n}\n',
    'annotation_after_parameters': '#include <linux/mm.h>\n\nstatic DEFINE_SPINLOCK(demo_lock);\nstatic struct folio *demo_global;\n\nstatic bool demo_exclusive(struct folio *folio) __must_hold(&demo_lock)\n{\n\treturn folio_mapcount(folio) == 1;\n}\n\nint demo_fresh(void)\n{\n\tstruct folio *folio = folio_alloc(GFP_KERNEL, 0);\n\n\tif (!folio)\n\t\treturn -ENOMEM;\n\treturn demo_exclusive(folio);\n}\n\nint demo_old(void)\n{\n\treturn demo_exclusive(demo_global);\n}\n',
    'name_in_a_comment_of_a_blanked_body': '/* a page of a hugetlb folio: hwpoison is kept on its head page */\nstatic bool demo_raw_in_huge(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n\tif (!folio_test_hwpoison(folio))\n\t\treturn false;\n\tif (!folio_test_hugetlb(folio))\n\t\treturn PageHWPoison(page);\n\treturn demo_raw_listed(folio, page);\n}\n\nint demo_walk(struct folio *folio, struct page *page)\n{\n\tif (folio_test_hugetlb(folio) && demo_raw_in_huge(page))\n\t\treturn -EHWPOISON;\n\treturn 0;\n}\n\nint demo_other(int x)\n{\n\t/* unlike demo_raw_in_huge(), this needs no lock */\n\treturn x + 1;\n}\n',
    'space_before_the_parenthesis': '#include <linux/mm.h>\n\nstatic bool a(struct folio *folio)\n{\n\treturn folio_mapcount(folio) == 1;\n}\n\nstatic bool b(struct folio *folio)\n{\n\tif (folio_mapcount (folio) != 1)\n\t\treturn false;\n\treturn true;\n}\n',
}


@pytest.mark.parametrize("name", sorted(REVIEWED))
def test_what_the_review_found_gives_the_same_findings_with_and_without_blanking(monkeypatch, name):
    raw = REVIEWED[name].encode()
    for rules in [RULES, *[[r] for r in NAMED]]:
        got, want = _both(monkeypatch, f"{name}.c", raw, rules)
        assert got == want, (name, [r.code for r in rules])
    whole = _both(monkeypatch, f"{name}.c", raw, RULES)[1][0]
    assert [(f["code"], f["line"]) for f in whole] == REVIEWED_WANT[name]


REVIEWED_WANT = {  # the findings of the whole parse: what blanking lost or added before
    "one_line_function": [("FOL010", 5)],
    "annotation_after_parameters": [("FOL010", 8)],
    "name_in_a_comment_of_a_blanked_body": [],  # refuted by its one caller in the file
    "space_before_the_parenthesis": [("FOL010", 5), ("FOL010", 10)],
}


def test_header_names_past_annotations_and_none_when_unclear():
    from folint.blanking import header_name

    def names(text):
        layout = find_bodies(text)
        return [header_name(layout.mask, b) for b in layout.bodies], layout.unclear

    assert names(b"static bool f(struct folio *folio) __must_hold(&l)\n{\n}\n") == (["f"], False)
    assert names(b"static int __attribute__((x)) h(int a) __releases(p)\n{\n}\n") == (["h"], False)
    assert names(b"SYSCALL_DEFINE3(x, int, a)\n{\n}\n") == ([None], False)
    assert names(b"static int f(int a) __unknown_note(a)\n{\n}\n") == ([None], False)
    assert names(b"static void (*pick(int a))(int)\n{\n}\n") == ([None], False)
    assert names(b"int k(void) { return 1; }\nint m(void)\n{\n}\n") == (["m"], True)
