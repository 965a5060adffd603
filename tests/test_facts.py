"""The API facts engine: read from a fake kernel tree, the built-in tables, the cache,
the hook, the command, and the 6.1 / 6.12 difference on the real trees."""

import json
import shutil
from pathlib import Path

import pytest

import folint
from conftest import FIXTURES
from folint.cli import main
from folint.facts import FactKind, Reading
from folint.facts.engine import build_registry, facts_for_root, facts_for_targets
from folint.facts.tree import find_tree_root, tree_version
from folint.plugins import plugin_manager

FAKE = FIXTURES / "facts" / "tree-6.1"
REAL = {v: Path(f"/tmp/linux/linux-source-{v}") for v in ("6.1", "6.12")}


def real_or_skip(version):
    if not (REAL[version] / "include/linux/pagemap.h").is_file():
        pytest.skip(f"no linux {version} tree at {REAL[version]} (apt-get install linux-source-{version})")
    return REAL[version]


def test_the_tree_root_is_found_from_a_folder_or_file_inside_it():
    assert find_tree_root(FAKE / "mm" / "filemap.c") == FAKE.resolve()
    assert find_tree_root(FAKE / "include" / "linux") == FAKE.resolve()
    assert find_tree_root(FIXTURES / "FOL001") is None
    assert tree_version(FAKE) == "6.1"


def test_facts_are_read_from_the_fake_tree_with_their_lines(tmp_path):
    facts = facts_for_targets([str(FAKE / "mm")], cache_dir=str(tmp_path))
    assert facts.root == str(FAKE.resolve()) and facts.version == "6.1"
    returns = facts.get("lookup_returns")
    assert returns["filemap_lock_folio"] == "null"          # its kerneldoc Return: line
    assert returns["__filemap_get_folio"] == "null"         # its own return statements
    assert returns["filemap_get_folio"] == "null"           # it returns __filemap_get_folio()
    assert returns["read_mapping_folio"] == "err_ptr"       # it returns read_cache_folio()
    assert facts.where("lookup_returns", "filemap_lock_folio") == "include/linux/pagemap.h:5 (kerneldoc Return:)"
    assert facts.where("lookup_returns", "read_mapping_folio").startswith("include/linux/pagemap.h:28 (returns")
    assert facts.source("lookup_returns") == "include/linux/pagemap.h, mm/filemap.c, mm/ksm.c"
    flags = [f["flag"] for f in facts.get("per_page_flags")]
    assert flags == ["anon_exclusive", "hwpoison", "scribbled"]   # private is PF_ANY but kept per folio
    assert facts.where("per_page_flags", "hwpoison") == "include/linux/page-flags.h:10"
    assert facts.get("mapped_shared_helper") == {"name": "folio_estimated_sharers", "returns": "count"}
    assert "folio_test_large" in facts.get("folio_helpers")
    assert not facts.fact("lookup_returns").builtin


def test_without_a_tree_the_builtin_table_is_used_and_says_so(tmp_path):
    facts = facts_for_targets([str(FIXTURES / "FOL001")], cache_dir=str(tmp_path))
    assert facts.root is None
    assert facts.source("lookup_returns") == "built-in table for 6.12"
    assert facts.get("lookup_returns")["filemap_lock_folio"] == "err_ptr"
    assert facts.get("mapped_shared_helper")["name"] == "folio_likely_mapped_shared"


def test_a_file_the_tree_lacks_falls_back_to_the_table_of_its_version(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FAKE, tree)
    (tree / "include/linux/page-flags.h").unlink()
    facts = facts_for_root(tree, cache=False)
    assert facts.fact("per_page_flags").builtin
    assert facts.source("per_page_flags").startswith("built-in table for 6.1 ")
    assert not facts.fact("lookup_returns").builtin


