"""Each rule's oracle: confirmed on the model bugs, refuted on look-alikes the static
rule flags but that are correct, inconclusive (with the reason) when the budget runs out."""

import pytest

from folint.checker import check_source
from folint.config import Config
from folint.selection import build_rules


def verdicts(code: str, rule: str):
    rules = build_rules(Config(), [rule])
    result = check_source("t.c", code.encode(), rules, simulate=True)
    assert not result.errors, [str(e) for e in result.errors]
    return [(f.line, f.verdict, f.evidence, f.trace) for f in result.findings if f.code == rule]


def one(code: str, rule: str):
    found = verdicts(code, rule)
    assert len(found) == 1, found
    return found[0]


# -- FOL001 --------------------------------------------------------------------------

FOL001_BUG = """
int arch_prepare_to_swap(struct folio *folio)
{
	long i, nr;

	if (!system_supports_mte())
		return 0;
	nr = folio_nr_pages(folio);
	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
"""


def test_fol001_confirmed_on_the_mte_bug():
    line, verdict, evidence, trace = one(FOL001_BUG, "FOL001")
    assert verdict == "confirmed"
    assert evidence == ("4-page folio: mte_save_tags() reached page 0 only, then the loop returned at line 10; "
                        "pages 1-3 never")
    assert {"line": 10, "event": "call mte_save_tags(page 0 of folio)"} in trace


@pytest.mark.parametrize("exit_stmt", ["break;", "goto out;"])
def test_fol001_confirmed_for_break_and_goto(exit_stmt):
    code = f"""
int f(struct folio *folio)
{{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++) {{
		clear_highpage(folio_page(folio, i));
		{exit_stmt}
	}}
out:
	return 0;
}}
"""
    _, verdict, evidence, _ = one(code, "FOL001")
    assert verdict == "confirmed", evidence
    assert "clear_highpage() reached page 0 only" in evidence


def test_fol001_refuted_when_an_inner_loop_covers_every_page():
    code = """
static int flush_once(struct folio *folio)
{
	long i, j, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++) {
		for (j = 0; j < nr; j++)
			flush_dcache_page(folio_page(folio, j));
		return 0;
	}
	return 0;
}
"""
    _, verdict, evidence, _ = one(code, "FOL001")
    assert verdict == "refuted", evidence
    assert evidence == "with a 4-page folio every path reaches all pages before the loop ends (1 path explored)"


def test_fol001_refuted_when_only_single_page_folios_reach_the_loop():
    code = """
static int save_small(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	if (folio_test_large(folio))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
"""
    _, verdict, evidence, _ = one(code, "FOL001")
    assert verdict == "refuted", evidence
    assert evidence.startswith("with a 4-page folio no path reaches this loop")


def test_fol001_refuted_within_the_bound_of_a_wait_loop():
    code = """
static int flush_after_wait(struct folio *folio)
{
	long i, j, nr = folio_nr_pages(folio);

	while (!tags_ready(folio))
		cpu_relax();
	for (i = 0; i < nr; i++) {
		for (j = 0; j < nr; j++)
			flush_dcache_page(folio_page(folio, j));
		return 0;
	}
	return 0;
}
"""
    _, verdict, evidence, _ = one(code, "FOL001")
    assert verdict == "refuted"
    assert evidence == ("with a 4-page folio every path reaches all pages before the loop ends "
                        "(4 paths explored; line 6: loop on unknown values up to 2 iterations)")


def test_fol001_inconclusive_with_the_reason_when_paths_run_out():
    checks = "".join(f"\tif (check{k}(folio))\n\t\tnote{k}();\n" for k in range(10))
    code = f"""
static int flush_checked(struct folio *folio)
{{
	long i, j, nr = folio_nr_pages(folio);

{checks}	for (i = 0; i < nr; i++) {{
		for (j = 0; j < nr; j++)
			flush_dcache_page(folio_page(folio, j));
		return 0;
	}}
	return 0;
}}
"""
    _, verdict, evidence, _ = one(code, "FOL001")
    assert verdict == "inconclusive"
    assert evidence.startswith("simulation incomplete: path limit (256) reached")


# -- FOL002 --------------------------------------------------------------------------

FOL002_BUG = """
void arch_swap_restore(swp_entry_t entry, struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	if (!system_supports_mte())
		return;
	for (i = 0; i < nr; i++)
		mte_restore_tags(entry, folio_page(folio, i));
}
"""


