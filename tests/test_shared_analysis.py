"""The per-file analysis the rules share (SourceFile, the loop model, FOL001's and FOL006's
checks): the short cuts taken for speed give what the full work gives."""

import textwrap

from folint import flow
from folint.config import Config
from folint.selection import build_rules
from folint.source import SourceFile


def _src(code: str) -> SourceFile:
    return SourceFile("t.c", textwrap.dedent(code).encode())


def _rule(code: str):
    return build_rules(Config(), [code], None)[0]


def test_fol006_reads_a_folio_named_in_the_parameters_only():
    src = _src("""
        void f(struct folio *f)
        {
                lock_page(&f->page);
        }
        void g(struct page *p, struct thing *t)
        {
                lock_page(&t->page);
                lock_page(p);
        }
        """)
    found = list(_rule("FOL006").check(src))
    assert [(x.function, x.data["api"]) for x in found] == [("f", "lock_page")]


def test_fol006_skips_a_function_that_names_no_folio_without_looking_at_its_calls(monkeypatch):
    import folint_rules.fol006_page_api_on_folio as fol006

    src = _src("""
        void g(struct page *p)
        {
                lock_page(p);
                put_page(p);
        }
        void h(struct folio *folio)
        {
                struct page *page = &folio->page;
                put_page(page);
        }
        """)
    rule = _rule("FOL006")
    asked = []
    real = fol006.PageApiOnFolio._classify
    monkeypatch.setattr(fol006.PageApiOnFolio, "_classify",
                        lambda self, call, fn: asked.append(fn.name) or real(self, call, fn))
    found = list(rule.check(src))
    assert [x.function for x in found] == ["h"]
    assert set(asked) == {"h"}


LOOPS = """
    int f(struct folio *folio)
    {
            long i, nr = folio_nr_pages(folio);

            for (i = 0; i < nr; i++)
                    clear_page(folio_page(folio, i));
            for (i = 0; i < nr; i++) {
                    clear_page(folio_page(folio, i));
                    goto out;
            }
    out:
            return 0;
    }
    """


def test_fol001_asks_the_flow_only_of_a_loop_with_a_return_break_or_goto(monkeypatch):
    src = _src(LOOPS)
    assert len(src.page_loops) == 2
    asked = []
    real = flow.outcomes
    monkeypatch.setattr(flow, "outcomes", lambda body, loop: asked.append(loop.start_byte) or real(body, loop))
    found = list(_rule("FOL001").check(_src(LOOPS)))
    assert asked == [src.page_loops[1].node.start_byte]
    assert len(found) == 1 and " jumps out on its first iteration" in found[0].message


def test_the_loop_model_reads_each_region_of_a_loop_for_its_writes_once(monkeypatch):
    from folint import cnodes, loops

    src = _src("""
        void f(struct page *page, int nr)
        {
                do {
                        clear_page(page);
                } while (page++, --nr > 0);
        }
        """)
    asked = []
    real = cnodes.assigned_names
    monkeypatch.setattr(cnodes, "assigned_names", lambda node: asked.append(node.id) or real(node))
    (loop,) = src.page_loops
    assert loop.shape == loops.Shape.DO_WHILE and loop.walk_var == "page" and loop.index == "nr"
    # the loop's update (none), body and condition, each once; the function's facts ask no writes
    assert len(asked) == len(set(asked)) == 2


def test_a_selection_is_the_first_in_the_body_as_a_walk_meets_it():
    src = _src("""
        void f(struct folio *a, struct page **pages, int n)
        {
                int i;

                for (i = 0; i < n; i++)
                        g(h(pages[i]), folio_page(a, i));
        }
        """)
    (loop,) = src.page_loops
    assert loop.folio == "pages" and loop.shape.value == "array"
