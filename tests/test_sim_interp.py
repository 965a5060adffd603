"""The simulator's interpreter on small kernel-style functions: each statement kind,
forking on unknowns, the folio models, and every budget ending a run cleanly."""

import time

import pytest

from folint.sim import Scenario
from folint.plugins import model_registry
from folint.sim.oracle import Simulation
from folint.sim.values import Folio, Page, Unknown, render
from folint.source import SourceFile


def simulate(code: str, func: str | None = None, **scenario):
    src = SourceFile("t.c", code.encode())
    fn = src.functions[-1] if func is None else next(f for f in src.functions if f.name == func)
    return Simulation(src, fn, registry=model_registry()).run(Scenario(**scenario))


def only_path(code: str, **scenario):
    ex = simulate(code, **scenario)
    assert ex.complete, ex.reason
    assert len(ex.paths) == 1, [p.trace() for p in ex.paths]
    return ex.paths[0]


def calls(path, kinds=("call", "fail")):
    return [e.text for e in path.events if e.kind in kinds]


# -- statements ----------------------------------------------------------------

def test_declarations_arithmetic_and_compound_assignment():
    p = only_path("""
int f(void)
{
	int a = 7, b;
	long c = (a + 3) * 2 - 1;     /* 19 */
	b = c / 4;                    /* 4 */
	b += 10; b <<= 1; b -= 3;     /* 25 */
	b %= 7;                       /* 4 */
	a = -7 / 2;                   /* C truncates: -3 */
	return b * 100 + (a == -3) * 10 + (0x10 | 010);
}""")
    assert p.returned == 4 * 100 + 10 + (16 | 8)


def test_increments_comparisons_and_short_circuit():
    ex = simulate("""
int f(void)
{
	int i = 0, j, hits = 0;
	j = i++;            /* j = 0, i = 1 */
	j += ++i;           /* i = 2, j = 2 */
	if (i == 2 && j >= 2)
		hits++;
	if (i > 5 || side_effect())
		hits += 10;
	if (i < 5 || side_effect())
		hits += 100;
	return hits;
}""")
    # the first `||` calls side_effect() and forks on it; the second never calls it
    assert ex.complete
    assert sorted(p.returned for p in ex.paths) == [101, 111]
    assert all(len(calls(p)) == 1 for p in ex.paths)


def test_short_circuit_skips_the_right_operand():
    p = only_path("""
int f(void)
{
	int n = 0;
	if (0 && g())
		n = 1;
	if (1 || g())
		n += 2;
	return n;
}""")
    assert p.returned == 2
    assert calls(p) == []


def test_if_else_chain_and_ternary():
    p = only_path("""
int f(void)
{
	int x = 3, y;
	if (x < 2)
		y = 1;
	else if (x < 4)
		y = 2;
	else
		y = 3;
	return y * 10 + (x > 2 ? 5 : 6);
}""")
    assert p.returned == 25


def test_for_while_do_break_continue():
    p = only_path("""
int f(void)
{
	int i, sum = 0, k = 0;
	for (i = 0; i < 10; i++) {
		if (i == 2)
			continue;
		if (i == 5)
			break;
		sum += i;          /* 0 + 1 + 3 + 4 */
	}
	while (k < 3)
		k++;
	do {
		k += 10;
	} while (k < 20);
	return sum * 100 + k;
}""")
    assert p.returned == 8 * 100 + 23
    runs = p.loop_runs
    assert [(r.iterations, r.exit) for r in runs] == [(6, "break"), (3, "condition"), (2, "condition")]


def test_goto_error_unwinding_with_labels():
    p = only_path("""
int f(void)
{
	int state = 0;
	state = 1;
	goto out_two;
	state = 99;
out_one:
	state += 10;
out_two:
	state += 100;
	return state;
}""")
    assert p.returned == 101


def test_goto_backwards_retry_loop():
    p = only_path("""
int f(void)
{
	int tries = 0;
again:
	tries++;
	if (tries < 3)
		goto again;
	return tries;
}""")
    assert p.returned == 3