def test_fol002_confirmed_on_the_mte_bug():
    _, verdict, evidence, trace = one(FOL002_BUG, "FOL002")
    assert verdict == "confirmed"
    assert evidence == ("4-page folio: mte_restore_tags() got the same entry base+0 with page 0 of folio "
                        "and with page 1 of folio")
    assert [s["event"] for s in trace if s["event"].startswith("call mte")] == [
        f"call mte_restore_tags(entry base+0, page {i} of folio)" for i in range(4)]


def test_fol002_confirmed_with_the_folio_swap_field():
    code = """
static int record_pages(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);
	int err = 0;

	for (i = 0; i < nr; i++) {
		err = swap_map_record(folio->swap, folio_page(folio, i));
		if (err)
			break;
	}
	return err;
}
"""
    _, verdict, evidence, _ = one(code, "FOL002")
    assert verdict == "confirmed"
    assert "entry folio->swap+0" in evidence


def test_fol002_refuted_when_only_the_first_page_gets_the_entry():
    code = """
static void note_head(swp_entry_t entry, struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++) {
		if (i == 0)
			swap_note(entry, folio_page(folio, i));
		else
			clear_highpage(folio_page(folio, i));
	}
}
"""
    _, verdict, evidence, _ = one(code, "FOL002")
    assert verdict == "refuted", evidence
    assert "never got one swap entry with two different pages" in evidence


# -- FOL005 --------------------------------------------------------------------------

def test_fol005_confirmed_on_the_head_page_in_a_loop():
    code = """
static void flush_folio_pages(struct folio *folio)
{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		flush_dcache_page(&folio->page);
}
"""
    _, verdict, evidence, _ = one(code, "FOL005")
    assert verdict == "confirmed"
    assert evidence == "4-page folio: flush_dcache_page() got page 0 of folio in iterations 1-4; pages 1-3 never"


def test_fol005_confirmed_with_a_page_taken_before_the_loop():
    code = """
static int save_from_page(struct page *page)
{
	struct folio *folio = page_folio(page);
	long i, nr = folio_nr_pages(folio);
	int err;

	for (i = 0; i < nr; i++) {
		err = mte_save_tags(page);
		if (err)
			return err;
	}
	return 0;
}
"""
    _, verdict, evidence, _ = one(code, "FOL005")
    assert verdict == "confirmed"
    assert "mte_save_tags() got page 0 of folio in iterations 1-4" in evidence


def test_fol005_refuted_when_the_head_page_is_used_once():
    code = """
static void flush_pages(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++) {
		if (i == 0)
			flush_dcache_page(&folio->page);
		else
			flush_dcache_page(folio_page(folio, i));
	}
}
"""
    _, verdict, evidence, _ = one(code, "FOL005")
    assert verdict == "refuted", evidence


# -- plumbing ---------------------------------------------------------------------------

def test_no_simulation_leaves_findings_unverified():
    rules = build_rules(Config(), ["FOL001"])
    result = check_source("t.c", FOL001_BUG.encode(), rules, simulate=False)
    assert [f.verdict for f in result.findings] == ["unverified"]


def test_a_broken_oracle_is_one_error_line_and_an_inconclusive_verdict(monkeypatch):
    rules = build_rules(Config(), ["FOL001"])

    def boom(self, finding, sim):
        raise ValueError("bad oracle")

    monkeypatch.setattr(type(rules[0]), "oracle", boom)
    result = check_source("t.c", FOL001_BUG.encode(), rules, simulate=True)
    assert [f.verdict for f in result.findings] == ["inconclusive"]
    assert len(result.errors) == 1
    assert "FOL001 simulation: internal error ValueError: bad oracle" in result.errors[0].message


def test_a_rule_without_an_oracle_stays_unverified():
    from folint.rule import Rule

    rules = build_rules(Config(), ["FOL001"])
    cls = type(rules[0])
    sub = type("NoOracle", (cls,), {"oracle": Rule.oracle})
    result = check_source("t.c", FOL001_BUG.encode(), [sub()], simulate=True)
    assert [f.verdict for f in result.findings] == ["unverified"]


def test_refuted_findings_are_hidden_and_counted(tmp_path):
    from folint.runner import RunOptions, run

    (tmp_path / "a.c").write_text(FOL001_BUG + """
static int save_small(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	if (folio_test_large(folio))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
""")
    hidden = run([str(tmp_path)], Config(), RunOptions(select=["FOL001"], jobs=1, simulate=True))
    assert [f.verdict for f in hidden.findings] == ["confirmed"] and hidden.refuted == 1
    shown = run([str(tmp_path)], Config(), RunOptions(select=["FOL001"], jobs=1, simulate=True, show_refuted=True))
    assert sorted(f.verdict for f in shown.findings) == ["confirmed", "refuted"]
