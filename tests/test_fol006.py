"""FOL006 page-api-on-folio: the table, its extensions, the messages and when a fix is offered."""

import textwrap

import pytest

import folint
from conftest import kernel_tree_or_skip
from folint.cli import main
from folint.config import Config, ConfigError, load_config
from folint.plugins import plugin_manager
from folint.runner import RunOptions, run
from folint.selection import build_rules
from folint_rules.fol006_page_api_on_folio import EXACTNESS, builtin_table, page_api_table


def check(tmp_path, code, config=None, name="t.c"):
    f = tmp_path / name
    f.write_text(textwrap.dedent(code))
    result = run([str(f)], config or Config(), RunOptions(jobs=1, select=["FOL006"]))
    assert not result.errors, [str(e) for e in result.errors]
    return result.findings


def fixes_of(findings, config=None):
    from folint.fixes import collect_fixes

    return collect_fixes(findings, build_rules(config or Config(), ["FOL006"])).fixes


def test_builtin_table_is_data_with_the_pairs_the_issue_names():
    table = builtin_table()
    assert len(table) >= 40
    assert all(p.exact in EXACTNESS for p in table)
    pairs = {p.page: p.folio for p in table}
    for page, folio in [("lock_page", "folio_lock"), ("unlock_page", "folio_unlock"), ("put_page", "folio_put"),
                        ("get_page", "folio_get"), ("set_page_dirty", "folio_mark_dirty"),
                        ("SetPageUptodate", "folio_mark_uptodate"), ("PageDirty", "folio_test_dirty"),
                        ("wait_on_page_writeback", "folio_wait_writeback"),
                        ("end_page_writeback", "folio_end_writeback"), ("flush_dcache_page", "flush_dcache_folio"),
                        ("mark_page_accessed", "folio_mark_accessed"), ("page_mapping", "folio_mapping"),
                        ("kmap_local_page", "kmap_local_folio")]:
        assert pairs[page] == folio
    assert len(pairs) == len(table), "a page API is listed twice"


def test_exactness_decides_what_a_tail_page_reports(tmp_path):
    found = check(tmp_path, """\
        void f(struct folio *folio, long i)
        {
                lock_page(folio_page(folio, i));          /* any-page: reported */
                kmap_local_page(folio_page(folio, i));    /* head-page: per-page work, fine */
                SetPageUptodate(folio_page(folio, i));    /* head-page */
        }
        """)
    assert [f.line for f in found] == [3]
    assert "may not be its head page" in found[0].message
    assert fixes_of(found) == []


def test_maybe_tail_can_be_switched_off(tmp_path):
    cfg = tmp_path / ".folint.toml"
    cfg.write_text('[rules.FOL006]\nmaybe-tail = false\n')
    found = check(tmp_path, """\
        void f(struct page *page)
        {
                struct folio *folio = page_folio(page);

                lock_page(page);
                folio_mark_dirty(folio);
        }
        """, load_config(cfg))
    assert found == []


def test_messages_say_what_to_use_and_why(tmp_path):
    found = check(tmp_path, """\
        void f(struct folio *folio)
        {
                SetPageUptodate(&folio->page);
                flush_dcache_page(&folio->page);
                put_page(&folio->page);
        }
        """)
    uptodate, flush, put = (f.message for f in found)
    assert uptodate == ("SetPageUptodate(&folio->page) on a folio's page ('&folio->page' is the head page of "
                        "'folio'): use folio_mark_uptodate(folio)")
    assert "covers page 0 of 'folio' only" in flush and "flush_dcache_folio(folio) covers every page" in flush
    assert "use folio_put(folio)" in put and "ZONE_DEVICE" in put
    assert [fx.title for fx in fixes_of(found)] == ["SetPageUptodate(&folio->page) -> folio_mark_uptodate(folio)"]