def test_goto_into_a_nested_block_label():
    p = only_path("""
int f(void)
{
	int x = 0;
	goto inner;
	{
		x = 50;
inner:
		x += 1;
	}
	return x;
}""")
    assert p.returned == 1


def test_switch_with_fallthrough_and_default():
    code = """
int f(int mode)
{
	int r = 0;
	switch (mode) {
	case 1:
		r += 1;
	case 2:
		r += 2;
		break;
	case 3:
		r = 30;
		break;
	default:
		r = -1;
	}
	return r;
}"""
    assert only_path(code, args={"mode": 1}).returned == 3
    assert only_path(code, args={"mode": 2}).returned == 2
    assert only_path(code, args={"mode": 3}).returned == 30
    assert only_path(code, args={"mode": 9}).returned == -1
    ex = simulate(code)  # mode unknown: one path per case, and the default
    assert ex.complete
    assert sorted(p.returned for p in ex.paths) == [-1, 2, 3, 30]


def test_struct_fields_dot_arrow_address_and_deref():
    p = only_path("""
struct pair { int a; int b; };
int f(void)
{
	struct pair s = { .a = 1, .b = 2 };
	struct pair *p = &s;
	int x = 5;
	int *q = &x;
	p->a = 40;
	s.b += 1;
	*q = *q + 1;
	return p->a + s.b + x;   /* 40 + 3 + 6 */
}""")
    assert p.returned == 49


def test_struct_assignment_copies():
    p = only_path("""
int f(swp_entry_t entry)
{
	swp_entry_t copy = entry;
	copy.val++;
	return copy.val - entry.val;
}""")
    assert p.returned == 1


def test_swap_entry_compound_literal_and_designated_initialiser():
    p = only_path("""
void f(swp_entry_t entry)
{
	swp_entry_t a = (swp_entry_t){ .val = entry.val + 2 };
	swp_entry_t b = { entry.val + 3 };
	use(a, b, swp_entry(swp_type(entry), swp_offset(entry) + 4));
}""")
    assert calls(p) == ["call use(entry base+2, entry base+3, entry base+4)"]


def test_statement_expression_and_comma():
    p = only_path("""
int f(void)
{
	int a, b;
	a = ({ int t = 4; t * 2; });
	b = (a++, a + 1);
	return a * 100 + b;
}""")
    assert p.returned == 9 * 100 + 10


def test_file_constants_from_defines_and_enums():
    p = only_path("""
#define NR_SLOTS 6
enum { A, B = 5, C };
int f(void)
{
	return NR_SLOTS * 100 + B * 10 + C - A;
}""")
    assert p.returned == 656


# -- the folio models ----------------------------------------------------------

def test_parameters_are_bound_by_type():
    p = only_path("""
void f(struct folio *folio, struct page *page, swp_entry_t entry, int flags)
{
	use(folio, page, entry, flags);
}""")
    folio, page, entry, flags = p.events[-2].args
    assert isinstance(folio, Folio) and folio.nr == 4
    assert isinstance(page, Page) and page.index == 0 and page.folio is not folio
    assert render(entry) == "entry base+0"
    assert isinstance(flags, Unknown)


def test_folio_vocabulary():
    p = only_path("""
void f(struct folio *folio, swp_entry_t entry)
{
	struct page *page = folio_page(folio, 1);
	struct page *head = &folio->page;

	use(folio_nr_pages(folio), folio_order(folio), folio_size(folio), folio_size(folio) >> PAGE_SHIFT);
	use(nth_page(head, 3), page + 1, page_folio(page) == folio, compound_nr(head), compound_nr(page));
	use(page_swap_entry(page), folio->swap, swp_offset(entry) + 2);
	use(folio_swap(swp_entry(swp_type(entry), swp_offset(entry) + 6), folio), PAGE_SIZE, -ENOMEM);
}""")
    assert calls(p) == [
        "call use(4, 2, 16384, 4)",
        "call use(page 3 of folio, page 2 of folio, 1, 4, 1)",
        "call use(entry folio->swap+1, entry folio->swap+0, offset(base)+2)",
        "call use(entry base+4, 4096, -12)",
    ]


