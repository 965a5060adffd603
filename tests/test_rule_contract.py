"""The rule contract, checked for every registered rule (ruff style): the docstring is
the documentation, with its sections; ``Fix:`` exactly when the rule has fixes and
``Options:`` listing exactly its options; the example fires and the "use instead" is
clean; the README's rules table is generated from the rules."""

import re

import pytest

from conftest import ROOT
from folint import ruledoc
from folint.config import Config
from folint.runner import RunOptions, run
from folint.selection import registered_rules

RULES = registered_rules()
CODES = sorted(RULES)


def doc_of(code):
    return ruledoc.parse(RULES[code].doc())


@pytest.mark.parametrize("code", CODES)
def test_docstring_has_the_sections(code):
    cls = RULES[code]
    doc = doc_of(code)
    assert doc.title == f"{cls.code} {cls.name}", f"{code}: the docstring must open with '{cls.code} {cls.name}'"
    missing = [s for s in ruledoc.REQUIRED if not doc.sections.get(s)]
    assert not missing, f"{code}: docstring sections missing or empty: {missing}"


@pytest.mark.parametrize("code", CODES)
def test_fix_section_exactly_when_the_rule_fixes(code):
    has = ruledoc.has_fixes(RULES[code])
    documented = bool(doc_of(code).sections.get("Fix"))
    assert has == documented, (f"{code}: has fixes: {has}, but a 'Fix:' section: {documented}; "
                               "say what --diff/--fix change, or drop the section")


@pytest.mark.parametrize("code", CODES)
def test_options_section_lists_exactly_the_options(code):
    options = set(RULES[code].default_options)
    documented = ruledoc.documented_options(doc_of(code).sections.get("Options", ""))
    assert documented == options, (f"{code}: default_options {sorted(options)} but the 'Options:' section "
                                   f"documents {sorted(documented)}")


def findings_of(tmp_path, code, section):
    paragraphs = ruledoc.code_paragraphs(doc_of(code).sections[section])
    assert paragraphs, f"{code}: '{section}:' holds no C paragraph"
    path = tmp_path / f"{section.replace(' ', '_').lower()}.c"
    path.write_text(ruledoc.as_c_file(paragraphs))
    result = run([str(path)], Config(), RunOptions(jobs=1, select=[code], simulate=False))
    return [f for f in result.findings if f.code == code], path


@pytest.mark.parametrize("code", CODES)
def test_example_fires(tmp_path, code):
    found, path = findings_of(tmp_path, code, "Example")
    assert found, f"{code}: its docstring Example finds nothing:\n{path.read_text()}"


@pytest.mark.parametrize("code", CODES)
def test_use_instead_is_clean(tmp_path, code):
    found, path = findings_of(tmp_path, code, "Use instead")
    assert not found, f"{code}: its 'Use instead' is flagged: {[f.message for f in found]}\n{path.read_text()}"


def test_readme_rules_table_is_generated():
    readme = (ROOT / "README.md").read_text()
    m = re.search(re.escape(ruledoc.README_BEGIN) + r"\n(.*?)" + re.escape(ruledoc.README_END), readme, re.S)
    assert m, "README.md lost the rules-table markers"
    assert m.group(1) == ruledoc.markdown_table(RULES.values()), \
        "README's rules table is stale: replace it with the output of `folint rules --markdown`"


def test_page_api_table_hookspec_example_is_accepted():
    """The example in hookspecs.folint_page_api_table's docstring is valid input."""
    import ast

    from folint import hookspecs
    from folint_rules.fol006_page_api_on_folio import _entry

    text = hookspecs.folint_page_api_table.__doc__
    example = ast.literal_eval(re.search(r"``(\{.*?\})``", text).group(1))
    assert _entry(example, "hookspec example").folio == "folio_lock"
