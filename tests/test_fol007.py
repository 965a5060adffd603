"""FOL007 err-ptr-lookup-checked-for-null: the facts decide, the fix, a 6.12 function with the bug put back."""

import json
from pathlib import Path

from conftest import planted_copy, rule_report, FIXTURES
from folint.config import Config
from folint.runner import RunOptions, run
from test_fixtures import expectations

FAKE_61 = FIXTURES / "facts" / "tree-6.1"


def test_a_61_tree_flags_only_the_lookups_its_headers_say_return_err_ptr():
    result = run([str(FAKE_61 / "fs")], Config(), RunOptions(jobs=1, select=["FOL007"], simulate=False))
    assert not result.errors
    found = {(str(Path(f.path).relative_to(FAKE_61 / "fs")), f.line, f.code) for f in result.findings}
    expected, _, _ = expectations("facts/tree-6.1/fs")
    assert found == set(expected)
    (f,) = result.findings
    assert "from include/linux/pagemap.h:28 (returns read_cache_folio())" in f.message


def test_without_a_tree_the_message_names_the_builtin_table():
    result = run([str(FIXTURES / "FOL007" / "fix_null_checks.c")], Config(),
                 RunOptions(jobs=1, select=["FOL007"], simulate=False))
    assert result.findings and all("from built-in table for 6.12" in f.message for f in result.findings)


EXT4 = "fs/ext4/inode.c"
CORRECT = "\t\tif (IS_ERR(folio))\n\t\t\treturn;\n\t\tret = __ext4_journalled_invalidate_folio("


def check(capsys, path):
    return rule_report(capsys, path, "FOL007")


def test_the_612_form_is_clean_and_the_null_test_put_back_is_found(capsys, tmp_path):
    original, buggy = planted_copy(tmp_path, EXT4, CORRECT, CORRECT.replace("IS_ERR(folio)", "!folio"))
    code, data = check(capsys, original)
    assert code == 0 and data["findings"] == []
    code, data = check(capsys, buggy)
    assert code == 1
    (f,) = data["findings"]
    assert f["function"] == "ext4_wait_for_tail_page_commit" and "filemap_lock_folio()" in f["message"]
    assert f["verdict"] == "confirmed" and "passes it to folio_size()" in f["evidence"]


def test_a_lookup_that_returns_null_or_an_error_by_its_flags_is_left_alone(tmp_path):
    from folint.facts.engine import facts_for_root

    facts = facts_for_root(FAKE_61, cache=False)
    assert facts.get("lookup_returns")["demo_get_stable"] == "err_ptr_or_null"
    result = run([str(FAKE_61 / "mm" / "ksm.c")], Config(), RunOptions(jobs=1, select=["FOL007"], cache=False))
    assert result.findings == []


def test_the_oracle_confirms_on_the_error_pointer_reaching_a_dereference():
    """Issue 8: "the error pointer reaching a dereference": the witness is the simulator's
    "use" event of the model error pointer, and the trace ends at it."""
    from folint.checker import check_source
    from folint.selection import build_rules

    path = FIXTURES / "FOL007" / "dereferenced.c"
    result = check_source(str(path), path.read_bytes(), build_rules(Config(), ["FOL007"]), simulate=True)
    first, second = result.findings
    assert first.verdict == "confirmed" and first.evidence.endswith("line 12 dereferences it (->index)")
    assert first.trace[-1] == {"line": 12, "event": "use ERR_PTR(-2 (-ENOENT)): ->index"}
    assert second.verdict == "confirmed" and "line 22 dereferences it" in second.evidence
    assert "fails (injected): ERR_PTR(-2 (-ENOENT))" in second.trace[0]["event"]


def test_stdin_and_kbuild_read_the_facts_of_the_tree_the_file_is_in(capsys, monkeypatch):
    """A 6.1 file checked through stdin (an editor) or kbuild (make C=1) is judged by its
    tree's facts, as a file check is: its filemap_lock_folio()/filemap_get_folio() NULL tests
    are right (both were flagged from the built-in 6.12 table: 6.1 fs/ext4/inode.c:5460
    ext4_wait_for_tail_page_commit), read_mapping_folio()'s NULL test is still found."""
    import io
    import re

    from folint.cli import main

    lookups = FAKE_61 / "fs" / "lookups.c"
    expected, _, _ = expectations("facts/tree-6.1/fs")
    want = sorted(line for (path, line, _code) in expected if path == "lookups.c")
    assert want, "the fake 6.1 tree lost its FOL007 look-alike"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lookups.read_bytes())))
    code = main(["-", "--stdin-filename", str(lookups), "--select", "FOL007", "--format", "json", "--no-cache"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and sorted(f["line"] for f in data["findings"]) == want, data["findings"]
    assert all("from include/linux/pagemap.h" in f["message"] for f in data["findings"])
    code = main(["kbuild", "-D__KERNEL__", "--select=FOL007", "--no-simulate", str(lookups)])
    err = capsys.readouterr().err
    assert code == 0 and sorted(int(n) for n in re.findall(r"lookups\.c:(\d+):\d+: warning", err)) == want, err


def test_paths_in_two_trees_are_one_clear_error(capsys, tmp_path):
    """One run reads one tree's facts: with a 6.12-style tree named first, the 6.1 tree's
    right NULL tests were flagged from the 6.12 facts (6.12 mm/ksm.c with 6.1
    fs/ext4/inode.c).  Two trees are now refused in one line; two paths of one tree are fine."""
    import shutil

    from folint.cli import main

    other = tmp_path / "other-tree"
    shutil.copytree(FAKE_61, other)
    lookups = FAKE_61 / "fs" / "lookups.c"
    code = main([str(other / "mm"), str(lookups), "--select", "FOL007", "--no-simulate"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "are in two kernel trees" in err
    assert f"({other} and {FAKE_61})" in err and "check each tree in its own run" in err
    code = main([str(lookups), str(FAKE_61 / "mm"), "--select", "FOL007", "--no-simulate", "-q"])
    out, _ = capsys.readouterr()
    assert code == 1 and out.count("[FOL007]") == 1