def test_page_past_the_folio_is_rendered_as_such():
    p = only_path("void f(struct folio *folio) { use(folio_page(folio, 4)); }")
    assert calls(p) == ["call use(page 4 of folio (outside its 4 pages))"]


def test_nr_of_the_scenario_and_arguments():
    p = only_path("long f(struct folio *folio, long n) { return folio_nr_pages(folio) * 1000 + n; }",
                  nr=16, args={"n": 7})
    assert p.returned == 16007
    p = only_path("long f(struct folio *folio) { return folio_nr_pages(folio); }", args={"folio": "folio:2"})
    assert p.returned == 2


def test_unknown_used_as_a_folio_becomes_a_model_folio():
    p = only_path("""
void f(struct inode *inode)
{
	struct folio *folio = filemap_get_folio(inode, 0);
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		touch(folio_page(folio, i));
}""")
    assert calls(p)[1:] == [f"call touch(page {i} of folio)" for i in range(4)]


def test_folio_test_large_follows_the_model():
    code = """
int f(struct folio *folio)
{
	if (folio_test_large(folio))
		return -EINVAL;
	return 0;
}"""
    assert only_path(code).returned == -22
    assert only_path(code, nr=1).returned == 0


def test_model_registered_through_the_hook():
    import folint
    from folint.plugins import make_plugin_manager
    from folint.sim.explore import Program
    from folint.sim.models import build_registry

    class Pack:
        @folint.hookimpl
        def folint_sim_models(self, registry):
            registry.add("my_nr_pages", lambda call: call.path.as_folio(call.args[0]).nr * 10)
            registry.add_constant("MY_LIMIT", 3)

    registry = build_registry(make_plugin_manager((Pack(),)))
    assert "folio_page" in registry  # the built-ins came through the same hook
    src = SourceFile("t.c", b"long f(struct folio *folio) { return my_nr_pages(folio) + MY_LIMIT; }")
    sim = Simulation(src, src.functions[0], program=Program(src, registry))
    assert sim.run().paths[0].returned == 43


# -- events, forks, failures -----------------------------------------------------

def test_unmodelled_calls_are_events_with_rendered_arguments():
    p = only_path("""
void f(struct folio *folio, swp_entry_t entry)
{
	long i;

	for (i = 0; i < 2; i++) {
		mte_restore_tags(entry, folio_page(folio, i));
		entry.val++;
	}
}""")
    evs = [e for e in p.events if e.kind == "call"]
    assert [e.text for e in evs] == ["call mte_restore_tags(entry base+0, page 0 of folio)",
                                     "call mte_restore_tags(entry base+1, page 1 of folio)"]
    assert evs[1].page_indexes() == {1} and evs[1].iteration(p.loop_runs[0].start_byte) == 2
    assert evs[0].line == 7


def test_branch_on_unknown_forks_both_ways():
    ex = simulate("""
int f(void)
{
	if (!system_supports_mte())
		return 0;
	return save();
}""")
    assert ex.complete and len(ex.paths) == 2
    outcomes = sorted(render(p.returned) for p in ex.paths)
    assert outcomes == ["0", "<save()>"]
    assumes = [e.text for p in ex.paths for e in p.events if e.kind == "assume"]
    assert sorted(assumes) == ["assume system_supports_mte() is false", "assume system_supports_mte() is true"]


def test_same_unknown_is_decided_once_per_path():
    ex = simulate("""
int f(void)
{
	int err = g();
	int r = 0;
	if (err)
		r += 1;
	if (!err)
		r += 10;
	if (err < 0)
		r += 100;
	return r;
}""")
    assert ex.complete
    # err == 0; err != 0 and err < 0; err != 0 and err >= 0
    assert sorted(p.returned for p in ex.paths) == [1, 10, 101]


