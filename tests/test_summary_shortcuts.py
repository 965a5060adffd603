"""The shortcuts ``folint.index.summary`` takes to summarise cheaply (issue 12) give what
the plain reading gives: the exports regex run over the whole text, ``src.position``,
``Function.type_of`` / ``Function.var_types``, and calls or refs that a text test
(``page`` in the arguments, a page variable's name) lets through or not."""

from __future__ import annotations

import random

from folint.index import summary, summary_defs
from folint.index import summary_calls as summary_call_shapes
from folint.index.records import FolioPage, PlainPage, summary_calls
from folint import cnodes
from folint.index.summary import summarise
from folint.source import SourceFile


def summary_of(raw: bytes) -> dict:
    return summarise(SourceFile("x.c", raw))


# -- exports ------------------------------------------------------------------------------

def test_exports_are_what_the_regex_finds_over_the_whole_text():
    texts = [
        b"EXPORT_SYMBOL(a);\nxEXPORT_SYMBOL(b);\nEXPORT_SYMBOL_GPL ( c );\n",
        # a match refused for its \b, then one starting inside what it read
        b"xEXPORT_SYMBOL( EXPORT_SYMBOL(d);\n",
        b"EXPORT_SYMBOL_NS_GPL(e, NS); EXPORT_SYMBOL_FOR_MODULES(f, \"m\"); EXPORT_SYMBOL(",
        b"_EXPORT_SYMBOL(g); 9EXPORT_SYMBOL(h); (EXPORT_SYMBOL(i)) EXPORT_SYMBOLS(j)",
        b"",
    ]
    for raw in texts:
        want = sorted({m.group(1).decode() for m in summary._EXPORT.finditer(raw)})
        assert summary._exports(raw) == want
    assert summary._exports(texts[1]) == ["d"]  # not lost behind the refused match
    assert summary._exports(texts[3]) == ["i"]


# -- positions ----------------------------------------------------------------------------

def test_positions_counted_from_the_last_one_are_src_position_in_any_order():
    raw = b"a\n\nbc\n" * 50 + b"last line without newline"
    rng = random.Random(12)
    fresh = SourceFile("x.c", raw)
    position = summary_defs._Positions(fresh)
    asked = [rng.randrange(len(raw) + 1) for _ in range(300)] + [0, len(raw), 1, 0]
    got = [position(b) for b in asked]
    assert "_line_starts" not in fresh.__dict__  # the list of line starts was not made
    want = SourceFile("x.c", raw)
    assert got == [want.position(b) for b in asked]


# -- identifiers --------------------------------------------------------------------------

USES = b"""\
int f(struct page *page, struct page *pagep)
{
\tstruct folio *folio = page_folio(page); /* page in a comment */
\tchar *s = "page";
\tpagepage(page->page, pagep, page_folio((page)), pp.page);
\t__attribute__((page)) int x = page ? page : apage;
\tif (page page) )) page;
#define page_of(x) page
\treturn page_folio(page, 1) == folio;
}
"""


def test_identifiers_found_by_their_text_are_those_of_the_walk():
    src = SourceFile("x.c", USES)
    (fn,) = src.functions
    texts = {n.text for n in cnodes.walk(src.root) if n.type == "identifier"}
    keys = texts | {t[:2] for t in texts} | {t[1:] for t in texts} | {b"pagepage", b"ge", b"p", b"", b"page page"}
    for key in keys:
        for under in (fn.body, src.root, fn.node):
            walked = [n for n in cnodes.walk(under) if n.type == "identifier" and n.text == key]
            assert list(summary_defs.identifiers_named(src.code, under, key)) == walked, key
    uses = summarise(src)["defs"][0]["uses"]
    assert uses["0"]["roundtrip"] == 2 and uses["0"]["other"] > 5


# -- declarations -------------------------------------------------------------------------

TYPES = b"""\
struct page *zero;
int shadowed;
void f(struct page *p, int n, struct folio *folio, int n)
{
\tint a, *b, c[4], (*fp)(int), (d);
\tstruct page **pages, *q = NULL;
\tunsigned long shadowed = 1;
\t{
\t\tstruct page *a;
\t\tconst struct page *const r = q;
\t}
\tchar n;
}
"""


