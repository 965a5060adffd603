"""FOL002 swap-entry-not-advanced

What it does:
    Flags a call inside a per-page loop that is given the iteration's page
    together with a swap entry (a ``swp_entry_t`` variable or parameter, or
    ``folio->swap``) that nothing in the loop advances.

Why it is wrong:
    A large folio in the swap cache occupies ``nr`` consecutive swap slots:
    page i belongs to slot ``swp_offset(entry) + i``.  Passing the same entry
    for every page files every page's data under slot 0, and pages 1..nr-1
    read back someone else's (or nothing).

Example:
    for (i = 0; i < nr; i++)
            mte_restore_tags(entry, folio_page(folio, i));

Use instead:
    Advance the entry with the page:

    for (i = 0; i < nr; i++) {
            mte_restore_tags(entry, folio_page(folio, i));
            entry.val++;
    }

    or compute it from the index:
    ``swp_entry(swp_type(entry), swp_offset(entry) + i)``.
"""

from __future__ import annotations

from folint import cnodes, vocab
from folint.rule import Rule


class SwapEntryNotAdvanced(Rule):
    code = "FOL002"
    name = "swap-entry-not-advanced"
    summary = "a swap entry passed with each page of a per-page loop is never advanced"
    needles = (b"swp_entry_t", b"->swap")
    uses_page_loops = True

    def check(self, src):
        for loop in src.page_loops:
            written = cnodes.assigned_names(loop.node)
            address_taken = {cnodes.base_identifier(n.child_by_field_name("argument"))
                             for n in cnodes.walk(loop.node)
                             if n.type == "pointer_expression" and cnodes.text(n.child_by_field_name("operator")) == "&"}
            for call in cnodes.of_type(loop.body, "call_expression"):
                args = cnodes.call_args(call)
                pages = [a for a in args if loop.page_kind(a) == "indexed"]
                if not pages:
                    continue
                for arg in args:
                    entry = self._fixed_entry(arg, loop, written, address_taken)
                    if entry is None:
                        continue
                    fn = cnodes.call_name(call) or cnodes.text(call.child_by_field_name("function"))
                    yield self.finding(
                        src, arg,
                        f"swap entry '{entry}' is passed to {fn}() with page '{src.text(pages[0])}' on every "
                        f"iteration in {loop.function.name}() but never advanced, so every page gets the same "
                        f"swap slot; advance it per page (`{entry}.val++`) or compute it from the index "
                        f"(`swp_entry(swp_type({entry}), swp_offset({entry}) + {loop.index or 'i'})`)",
                        loop.function.name,
                        loop_start=loop.node.start_byte, loop_end=loop.node.end_byte, index=loop.index,
                        folio=loop.folio, entry=entry, call=fn, call_byte=call.start_byte,
                    )
                    break

    @staticmethod
    def _fixed_entry(arg, loop, written, address_taken) -> str | None:
        arg = cnodes.strip_parens(arg)
        if arg is None:
            return None
        if arg.type == "identifier":
            name = cnodes.text(arg)
            if vocab.is_swap_entry_type(loop.function.type_of(name)) and name not in written \
                    and name not in address_taken:
                return name
        if arg.type == "field_expression" and cnodes.text(arg.child_by_field_name("field")) == "swap":
            owner = cnodes.text(arg.child_by_field_name("argument"))
            if owner == loop.folio:
                return cnodes.text(arg)
        return None