def test_fail_at_injects_an_error():
    code = """
int f(struct folio *folio)
{
	long i;
	int err;

	for (i = 0; i < folio_nr_pages(folio); i++) {
		err = save(folio_page(folio, i));
		if (err)
			goto undo;
	}
	return 0;
undo:
	while (i--)
		restore(folio_page(folio, i));
	return err;
}"""
    ex = simulate(code, fail_at=3)
    assert ex.complete
    # the path where save() succeeded on pages 0 and 1 (the others stop at an earlier error)
    p = next(p for p in ex.paths if p.returned == -12)
    assert calls(p) == ["call save(page 0 of folio)", "call save(page 1 of folio)",
                        "call save(page 2 of folio) fails (injected): -12 (-ENOMEM)",
                        "call restore(page 1 of folio)", "call restore(page 0 of folio)"]
    # fail_when picks the call by what it was given
    ex = simulate(code, fail_when=lambda ev: ev.name == "save" and ev.page_indexes() == {1}, fail_value=-5)
    failed = [p for p in ex.paths if any(e.kind == "fail" for e in p.events)]
    assert failed and all(p.returned in (-5,) or not isinstance(p.returned, int) for p in failed)


def test_calls_with_a_pointer_to_a_local_forget_its_value():
    p = only_path("int f(void) { int n = 3; fill(&n); return n; }")
    assert isinstance(p.returned, Unknown)


def test_null_dereference_makes_the_path_infeasible():
    ex = simulate("""
int f(struct foo *p)
{
	if (!p)
		return p->x;
	return 1;
}""")
    assert ex.complete
    assert sorted(p.status for p in ex.paths) == ["infeasible", "returned"]


def test_inline_steps_into_same_file_callees():
    code = """
static int helper(struct page *page)
{
	struct folio *folio = page_folio(page);
	return folio_nr_pages(folio);
}

int caller(struct folio *folio)
{
	return helper(&folio->page);
}"""
    p = only_path(code, inline=True)
    assert p.returned == 4
    assert [e.text for e in p.events if e.kind in ("call", "return")] == [
        "call helper(page 0 of folio), stepping into it", "helper() returns 4", "return 4"]
    assert [e.depth for e in p.events if e.name == "page_folio"] == [1]
    p = only_path(code)  # not inlined: an event returning an unknown
    assert isinstance(p.returned, Unknown)


def test_preprocessor_branches_fork():
    ex = simulate("""
int f(void)
{
	int x = 0;
#ifdef CONFIG_ARM64_MTE
	x = 1;
#else
	x = 2;
#endif
	return x;
}""")
    assert ex.complete and sorted(p.returned for p in ex.paths) == [1, 2]


def test_iterator_macro_gives_fresh_elements():
    ex = simulate("""
int f(struct list_head *folios)
{
	struct folio *folio;
	long n = 0;

	list_for_each_entry(folio, folios, lru)
		n += folio_nr_pages(folio);
	return n;
}""")
    assert ex.complete
    assert sorted(p.returned for p in ex.paths) == [0, 4, 8]


def test_unparsed_code_is_noted_as_an_approximation():
    ex = simulate("""
int f(void)
{
	int x = 1;
	x = = 3;
	return x;
}""")
    assert ex.approximations and ex.approximations[0].startswith("line 5:")


# -- budgets: never hang ----------------------------------------------------------

@pytest.mark.parametrize("code, why", [
    ("int f(void) { for (;;) ; }", "step limit"),
    ("int f(void) { while (1) { spin(); } }", "step limit"),
    ("int f(void) { again: tick(); goto again; }", "step limit"),
    ("int f(int n) { return f(n - 1) + 1; }", "call depth limit"),
])
def test_runaway_code_ends_inconclusive_quickly(code, why):
    started = time.perf_counter()
    ex = simulate(code, inline=True)
    assert time.perf_counter() - started < 5
    assert not ex.complete
    assert why in ex.reason


