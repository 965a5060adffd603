"""FOL000 example-rule-name

What it does:
    Flags a call of ``example_page_api()`` given a page of a folio
    (``&folio->page``, ``folio_page(folio, i)``).  Replace this paragraph by
    what your rule flags, precisely enough that a reader can predict it.

Why it is wrong:
    Say what breaks on a large folio (2..512 pages) that works on a small one.

Example:
    example_page_api(&folio->page);

Use instead:
    example_folio_api(folio);
"""

# A copy of this file is a working rule.  CONTRIBUTING.md ("Adding a rule") says
# what to change: the code and name (twice: the docstring's first line and the
# class), the summary, the needles, check() and oracle().  Add `Fix:` to the
# docstring when you add fixes(), and `Options:` (TOML lines `name = default`)
# when you set default_options: tests/test_rule_contract.py checks both.

from __future__ import annotations

from folint import cnodes, vocab
from folint.rule import Rule

CALLS = frozenset({"example_page_api"})


class ExampleRuleName(Rule):
    code = "FOL000"
    name = "example-rule-name"
    summary = "example_page_api() is given a page of a folio"
    # A file is parsed for this rule only if it holds one of these byte strings.
    needles = (b"example_page_api",)
    # A finding in a function needs the call, in that function's own code: the other
    # functions' bodies may be blanked before parsing (CONTRIBUTING.md, "function_local").
    function_local = True

    def check(self, src):
        for fn in src.functions:
            for call in fn.calls:
                if cnodes.call_name(call) not in CALLS:
                    continue
                args = cnodes.call_args(call)
                page = vocab.page_expr(args[0]) if args else None
                if page is None:
                    continue
                yield self.finding(
                    src, call,
                    f"example_page_api() in {fn.name}() is given a page of '{page.folio}'; "
                    f"call example_folio_api({page.folio}) instead",
                    fn.name, call_byte=call.start_byte)

    def oracle(self, finding, sim):
        """Confirmed when a simulated path reaches the call with a page of a model folio."""
        from folint.sim import Scenario
        from folint.sim.values import Page

        at = finding.data.get("call_byte")

        def witness(path):
            for event in path.events:
                if event.byte == at and any(isinstance(a, Page) for a in event.args):
                    return f"{Scenario().nr}-page folio: {event.text} at line {event.line}"
            return None

        return sim.judge(sim.run(until=lambda path: witness(path) is not None), witness,
                         refute_evidence="no explored path reaches the call with a page of a folio")
