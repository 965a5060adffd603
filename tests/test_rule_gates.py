"""A rule's ``gate`` (folint.rule.Rule.gate) only spares the prefilter work: every fixture
file where a rule is expected to fire passes its gate and its needles.  (On the whole of
6.12 and 6.1 no file the gates turn away has a finding when checked without the
prefilter: the rules helper's note of issue 8.)"""

import pytest

from conftest import FIXTURES
from folint.config import Config
from folint.prefilter import ByteScan, wanted_rules
from folint.selection import build_rules
from test_fixtures import expectations

GATED = [r for r in build_rules(Config(), None, None) if r.gate]


def test_the_new_rules_have_gates():
    assert {r.code for r in GATED} >= {"FOL007", "FOL008", "FOL009", "FOL010", "FOL011", "FOL012", "FOL013",
                                       "FOL014"}


@pytest.mark.parametrize("rule", GATED, ids=lambda r: r.code)
def test_every_file_a_rule_fires_on_passes_its_gate(rule):
    expected, todo, known_fp = expectations(rule.code)
    files = {rel for rel, _, code in [*expected, *todo, *known_fp] if code == rule.code}
    assert files
    for rel in files:
        raw = (FIXTURES / rule.code / rel).read_bytes()
        assert wanted_rules(ByteScan(raw), [rule]) == [rule], rel