def test_loop_on_unknowns_is_bounded_not_endless():
    ex = simulate("int f(void) { int i = 0; while (more(i)) i++; return i; }")
    assert ex.complete
    # exits after 0..6 iterations, and one path stopped at the bound (nr + 2 = 6)
    assert sorted(p.returned for p in ex.paths if p.status == "returned") == [0, 1, 2, 3, 4, 5, 6]
    assert [p.status for p in ex.paths].count("bounded") == 1
    assert ex.bounds == ["line 1: a loop on unknown values explored up to 6 iterations"]


def test_path_limit_is_reported():
    code = "int f(void) { int n = 0;" + "".join(f"if (g{i}()) n++;" for i in range(10)) + "return n; }"
    ex = simulate(code, max_paths=16)
    assert not ex.complete and len(ex.paths) == 16
    assert ex.reason.startswith("path limit (16) reached")
    full = simulate(code, max_paths=2048)
    assert full.complete and len(full.paths) == 1024


def test_time_limit_is_reported():
    code = "int f(void) { int n = 0;" + "".join(f"if (g{i}()) n++;" for i in range(14)) + "return n; }"
    ex = simulate(code, max_paths=10**6, max_seconds=0.2)
    assert not ex.complete and "time limit" in ex.reason


def test_deep_nesting_ends_cleanly():
    depth = 3000
    code = "int f(void) { return " + "(" * depth + "1" + ")" * depth + "; }"
    ex = simulate(code)
    assert ex.paths  # answered one way or the other, no exception
    assert ex.complete or "nested too deeply" in ex.reason


def test_names_of_constants_are_distinct_values():
    ex = simulate("""
int f(int mode)
{
	if (mode == SGP_READ)
		return 1;
	if (mode == SGP_WRITE)
		return 2;
	if (mode == SGP_READ)
		return 3;      /* unreachable: mode != SGP_READ here */
	return 4;
}""")
    assert ex.complete
    assert sorted(p.returned for p in ex.paths) == [1, 2, 4]


def test_page_pointer_moved_by_an_unknown_stays_in_its_folio():
    p = only_path("void f(struct folio *folio, long n) { struct page *page = &folio->page; use(page + n); }")
    (page,) = p.events[-2].args
    assert isinstance(page, Page) and page.folio.label == "folio" and isinstance(page.index, Unknown)


def test_struct_holding_an_array_is_copied_whole():
    from folint.sim.values import Array, Struct

    inner = Array([1, Struct("x", {"v": 2})])
    s = Struct("name", {"buf": inner})
    c = s.copy()
    c.fields["buf"].items[0] = 9
    c.fields["buf"].items[1].fields["v"] = 8
    assert inner.items[0] == 1 and inner.items[1].fields["v"] == 2


def test_a_folio_written_through_a_pointer_is_a_model_folio():
    p = only_path("""
int f(struct inode *inode)
{
	struct folio *folio;
	int err = get_folio(inode, &folio);

	return use_page(&folio->page) + folio_nr_pages(folio);
}""")
    assert calls(p)[1] == "call use_page(page 0 of folio)"


def test_goto_into_an_else_branch_and_an_ifdef():
    code = """
int f(int fast)
{
	int n = 0;

	if (fast) {
		n = 100;
	} else {
		n += 1;
retry:
		n += 10;
	}
	if (n < 30)
		goto retry;
#ifdef CONFIG_X
	if (n < 1000)
		goto out;
	n = -1;
out:
	n += 1000;
#endif
	return n;
}"""
    ex = simulate(code, args={"fast": 0})
    assert ex.complete
    # n: 1 -> 11 -> 21 -> 31; then #ifdef CONFIG_X adds 1000, or not
    assert sorted(p.returned for p in ex.paths) == [31, 1031]


def test_a_pointer_from_a_call_may_be_null():
    ex = simulate("""
int f(struct inode *inode)
{
	struct folio *folio = filemap_get_folio(inode, 0);
	long n = 0;

	if (!folio)
		return -ENOENT;
	while ((folio = next_folio(folio)) != NULL)
		n += folio_nr_pages(folio);
	return n;
}""")
    assert ex.complete
    returned = sorted(p.returned for p in ex.paths if p.status == "returned")
    assert returned[:4] == [-2, 0, 4, 8]
    text = [e.text for p in ex.paths for e in p.events if e.name == "next_folio"]
    assert "call next_folio(folio)" in text