def test_declared_names_and_types_are_function_type_of():
    src = SourceFile("x.c", TYPES)
    (fn,) = src.functions
    type_of = summary_call_shapes._TypeOf(fn, src.code)
    names = ["p", "n", "folio", "a", "b", "c", "fp", "d", "pages", "q", "r", "shadowed", "zero", "f", "x", ""]
    got = [(name, type_of.declares(name), type_of(name)) for name in names]
    assert "var_types" not in fn.__dict__  # answered without making them all
    want = [(name, name in fn.var_types, fn.type_of(name)) for name in names]
    assert got == want
    assert fn.type_of("a") == "int"  # the first declaration wins ...
    assert fn.type_of("n") == "int"  # ... but a parameter wins over any
    # once var_types is made (by a rule), it is what is read
    later = summary_call_shapes._TypeOf(fn, src.code)
    assert [(n, later.declares(n), later(n)) for n in names] == want


def test_page_vars_hold_every_page_pointer_a_call_may_pass():
    src = SourceFile("x.c", TYPES)
    (fn,) = src.functions
    keys, local = summary_call_shapes._TypeOf(fn, src.code).page_vars(["zero"])
    assert {"a", "q", "r"} <= local and "p" not in local
    for name in ("p", "a", "q", "r", "zero"):
        assert name.encode() in keys


# -- calls --------------------------------------------------------------------------------

def test_a_page_variable_named_without_page_is_still_passed():
    raw = b"""\
struct page *zp;
void f(struct folio *folio, struct page *p, unsigned long n)
{
\tstruct page *q = folio_page(folio, 2);
\tstruct page *other = p;

\tuse_q(q);
\tuse_p(p);
\tuse_zp(zp);
\tuse_int(1, 2);
\tuse_other(other);
\tuse_fp(folio_page(folio, 1));
\tuse_pfn(pfn_to_page(n));
}
void g(void)
{
\tint zp = 0;
\tuse_shadow(zp);
}
"""
    calls = {c.callee: c.args for c in summary_calls(summary_of(raw))}
    assert isinstance(calls["use_q"][0], FolioPage) and calls["use_q"][0].form == "var"
    assert isinstance(calls["use_p"][0], PlainPage)
    assert isinstance(calls["use_zp"][0], PlainPage)  # a file-level page pointer
    assert isinstance(calls["use_other"][0], PlainPage)
    assert isinstance(calls["use_fp"][0], FolioPage) and calls["use_fp"][0].form == "folio_page"
    assert isinstance(calls["use_pfn"][0], PlainPage)
    assert "use_int" not in calls
    assert "use_shadow" not in calls  # the local int hides the file's page pointer


def test_a_local_declared_first_as_no_page_is_not_a_page():
    raw = b"""\
void f(void)
{
\tint v = 0;
\t{
\t\tstruct page *v = NULL;
\t\tuse(v);
\t}
}
"""
    assert summary_of(raw)["calls"] == []  # Function.type_of: the first declaration wins


# -- refs ---------------------------------------------------------------------------------

def test_refs_are_names_used_as_values_not_locals_macros_or_writes():
    raw = b"""\
static int cb(struct page *page) { return 0; }
static int cb2(struct page *page) { return 0; }
static int other(struct page *page) { return 0; }
void f(int cb2, struct page *page)
{
\tint local;
\tvoid *p = &other;
\tregister_it(cb, &local, page, NULL, cb2);
\tregister_it(&cb, MACRO);
\tEXPORT_SYMBOL(listed);
}
static void *g(void) { return &cb2; }
"""
    refs = summary_of(raw)["refs"]
    assert "cb" in refs  # a callback passed by a function that does not declare it
    assert "cb2" in refs  # a parameter in f, but a value in g
    assert "other" not in refs  # `p = &other`: an initialiser's address is not read as one
    for name in ("local", "page", "MACRO", "NULL", "listed", "register_it"):
        assert name not in refs
