"""Page arrays in the simulator: a ``struct page **`` (parameter, local from a field, or a
field named for its pages) whose elements are model pages, stores into it read back and
kept in what a call gets, ``pages + n`` views; and ``Scenario.locals`` / ``max_iterations``."""

from folint.plugins import model_registry
from folint.sim import Scenario
from folint.sim.oracle import Simulation
from folint.sim.values import Page, PageArray
from folint.source import SourceFile


def simulate(code: str, **scenario):
    src = SourceFile("t.c", code.encode())
    return Simulation(src, src.functions[-1], registry=model_registry()).run(Scenario(**scenario))


def only_path(code: str, **scenario):
    ex = simulate(code, **scenario)
    assert ex.complete, ex.reason
    assert len(ex.paths) == 1, [p.trace() for p in ex.paths]
    return ex.paths[0]


def call(path, name):
    return next(e for e in path.events if e.kind == "call" and e.name == name)


def test_elements_of_a_page_array_parameter_are_model_pages():
    p = only_path("""
void f(struct page **pages, int i)
{
	consume(pages[i], pages[2]);
	consume(pages[i], pages[1 + 1]);
}""")
    first, second = [e for e in p.events if e.kind == "call"]
    a, b = first.args
    assert isinstance(a, Page) and isinstance(b, Page) and a.folio is not b.folio
    assert a.index == 0 and "pages[i]" in a.folio.label
    # the same element read twice is the same page; pages[1 + 1] is pages[2]
    assert second.args[0] == a and second.args[1] == b


def test_a_local_set_from_a_field_and_a_field_named_pages_are_page_arrays():
    p = only_path("""
void f(struct req *req)
{
	struct page **pages = req->args.pages;
	consume(pages[0], req->pages[3], req->nr_pages, req->array.npages - 1);
}""")
    page0, page3, count, last = call(p, "consume").args
    assert isinstance(page0, Page) and isinstance(page3, Page)
    # counts named for pages, and a field not indexed, are no arrays
    assert not isinstance(count, (Page, PageArray)) and not isinstance(last, (Page, PageArray))


def test_stores_are_read_back_and_a_call_keeps_what_the_array_held():
    p = only_path("""
void *f(struct folio *folio, struct page **pages)
{
	void *addr;

	pages[0] = &folio->page;
	pages[1] = folio_page(folio, 1);
	addr = vmap(pages, 2, VM_MAP, PAGE_KERNEL);
	pages[0] = folio_page(folio, 3);
	consume(pages[0]);
	return addr;
}""")
    arr = call(p, "vmap").args[0]
    assert isinstance(arr, PageArray)
    held = arr.stored()
    assert held[0].index == 0 and held[1].index == 1 and held[0].folio is held[1].folio and held[0].folio.label == "folio"
    assert call(p, "consume").args[0].index == 3  # the later store; the vmap event kept the old one


def test_pointer_steps_over_a_page_array_are_views_of_it():
    p = only_path("""
int f(struct folio *folio, struct page **pages)
{
	struct page **start = pages;

	*pages++ = folio_page(folio, 0);
	*pages++ = folio_page(folio, 1);
	submit(start, pages - start);
	return pages - start;
}""")
    ev = call(p, "submit")
    arr, n = ev.args
    assert n == 2 and p.returned == 2
    assert [arr.stored()[k].index for k in (0, 1)] == [0, 1]


def test_a_null_test_on_an_element_read_from_the_array_still_forks():
    ex = simulate("""
int f(struct page **pages)
{
	if (!pages[0])
		return -EINVAL;
	consume(pages[0]);
	return 0;
}""")
    assert ex.complete and sorted(p.returned for p in ex.paths) == [-22, 0]
    ok = next(p for p in ex.paths if p.returned == 0)
    assert isinstance(call(ok, "consume").args[0], Page)


LOCALS = """
int f(struct req *req)
{
	unsigned int off = req->offset;
	unsigned int len = 4096 - off;
	unsigned int fixed = 12;

	consume(off, len, fixed);
	return 0;
}"""


def test_scenario_locals_choose_only_values_the_simulator_cannot_know():
    p = only_path(LOCALS, locals={"off": 1024, "len": 7, "fixed": 99})
    assert call(p, "consume").args == (1024, 3072, 12)
    assumed = [e.text for e in p.events if e.kind == "assume"]
    assert assumed == ["assume off = 1024 (it is <req->offset>)"]
    # without it the offset stays unknown
    p = only_path(LOCALS)
    assert not isinstance(call(p, "consume").args[0], int)


BRANCHY_LOOP = """
int f(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (check(pages[i]))
			mark(pages[i]);
	}
	return 0;
}"""


def test_max_iterations_caps_loops_that_fork():
    full = simulate(BRANCHY_LOOP, max_paths=4096)
    capped = simulate(BRANCHY_LOOP, max_iterations=1)
    assert capped.complete and len(capped.paths) < len(full.paths)
    assert max(max((r.iterations for r in p.loop_runs), default=0) for p in capped.paths) == 1
    assert any(p.status == "bounded" for p in capped.paths)


def test_pages_handed_on_lists_what_calls_got_through_arrays():
    from folint.sim.oracle import pages_handed_on

    p = only_path("""
void f(struct folio *folio, struct page **pages, struct bio *bio)
{
	struct page *local[2];

	local[0] = folio_page(folio, 1);
	local[1] = folio_page(folio, 2);
	vmap(local, 2, VM_MAP, PAGE_KERNEL);
	local[0] = folio_page(folio, 3);
	pages[0] = &folio->page;
	bio_add_page(bio, pages[0], 512, 0);
	consume(folio_page(folio, 0));
	submit(pages + 1);
}""")
    got = [(e.name, where, page.index) for e, where, page in pages_handed_on(p)]
    assert got == [("vmap", "local[0]", 1), ("vmap", "local[1]", 2),
                   ("bio_add_page", "pages[0]", 0),
                   ("submit", "pages[0] (the call got pages + 1)", 0)]