def test_retry_goto_on_unknowns_is_bounded():
    ex = simulate("""
int f(void)
{
	int tries = 0;
retry:
	tries++;
	if (busy())
		goto retry;
	return tries;
}""")
    assert ex.complete
    assert sorted(p.returned for p in ex.paths if p.status == "returned") == [1, 2, 3, 4, 5, 6, 7]
    assert ex.bounds == ["line 8: a goto cycle on unknown values followed up to 6 times"]


def test_clamp_gives_a_bounded_unknown():
    ex = simulate("""
int f(void)
{
	int n = clamp_t(unsigned int, num_cpus(), 1, 128);

	if (n < 1 || n > 128)
		return -1;
	return n == 0 ? 0 : clamp(300, 1, 128);
}""")
    assert ex.complete and [p.returned for p in ex.paths] == [128]


def test_step_budget_of_the_whole_run_is_reported():
    code = "int f(void) { int n = 0;" + "".join(f"if (g{i}()) n++;" for i in range(14)) + "return n; }"
    ex = simulate(code, max_paths=10**6, max_total_steps=5000)
    assert not ex.complete
    assert ex.reason.startswith("step budget (5000 for the whole run) spent")
    assert sum(p.steps for p in ex.paths) <= 5000 + 1


# -- C integer widths -------------------------------------------------------------

def test_unsigned_arithmetic_wraps_so_no_value_grows_past_64_bits():
    started = time.perf_counter()
    p = only_path("""
unsigned long f(void)
{
	unsigned long x = 3;
	int k;
	for (k = 0; k < 40; k++)
		x = x * x;
	return x;
}""")
    assert time.perf_counter() - started < 2.0
    assert p.returned == pow(3, 2 ** 40, 2 ** 64)


def test_integer_types_wrap_or_overflow_as_in_c():
    p = only_path("""
int f(void)
{
	unsigned int a = 0xffffffff;
	u8 b = 250;
	unsigned long c = 0;
	int d = 0x7fffffff;
	bool e = 7;
	unsigned long m = ~0UL;
	a++;                     /* 0 */
	b += 10;                 /* 4 */
	c--;                     /* 2**64 - 1 */
	d *= 2;                  /* signed overflow: unknown */
	return (a == 0) + (b == 4) * 10 + (c == -1) * 100 + (c > 0) * 1000 + (e == 1) * 10000
		+ (m == 0xffffffffffffffff) * 100000;
}""")
    assert p.returned == 111111
    q = only_path("""
long f(void)
{
	int d = 0x7fffffff;
	d *= 2;
	return d;
}""")
    assert isinstance(q.returned, Unknown) and "overflows int" in q.returned.desc


def test_untyped_locations_hold_64_bit_values_only():
    p = only_path("""
long f(struct thing *t)
{
	int k;
	t->x = 3;
	for (k = 0; k < 40; k++)
		t->x = t->x * t->x;
	return 7;
}""")
    assert p.returned == 7


def test_bug_on_a_true_condition_ends_the_path_as_infeasible():
    code = """
int f(struct req *r, unsigned int off)
{
	if (r->direct)
		return 1;
	BUG_ON(off != 0);
	VM_BUG_ON(off != 0);
	consume(off);
	return 0;
}"""
    ex = simulate(code, args={"off": 4})
    assert ex.complete and [p.returned for p in ex.feasible] == [1]
    stopped = next(p for p in ex.paths if p.status == "infeasible")
    assert "BUG_ON(off != 0) is true" in stopped.reason
    # a false condition, or VM_BUG_ON (compiled out without CONFIG_DEBUG_VM), goes on
    ex = simulate(code, args={"off": 0})
    assert sorted(p.returned for p in ex.feasible) == [0, 1]
    ex = simulate(code.replace("\tBUG_ON(off != 0);\n", ""), args={"off": 4})
    assert sorted(p.returned for p in ex.feasible) == [0, 1]
