"""FOL004 per-page-failure-without-rollback: evidence, handled exits, the oracle, a real tree."""

import re
import textwrap

import pytest

from conftest import kernel_tree_or_skip
from folint.cli import main
from folint.config import Config, load_config
from folint.runner import RunOptions, run

UNCHECKED_COPY = """\
int copy_all(struct folio *dst, struct folio *src)
{
        long i, nr = folio_nr_pages(src);

        for (i = 0; i < nr; i++)
                if (demo_copy_page(folio_page(dst, i), folio_page(src, i)))
                        return -EIO;
        return 0;
}
"""


def check(tmp_path, code, config=None, simulate=False):
    f = tmp_path / "t.c"
    f.write_text(textwrap.dedent(code))
    result = run([str(f)], config or Config(), RunOptions(jobs=1, select=["FOL004"], simulate=simulate,
                                                          show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    return result.findings


def test_no_evidence_no_finding(tmp_path):
    """A failed copy leaves nothing to undo: without a known pair or a rollback, silence."""
    assert check(tmp_path, UNCHECKED_COPY) == []


def test_undo_pairs_from_the_config_are_evidence(tmp_path):
    cfg = tmp_path / ".folint.toml"
    cfg.write_text('[rules.FOL004]\nundo = { demo_copy_page = ["demo_uncopy_page"] }\n')
    found = check(tmp_path, UNCHECKED_COPY, load_config(cfg))
    assert [f.line for f in found] == [7]
    assert "demo_copy_page() is undone by demo_uncopy_page()" in found[0].message


def test_bad_undo_option_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / ".folint.toml").write_text('[rules.FOL004]\nundo = ["x"]\n')
    (tmp_path / "t.c").write_text(UNCHECKED_COPY)
    assert main(["--no-simulate", str(tmp_path / "t.c")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[rules.FOL004] undo must be a table" in err


def test_message_names_the_call_the_exit_and_the_undo(tmp_path):
    found = check(tmp_path, """\
        int save(struct folio *folio)
        {
                long i, nr = folio_nr_pages(folio);
                int err;

                for (i = 0; i < nr; i++) {
                        err = mte_save_tags(folio_page(folio, i));
                        if (err)
                                return err;
                }
                return 0;
        }
        """)
    (f,) = found
    assert (f.line, f.column, f.function) == (9, 25, "save")
    assert f.message == (
        "mte_save_tags() can fail on page k of 'folio' in save(), and this path returns without undoing pages "
        "0..k-1 (mte_save_tags() is undone by __mte_invalidate_tags()); undo them first, newest first "
        "(`while (i--)` calling __mte_invalidate_tags() for each page done), or return how many pages were done")


@pytest.mark.parametrize("exit_path, flagged", [
    ("return err;", True),
    ('{ pr_err("failed on page %ld\\n", i); return err; }', True),   # logging is not handling
    ("return i;", False),                                          # partial count
    ("return i ? i : err;", False),
    ("{ *done = i; return err; }", False),                         # progress stored for the caller
    ("goto out;", False),                                          # out: undoes through the index
    ("goto plain;", True),                                         # plain: only returns
    ("break;", True),                                              # after the loop: return err
])
def test_which_ways_out_are_handled(tmp_path, exit_path, flagged):
    found = check(tmp_path, f"""\
        int save(struct folio *folio, long *done)
        {{
                long i, nr = folio_nr_pages(folio);
                int err = 0;

                for (i = 0; i < nr; i++) {{
                        err = mte_save_tags(folio_page(folio, i));
                        if (err)
                                {exit_path}
                }}
                return err;
        out:
                while (i--)
                        __mte_invalidate_tags(folio_page(folio, i));
                return err;
        plain:
                return err;
        }}
        """)
    assert bool(found) is flagged


def test_oracle_confirms_with_a_trace_and_refutes_a_page_zero_only_exit(tmp_path):
    found = check(tmp_path, """\
        int save(struct folio *folio)
        {
                long i, nr = folio_nr_pages(folio);
                int err;

                for (i = 0; i < nr; i++) {
                        err = mte_save_tags(folio_page(folio, i));
                        if (err && !i)
                                return err;
                        if (err == -EAGAIN)
                                return err;
                        if (err)
                                goto undo;
                }
                return 0;
        undo:
                while (i--)
                        __mte_invalidate_tags(folio_page(folio, i));
                return err;
        }
        """, simulate=True)
    verdicts = {f.line: f.verdict for f in found}
    assert verdicts == {9: "refuted", 11: "confirmed"}
    confirmed = next(f for f in found if f.verdict == "confirmed")
    assert confirmed.evidence.startswith("4-page folio: mte_save_tags() failed on page 1, the loop left at line 11")
    assert any("mte_save_tags" in step["event"] for step in confirmed.trace)


def test_explain_documents_how_undo_is_decided(capsys):
    assert main(["explain", "FOL004"]) == 0
    doc = capsys.readouterr().out
    for part in ("What it does:", "Why it is wrong:", "Example:", "Use instead:", "must be undone", "handled"):
        assert part in doc


def test_real_mteswap_is_clean_and_the_review_bug_put_back_is_confirmed(tmp_path):
    tree = kernel_tree_or_skip()
    original = (tree / "arch" / "arm64" / "mm" / "mteswap.c").read_text()
    clean = tmp_path / "mteswap.c"
    clean.write_text(original)
    assert run([str(clean)], Config(), RunOptions(jobs=1, select=["FOL004"])).findings == []
    # the version before the review: return on failure instead of rolling back
    broken, n = re.subn(r"if \(err\)\n\t\t\tgoto out;", "if (err)\n\t\t\treturn err;", original)
    assert n == 1
    clean.write_text(broken)
    result = run([str(clean)], Config(), RunOptions(jobs=1, select=["FOL004"], simulate=True))
    assert [(f.function, f.verdict) for f in result.findings] == [("arch_prepare_to_swap", "confirmed")]


def test_mm_arch_fs_of_linux_612_have_no_findings():
    """Measured: merged code rolls back (mteswap.c, khugepaged.c); a regression here is a false positive."""
    tree = kernel_tree_or_skip()
    result = run([str(tree / d) for d in ("mm", "arch", "fs")], Config(),
                 RunOptions(select=["FOL004"], simulate=False))
    assert [f"{f.path}:{f.line}" for f in result.findings] == []