def test_the_cache_is_keyed_by_the_content_of_the_files_read(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FAKE, tree)
    cache = tmp_path / "cache"
    first = facts_for_root(tree, cache_dir=str(cache))
    assert (cache / "facts-v1.sqlite3").is_file()
    again = facts_for_root(tree, cache_dir=str(cache))
    assert again.get("lookup_returns") == first.get("lookup_returns")
    pagemap = tree / "include/linux/pagemap.h"
    pagemap.write_text(pagemap.read_text().replace("%NULL if there is no folio", "ERR_PTR(-ENOENT) if there is no folio"))
    changed = facts_for_root(tree, cache_dir=str(cache))
    assert changed.get("lookup_returns")["filemap_lock_folio"] == "err_ptr"
    assert changed.get("lookup_returns")["filemap_get_folio"] == "null"


class FactPack:
    @folint.hookimpl
    def folint_api_facts(self, registry):
        registry.add(FactKind("scribble_helpers", "made-up helpers", ("include/linux/mm.h",),
                              lambda files: Reading(["scribble"], {"scribble": "include/linux/mm.h:1"})
                              if b"folio_mapcount" in files.get("include/linux/mm.h", b"") else None,
                              {"6.12": []}))


def test_a_rule_pack_adds_a_fact_through_the_hook(tmp_path):
    pm = plugin_manager()
    pack = FactPack()
    pm.register(pack)
    try:
        facts = facts_for_root(FAKE, cache_dir=str(tmp_path))
        assert facts.get("scribble_helpers") == ["scribble"]
        assert facts.source("scribble_helpers") == "include/linux/mm.h"
        assert "scribble_helpers" in build_registry()
    finally:
        pm.unregister(pack)
    assert "scribble_helpers" not in build_registry()


def test_rules_are_built_with_the_facts_of_the_run(tmp_path):
    from folint.config import Config
    from folint.selection import build_rules

    facts = facts_for_root(FAKE, cache=False)
    rules = build_rules(Config(), facts=facts)
    assert rules and all(r.facts is facts for r in rules)
    assert all(r.facts.root is None for r in build_rules(Config()))


def test_folint_facts_prints_each_fact_with_its_source(capsys, tmp_path):
    assert main(["facts", str(FAKE), "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tree: " in out and "(version 6.1)" in out
    assert "filemap_lock_folio" in out and "include/linux/pagemap.h:5 (kerneldoc Return:)" in out
    assert main(["facts", "--builtin", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tree"] is None and data["facts"]["lookup_returns"]["source"] == "built-in table for 6.12"
    assert main(["facts", str(tmp_path)]) == 2
    assert "not inside a kernel tree" in capsys.readouterr().err


def test_61_and_612_differ_as_the_kernel_did(tmp_path):
    old = facts_for_root(real_or_skip("6.1"), cache_dir=str(tmp_path))
    new = facts_for_root(real_or_skip("6.12"), cache_dir=str(tmp_path))
    # "mm: return an ERR_PTR from __filemap_get_folio" (6.4)
    for name in ("__filemap_get_folio", "filemap_get_folio", "filemap_lock_folio"):
        assert old.get("lookup_returns")[name] == "null" and new.get("lookup_returns")[name] == "err_ptr"
    assert old.get("lookup_returns")["read_mapping_folio"] == new.get("lookup_returns")["read_mapping_folio"] == "err_ptr"
    assert "filemap_grab_folio" not in old.get("lookup_returns")
    assert old.get("mapped_shared_helper")["name"] == "folio_estimated_sharers"
    assert new.get("mapped_shared_helper")["name"] == "folio_likely_mapped_shared"
    for facts in (old, new):
        assert [f["flag"] for f in facts.get("per_page_flags")] == ["anon_exclusive", "hwpoison"]


@pytest.mark.parametrize("version", ["6.1", "6.12"])
def test_the_builtin_tables_are_what_the_real_trees_say(version, tmp_path):
    from folint.facts import lookups, tables

    facts = facts_for_root(real_or_skip(version), cache=False)
    read = facts.get("lookup_returns")
    assert {k: v for k, v in read.items() if k in lookups.PUBLIC} == tables.LOOKUP_RETURNS[version]
    assert facts.get("folio_helpers") == tables.FOLIO_HELPERS[version]
    for kind in build_registry():
        if kind.name not in ("lookup_returns", "folio_helpers"):
            assert facts.get(kind.name) == kind.builtin[version], kind.name