def test_folio_written_between_page_and_call_gets_no_fix(tmp_path):
    found = check(tmp_path, """\
        void f(struct folio *folio, struct folio *other)
        {
                struct page *page = &folio->page;

                folio = other;
                unlock_page(page);
                demo(page);
        }
        """)
    assert len(found) == 1 and "not rewritten automatically" in found[0].message
    assert fixes_of(found) == []


def test_config_page_api_entries_extend_and_override(tmp_path):
    cfg = tmp_path / ".folint.toml"
    cfg.write_text(textwrap.dedent("""\
        [[page-api]]
        page = "demo_page_seal"
        folio = "demo_folio_seal"
        exact = "any-page"

        [[page-api]]
        page = "put_page"
        folio = "folio_put"
        exact = "any-page"
        fix = true
        """))
    config = load_config(cfg)
    found = check(tmp_path, """\
        void f(struct folio *folio)
        {
                demo_page_seal(&folio->page, 3);
                put_page(&folio->page);
        }
        """, config)
    assert [f.message.split(":")[-1].strip() for f in found] == ["use demo_folio_seal(folio, 3)", "use folio_put(folio)"]
    assert [fx.edits[0].new for fx in fixes_of(found, config)] == ["demo_folio_seal(folio, 3)", "folio_put(folio)"]


@pytest.mark.parametrize("entry, complaint", [
    ('page = "a"\nfolio = "b"\nexact = "sometimes"', "'exact' must be one of any-page, head-page, whole-folio"),
    ('page = "a b"\nfolio = "b"', "'page' must be a function name"),
    ('page = "a"\nfolio = "b"\ncolour = 1', "unknown key(s) colour"),
    ('page = "a"\nfolio = "b"\ntemplate = "b()"', "'template' must be a string containing {folio}"),
    ('page = "a"\nfolio = "b"\npage-arg = -1', "'page-arg' must be an argument number"),
])
def test_bad_page_api_entry_is_one_line_exit_2(tmp_path, capsys, entry, complaint):
    cfg = tmp_path / ".folint.toml"
    cfg.write_text("[[page-api]]\n" + entry + "\n")
    (tmp_path / "t.c").write_text("void f(void) {}\n")
    code = main(["--no-simulate", str(tmp_path / "t.c")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and complaint in err and "[[page-api]] 1" in err
    with pytest.raises(ConfigError):
        page_api_table(load_config(cfg))


class DemoPack:
    @folint.hookimpl
    def folint_page_api_table(self):
        return [{"page": "demo_page_pin", "folio": "demo_folio_pin", "exact": "head-page"}]


def test_plugins_extend_the_table_through_the_hook(tmp_path):
    pm = plugin_manager()
    plugin = DemoPack()
    pm.register(plugin)
    try:
        assert page_api_table()["demo_page_pin"].folio == "demo_folio_pin"
        found = check(tmp_path, "void f(struct folio *folio) { demo_page_pin(folio_page(folio, 0)); }\n")
        assert [fx.edits[0].new for fx in fixes_of(found)] == ["demo_folio_pin(folio)"]
    finally:
        pm.unregister(plugin)
    assert "demo_page_pin" not in page_api_table()


def test_explain_documents_the_rule(capsys):
    assert main(["explain", "FOL006"]) == 0
    doc = capsys.readouterr().out
    for part in ("What it does:", "Why it is wrong:", "Example:", "Use instead:"):
        assert part in doc


def test_real_tree_head_page_findings_are_fixable():
    tree = kernel_tree_or_skip()
    result = run([str(tree / "mm" / "filemap.c"), str(tree / "fs" / "isofs" / "compress.c")], Config(),
                 RunOptions(jobs=1, select=["FOL006"]))
    fixable = fixes_of(result.findings)
    assert {fx.title for fx in fixable} >= {"PageHWPoison(page) -> folio_test_hwpoison(folio)",
                                            "SetPageUptodate(page) -> folio_mark_uptodate(folio)"}
