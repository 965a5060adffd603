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

Fix:
    ``folint --diff`` / ``--fix`` add ``entry.val++;`` as the last statement of
    the loop body (wrapping a lone statement in braces) where that is certainly
    what the loop means: the entry is a non-const local or parameter of type
    ``swp_entry_t`` (not ``folio->swap``), the loop walks pages 0, 1, 2 ... by
    one, no ``continue`` skips the end of the body, the loop is not nested, and
    nothing reads the entry after the loop.  Otherwise the finding has no fix.
"""

from __future__ import annotations

from folint import cnodes, vocab
from folint.rule import Rule


class SwapEntryNotAdvanced(Rule):
    code = "FOL002"
    name = "swap-entry-not-advanced"
    summary = "a swap entry passed with each page of a per-page loop is never advanced"
    needles = (b"swp_entry_t", b"->swap")
    function_local = True  # the loop and the swap entry (a local, a parameter or folio->swap) are the function's own
    uses_page_loops = True

    def check(self, src):
        for loop in src.page_loops:
            written = loop.written
            address_taken = {cnodes.base_identifier(n.child_by_field_name("argument"))
                             for n in cnodes.walk(loop.node)
                             if n.type == "pointer_expression" and cnodes.text(n.child_by_field_name("operator")) == "&"}
            for call in loop.calls():
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
                        loop.function.name, loop=loop.finding_facts(call=fn, call_byte=call.start_byte),
                        entry=entry,
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

    def oracle(self, finding, sim):
        """Confirmed when the flagged call gets the same swap entry value with two
        different pages; refuted when no explored path does."""
        from folint.sim import Scenario
        from folint.sim.oracle import events_in, paths_text, runs_of
        from folint.sim.values import render, swap_entry, value_key

        facts = finding.loop
        if facts is None or facts.call_byte is None:
            return None
        start, call_byte = facts.start, facts.call_byte
        nr = Scenario().nr
        callee = facts.call or "the call"

        def witness(path):
            for run in runs_of(path, start):
                first: dict = {}
                for e in events_in(path, run):
                    if e.byte != call_byte or not e.pages():
                        continue
                    page = e.pages()[0]
                    for val in e.entries():
                        seen = first.setdefault(value_key(val), page)
                        if seen != page:
                            return (f"{nr}-page folio: {e.name}() got the same {render(swap_entry(val))} "
                                    f"with {render(seen)} and with {render(page)}")
            return None

        return sim.judge_loop(start, witness, lambda ex: (
            f"with a {nr}-page folio, {callee}() never got one swap entry with two different pages "
            f"({paths_text(len(ex.feasible))} explored)"))


# -- the safe fix: advance the entry at the end of each iteration --------------
#
# Offered only where ``entry.val++;`` at the end of the body is certainly what
# the loop means: the entry is a local or parameter of type swp_entry_t (not
# const, not folio->swap), the loop walks pages 0, 1, 2 ... (a for loop whose
# index starts at 0 and steps by one, or a while loop whose index is set to 0
# before it and stepped once at the end of the body), no ``continue`` skips the
# end of the body, the end of the body is reachable, the loop is not inside
# another loop, and nothing reads the entry after the loop.

def _swap_entry_fixes(rule, src, finding):
    from folint import flow
    from folint.fixes import Edit, Fix

    entry = finding.data.get("entry")
    if finding.loop is None:
        return []
    loop = src.node_at(finding.loop.start, cnodes.LOOP_TYPES)
    fn = src.function_at(loop) if loop is not None else None
    index = finding.loop.index
    if fn is None or not entry or not str(entry).isidentifier() or not index:
        return []
    body = loop.child_by_field_name("body")
    if body is None or not _walks_from_page_zero(src, loop, body, index, fn) or _const_entry(fn, entry):
        return []
    if any(a.type in cnodes.LOOP_TYPES for a in cnodes.ancestors(loop) if cnodes.is_inside(a, fn.body)):
        return []
    if any(n.type == "continue_statement" for n in cnodes.walk(body, skip=cnodes.LOOP_TYPES)):
        return []
    if flow.FALL not in flow.outcomes(body, loop):
        return []
    if any(n.type == "identifier" and cnodes.text(n) == entry and n.start_byte >= loop.end_byte
           for n in cnodes.walk(fn.body)):
        return []
    edits = _append_to_body(src, loop, body, f"{entry}.val++;")
    if edits is None:
        return []
    return [Fix(rule.code, f"advance '{entry}' with the page: {entry}.val++ at the end of the loop body",
                tuple(Edit.insert(src, at, text) for at, text in edits))]


def _is_zero(node) -> bool:
    node = cnodes.strip_parens(node)
    return node is not None and cnodes.text(node).rstrip("uUlL") == "0"


def _steps_by_one(node, index: str) -> bool:
    node = cnodes.strip_parens(node)
    if node is None:
        return False
    if node.type == "update_expression":
        return "++" in cnodes.text(node) and cnodes.text(node.child_by_field_name("argument")) == index
    if node.type == "assignment_expression":
        return cnodes.text(node.child_by_field_name("left")) == index and \
            cnodes.text(node.child_by_field_name("operator")) == "+=" and _is_one(node.child_by_field_name("right"))
    return False


def _is_one(node) -> bool:
    node = cnodes.strip_parens(node)
    return node is not None and cnodes.text(node).rstrip("uUlL") == "1"


def _walks_from_page_zero(src, loop, body, index, fn) -> bool:
    writes_in_body = cnodes.assigned_names(body).get(index, [])
    if loop.type == "for_statement":
        init = loop.child_by_field_name("initializer")
        update = loop.child_by_field_name("update")
        if writes_in_body or init is None or update is None:
            return False
        starts = [w for w in cnodes.assigned_names(init).get(index, [])]
        steps = [n for n in ([update] if update.type != "comma_expression" else list(cnodes.walk(update)))
                 if _steps_by_one(n, index)]
        return len(starts) == 1 and _is_zero(_value(starts[0])) and len(steps) == 1
    if loop.type == "while_statement":
        stmts = [c for c in body.named_children if c.type != "comment"] if body.type == "compound_statement" else []
        if len(writes_in_body) != 1 or not stmts or stmts[-1].type != "expression_statement" or \
                not stmts[-1].named_children or not _steps_by_one(stmts[-1].named_children[0], index):
            return False
        before = [w for w in cnodes.assigned_names(fn.body).get(index, []) if w.end_byte <= loop.start_byte]
        return len(before) == 1 and _is_zero(_value(before[0]))
    return False


def _value(write):
    if write.type == "init_declarator":
        return write.child_by_field_name("value")
    if write.type == "assignment_expression" and cnodes.text(write.child_by_field_name("operator")) == "=":
        return write.child_by_field_name("right")
    return None


def _const_entry(fn, entry: str) -> bool:
    """Is ``entry`` declared const (a const parameter cannot be advanced)?"""
    for n in cnodes.walk(fn.node):
        if n.type in ("parameter_declaration", "declaration") and \
                any(cnodes.base_identifier(d) == entry for d in n.children_by_field_name("declarator")):
            return any(c.type == "type_qualifier" and cnodes.text(c) == "const" for c in n.children)
    return False


def _line_start(raw: bytes, byte: int) -> int:
    return raw.rfind(b"\n", 0, byte) + 1


def _indent(raw: bytes, byte: int) -> str:
    start = _line_start(raw, byte)
    end = start
    while end < len(raw) and raw[end:end + 1] in (b" ", b"\t"):
        end += 1
    return raw[start:end].decode()


def _append_to_body(src, loop, body, stmt: str) -> list[tuple[int, str]] | None:
    """Insertions that put ``stmt`` last in ``body``, wrapping a lone statement in braces."""
    raw = src.raw
    if body.type == "compound_statement":
        close = body.children[-1] if body.children else None
        inner = [c for c in body.named_children if c.type != "comment"]
        if close is None or close.type != "}" or not inner:
            return None
        line = _line_start(raw, close.start_byte)
        if raw[line:close.start_byte].strip():
            return None  # `}` shares its line with code
        nl = "\r\n" if raw[line - 2:line] == b"\r\n" else "\n"
        return [(line, f"{_indent(raw, inner[-1].start_byte)}{stmt}{nl}")]
    if loop.type == "do_statement":
        return None
    head_end = body.start_byte
    while head_end > 0 and raw[head_end - 1:head_end] in (b" ", b"\t", b"\n", b"\r"):
        head_end -= 1
    if raw[head_end - 1:head_end] != b")" or b"\n" not in raw[head_end:body.start_byte]:
        return None  # a comment between head and body, or the body on the head's line
    eol = raw.find(b"\n", body.end_byte)
    if eol == -1:
        return None
    nl = "\n"
    if raw[eol - 1:eol] == b"\r":
        eol, nl = eol - 1, "\r\n"
    rest = raw[body.end_byte:eol].strip()
    if rest and not ((rest.startswith(b"/*") and rest.endswith(b"*/") and b"*/" not in rest[2:-2])
                     or rest.startswith(b"//")):
        return None
    body_indent = _indent(raw, body.start_byte)
    return [(head_end, " {"), (eol, f"{nl}{body_indent}{stmt}{nl}{_indent(raw, loop.start_byte)}}}")]


SwapEntryNotAdvanced.fixes = _swap_entry_fixes
