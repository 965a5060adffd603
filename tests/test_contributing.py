"""CONTRIBUTING.md's "Adding a rule", followed to the letter: the template copied under
a new code and name, one fixture, nothing else edited, gives a working rule that passes
the rule contract and the strict fixture check."""

import re
import shutil

import pytest

import folint_rules
from conftest import ROOT
from folint import ruledoc
from folint.config import Config
from folint.runner import RunOptions, run
from folint.selection import registered_rules

GUIDE = (ROOT / "CONTRIBUTING.md").read_text()


@pytest.fixture
def new_rule(tmp_path, monkeypatch):
    """Steps 1 and 2: the template copied as rules/fol990_demo_rule.py, renamed."""
    pack = tmp_path / "rules"
    pack.mkdir()
    module = pack / "fol990_demo_rule.py"
    text = (ROOT / "rules" / "_template.py").read_text()
    text = text.replace("FOL000", "FOL990").replace("example-rule-name", "demo-rule")
    text = text.replace("class ExampleRuleName", "class DemoRule")
    module.write_text(text)
    # the copy sits beside the built-in rules: same package, found the same way
    monkeypatch.setattr(folint_rules, "__path__", list(folint_rules.__path__) + [str(pack)])
    yield module
    import sys
    sys.modules.pop("folint_rules.fol990_demo_rule", None)


def test_the_guide_names_the_files_it_asks_for():
    for needle in ("rules/_template.py", "fixtures/FOL0NN/<case>.c", "/* expect: FOL0NN */",
                   "python -m folint.ruledoc README.md", "tests/test_rule_contract.py",
                   "/* todo-expect: FOL0NN */", "/* todo-ok: FOL0NN */", "src.all_functions"):
        assert needle in GUIDE, needle


def test_the_guide_names_what_exists():
    """The modules, attributes and tests the guide points a rule author to are there."""
    import importlib

    from folint.source import SourceFile

    for module in re.findall(r"`(folint\.[a-z_.]+)`", GUIDE):
        importlib.import_module(module if module != "folint.source.SourceFile" else "folint.source")
    for path in set(re.findall(r"`?((?:tests|rules|bench|folint)/[\w/]+\.py)", GUIDE)):
        assert "NN" in path or (ROOT / path).exists(), path
    assert hasattr(SourceFile, "focused") and hasattr(SourceFile, "all_functions")
    assert isinstance(importlib.import_module("folint.caller_context").PARAM_KEY, str)


def test_following_the_guide_adds_a_working_rule(new_rule, tmp_path):
    cls = registered_rules()["FOL990"]
    assert cls.name == "demo-rule"
    doc = ruledoc.parse(cls.doc())
    assert doc.title == "FOL990 demo-rule"
    assert all(doc.sections.get(s) for s in ruledoc.REQUIRED)
    assert not ruledoc.has_fixes(cls) and not doc.sections.get("Fix")
    # step 6: one fixture, strict both ways, with the verdict
    fixtures = tmp_path / "fixtures" / "FOL990"
    fixtures.mkdir(parents=True)
    (fixtures / "calls.c").write_text(
        "/* example_page_api() given a page of a folio, and given a plain page. */\n"
        "void demo(struct folio *folio, void *p)\n{\n"
        "\texample_page_api(folio_page(folio, 1)); /* expect: FOL990 confirmed */\n"
        "\texample_page_api(p);\n}\n")
    result = run([str(fixtures)], Config(), RunOptions(jobs=1, simulate=True))
    assert not result.errors
    marks = {i for i, line in enumerate((fixtures / "calls.c").read_text().splitlines(), 1)
             if re.search(r"expect: FOL990", line)}
    assert {(f.line, f.verdict) for f in result.findings} == {(line, "confirmed") for line in marks}


def test_the_readme_table_regenerates(new_rule, tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    assert ruledoc.main([str(readme)]) == 0
    assert "| FOL990 | demo-rule |" in readme.read_text()


@pytest.mark.parametrize("section, fires", [("Example", True), ("Use instead", False)])
def test_the_template_keeps_the_contract(new_rule, tmp_path, section, fires):
    doc = ruledoc.parse(registered_rules()["FOL990"].doc())
    path = tmp_path / "example.c"
    path.write_text(ruledoc.as_c_file(ruledoc.code_paragraphs(doc.sections[section])))
    result = run([str(path)], Config(), RunOptions(jobs=1, select=["FOL990"], simulate=False))
    assert bool(result.findings) == fires
