"""Rule packs: a third-party plugin adds a rule through the same hook as the built-ins."""

import pytest

import folint
from folint.checker import check_source
from folint.config import ConfigError
from folint.plugins import plugin_manager
from folint.rule import Rule
from folint.selection import registered_rules


class MentionsMyApi(Rule):
    """FOL101 mentions-my-api: a demonstration rule from a rule pack."""

    code, name, summary = "FOL101", "mentions-my-api", "a per-page loop calls my_api()"
    uses_page_loops = True
    needles = (b"my_api",)

    def check(self, src):
        for loop in src.page_loops:
            for call in loop.function.calls:
                if loop.node.start_byte <= call.start_byte < loop.node.end_byte and src.text(call).startswith("my_api"):
                    yield self.finding(src, call, "my_api() in a per-page loop", loop.function.name)


class Pack:
    @folint.hookimpl
    def folint_rules(self):
        return [MentionsMyApi]


class Clash:
    @folint.hookimpl
    def folint_rules(self):
        return [type("Other", (MentionsMyApi,), {"__module__": "elsewhere"})]


@pytest.fixture
def registered():
    pm, added = plugin_manager(), []

    def add(plugin):
        pm.register(plugin)
        added.append(plugin)

    yield add
    for plugin in added:
        pm.unregister(plugin)


def test_a_rule_pack_rule_is_listed_and_runs(registered):
    registered(Pack())
    assert registered_rules()["FOL101"] is MentionsMyApi
    src = b"void f(struct folio *folio)\n{\n\tlong i;\n\n\tfor (i = 0; i < folio_nr_pages(folio); i++)\n" \
          b"\t\tmy_api(folio_page(folio, i));\n}\n"
    found = check_source("t.c", src, [MentionsMyApi()]).findings
    assert [(f.code, f.line, f.function) for f in found] == [("FOL101", 6, "f")]
    # the prefilter: without its needle the file is not even parsed for it
    assert check_source("t.c", src.replace(b"my_api", b"other"), [MentionsMyApi()]).parsed is False


def test_two_packs_with_one_code_are_a_configuration_error(registered):
    registered(Pack())
    registered(Clash())
    with pytest.raises(ConfigError, match="rule code FOL101 is provided twice"):
        registered_rules()


def test_builtin_rules_come_through_the_entry_point():
    names = {name for name, _ in plugin_manager().list_name_plugin()}
    assert "builtin" in names and "sim_models" in names
