"""The "value used" hook: error pointers as values, "use" events on every dereference of a
model value and every model value passed to a call, and the order of events on a path."""

from folint.sim import Scenario
from folint.plugins import model_registry, plugin_manager
from folint.sim.models import build_registry
from folint.sim.oracle import Simulation, uses_of
from folint.sim.values import ERRNO, ErrPtr, Folio, Page, render
from folint.source import SourceFile


def explore(code: str, registry=None, **scenario):
    src = SourceFile("t.c", code.encode())
    sim = Simulation(src, src.functions[-1], registry=registry or model_registry())
    ex = sim.run(Scenario(**scenario))
    assert ex.complete, ex.reason
    return ex


def only_path(code: str, registry=None):
    ex = explore(code, registry)
    assert len(ex.paths) == 1, [p.trace() for p in ex.paths]
    return ex.paths[0]


def lock_folio_registry():
    """A model of filemap_lock_folio(): a locked folio, or ERR_PTR(-ENOENT) (forks)."""
    registry = build_registry(plugin_manager())

    def filemap_lock_folio(call):
        if call.fork("finds the folio", "finds nothing") == 0:
            return call.path.new_folio("folio from filemap_lock_folio()")
        return ErrPtr(-ERRNO["ENOENT"])

    registry.add("filemap_lock_folio", filemap_lock_folio)
    return registry


def test_err_ptr_is_a_value_that_is_err_and_ptr_err_read():
    p = only_path("""
int f(void)
{
	void *p = ERR_PTR(-ENOMEM);
	int r = 0;
	if (!p)
		r += 1000;            /* an error pointer is not NULL */
	if (p == NULL)
		r += 2000;
	if (IS_ERR(p))
		r += 1;
	if (IS_ERR_OR_NULL(p))
		r += 10;
	if (PTR_ERR(p) == -ENOMEM)
		r += 100;
	if (PTR_ERR_OR_ZERO(p) == -ENOMEM && PTR_ERR_OR_ZERO(NULL) == 0)
		r += 10000;
	return r;
}""")
    assert p.returned == 10111
    assert render(ErrPtr(-12)) == "ERR_PTR(-12 (-ENOMEM))"


def test_a_model_forks_into_a_folio_or_an_error_pointer():
    ex = explore("""
int f(struct address_space *mapping)
{
	struct folio *folio = filemap_lock_folio(mapping, 0);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	folio_unlock(folio);
	return 0;
}""", lock_folio_registry())
    assert sorted(p.returned for p in ex.paths) == [-ERRNO["ENOENT"], 0]
    texts = [e.text for p in ex.paths for e in p.events if e.kind == "assume"]
    assert "assume filemap_lock_folio() finds nothing" in texts
    assert "assume filemap_lock_folio() finds the folio" in texts


def test_an_error_pointer_reaching_a_dereference_is_a_use_event():
    ex = explore("""
int f(struct address_space *mapping)
{
	struct folio *folio = filemap_lock_folio(mapping, 0);
	return folio->index;
}""", lock_folio_registry())
    err = [e for p in ex.paths for e in p.events if e.kind == "use" and isinstance(e.value, ErrPtr)]
    assert len(err) == 1
    assert (err[0].use, err[0].target, err[0].line, err[0].value.errno) == ("field", "index", 5, -ERRNO["ENOENT"])
    assert err[0].node is not None and err[0].node.type == "field_expression"
    assert err[0].text == "use ERR_PTR(-2 (-ENOENT)): ->index"


def test_every_kind_of_dereference_and_argument_is_a_use():
    p = only_path("""
int f(struct folio *folio, struct page *page)
{
	int a = folio->mapping != 0;    /* field */
	int b = *page;                  /* deref */
	struct page *q = page[1];       /* index: page 1 */
	long n = folio_nr_pages(folio); /* a model's argument */
	mark_page_accessed(q);          /* an unmodelled call's argument */
	return a + b + n + other(1, folio);
}""")
    uses = [(e.use, e.target, e.arg, e.line, render(e.value)) for e in p.events if e.kind == "use"]
    assert uses == [
        ("field", "mapping", None, 4, "folio"),
        ("deref", None, None, 5, "page 0 of folio#2"),
        ("index", None, None, 6, "page 0 of folio#2"),
        ("arg", "folio_nr_pages", 0, 7, "folio"),
        ("arg", "mark_page_accessed", 0, 8, "page 1 of folio#2"),
        ("arg", "other", 1, 9, "folio"),
    ]
    # plain values (ints, unknowns) are no model values: no use events for them
    assert not any(e.kind == "use" and not isinstance(e.value, (Folio, Page, ErrPtr)) for e in p.events)


def test_use_after_put_is_visible_in_the_order_of_events():
    """What an oracle for "the folio was used after folio_put" reads: per path, the
    events in execution order (``Event.index`` is the position, 1-based)."""
    p = only_path("""
void f(struct folio *folio)
{
	folio_mark_dirty(folio);
	folio_put(folio);
	other(folio->mapping);
}""")
    assert [e.index for e in p.events] == list(range(1, len(p.events) + 1))
    put = next(e for e in p.events if e.kind == "call" and e.name == "folio_put")
    assert put.args[0] is p.params[0][1]
    after = [e for e in uses_of(p, put.args[0]) if e.index > put.index]
    assert [(e.use, e.target, e.line) for e in after] == [("field", "mapping", 6)]
    before = [e for e in uses_of(p, put.args[0]) if e.index < put.index]
    assert [(e.use, e.target, e.line) for e in before] == [("arg", "folio_mark_dirty", 4), ("arg", "folio_put", 5)]


def test_uses_are_not_in_the_trace():
    p = only_path("""
int f(struct folio *folio)
{
	return folio->index + helper(folio);
}""")
    assert [t["event"] for t in p.trace()] == ["call helper(folio)", "return <folio->index + helper(folio)>"]
