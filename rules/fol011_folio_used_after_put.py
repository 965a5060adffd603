"""FOL011 folio-used-after-put

What it does:
    Flags a use of a folio after the function dropped its reference to it, on
    the same path, with no new reference in between: ``folio_put(folio)`` (also
    ``folio_put_refs()``, ``folio_release_kmap()``, ``put_page(&folio->page)``)
    followed by ``folio_nr_pages(folio)``, ``folio->mapping``,
    ``folio_unlock(folio)`` or any call that is handed the folio.  A new
    reference ends the search: ``folio_get()``, ``folio_try_get()``, or the
    variable set again (a new lookup).  Only the statements that can run next
    are searched: the rest of each enclosing block, skipping the other branch of
    an ``if``, stopping at a ``return``, ``goto``, ``break`` or ``continue`` and
    at the end of a loop body (the next iteration usually looks the folio up
    again).  A folio taken from a folio batch (``fbatch.folios[i]``) that is
    released later (``folio_batch_release(&fbatch)``) is held by the batch, so
    a put before that gives back another reference.  Comparing the pointer (``folio == other``, ``if (folio)``) is not
    a use.  A put inside ``if (mode == DROP)`` follows only the branches that
    path can take: with ``mode`` never written, a later ``if (mode != EXCLUSIVE)
    break;`` is taken (``folint.pathfacts``; the file's enumerators and
    ``#define``s give the values).

Why it is wrong:
    ``folio_put()`` may free the folio: once the last reference is gone the
    memory goes back to the allocator and can be reused as another folio (of
    another size) at once.  Reading ``folio_nr_pages()`` after it reads freed
    memory - the classic slip is the statistics or the loop step after the put
    (``nr += folio_nr_pages(folio)``), harmless with order-0 pages that stay
    allocated a while, and a use-after-free once large folios are split and
    freed concurrently.  Read what you need first, then put.

Example:
    folio_put(folio);
    nr_freed += folio_nr_pages(folio);

Use instead:
    nr_freed += folio_nr_pages(folio);
    folio_put(folio);
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from folint import callindex, cnodes, kmap, pathfacts, vocab
from folint.rule import Rule

# Calls that drop a reference to the folio in the given argument.
RELEASES = {"folio_put": 0, "folio_put_refs": 0, "folio_release_kmap": 0, "__folio_put": 0}
# page-taking releases, when the page is the folio's head page
PAGE_RELEASES = {"put_page": 0}
# Calls that take a new reference to the folio in their first argument.
# (argument: the folio; filemap_add_folio() gives the page cache a reference of its own,
# folio_isolate_lru() takes one for the isolation when it succeeds)
NEW_REFERENCE = {"folio_get": 0, "folio_try_get": 0, "folio_ref_inc": 0, "folio_ref_add": 0, "folio_try_get_rcu": 0,
                 "get_page": 0, "folio_ref_try_add_rcu": 0, "filemap_add_folio": 1, "__filemap_add_folio": 1,
                 "folio_isolate_lru": 0, "folio_attach_private": 0}
# Calls after which a put gives back the reference of a mapping just removed (the page
# table's), not one the function relies on (6.12 kernel/events/uprobes.c __replace_page()).
MAPPING_REMOVALS = {"folio_remove_rmap_pte": 0, "folio_remove_rmap_ptes": 0, "folio_remove_rmap_pmd": 0,
                    "page_remove_rmap": 0}
# Calls that drop the references a folio batch holds (its argument: the batch).
BATCH_RELEASES = {"folio_batch_release": 0, "__folio_batch_release": 0}
# Calls that look at the pointer's value only, never at the folio.
POINTER_ONLY = frozenset({"IS_ERR", "IS_ERR_OR_NULL", "PTR_ERR", "PTR_ERR_OR_ZERO", "ERR_CAST", "likely",
                          "unlikely", "WARN_ON", "WARN_ON_ONCE"})
_TRANSPARENT = frozenset({"else_clause", "labeled_statement"})


@dataclass(frozen=True)
class UseAfterPut:
    put: Node  # the releasing call
    use: Node  # the identifier used after it
    folio: str


def _released_folio(call: Node, fn) -> str | None:
    name = cnodes.call_name(call) or ""
    args = cnodes.call_args(call)
    if name in RELEASES and RELEASES[name] < len(args):
        arg = cnodes.strip_parens(args[RELEASES[name]])
        if arg is not None and arg.type == "identifier" and vocab.is_folio_pointer_type(fn.type_of(cnodes.text(arg))):
            return cnodes.text(arg)
    if name in PAGE_RELEASES and PAGE_RELEASES[name] < len(args):
        pe = vocab.page_expr(args[PAGE_RELEASES[name]])
        if pe is not None and pe.form == "head" and pe.folio and pe.folio.isidentifier() and \
                vocab.is_folio_pointer_type(fn.type_of(pe.folio)):
            return pe.folio
    return None


def _is_use(ident: Node) -> bool:
    """``ident`` (the folio's name) is dereferenced or handed to a call here."""
    p = ident.parent
    while p is not None and p.type in ("parenthesized_expression", "cast_expression"):
        p = p.parent
    if p is None:
        return False
    if p.type == "field_expression":
        return p.child_by_field_name("argument") is not None and \
            cnodes.is_inside(ident, p.child_by_field_name("argument"))
    if p.type == "subscript_expression":
        return True
    if p.type == "argument_list":
        name = cnodes.call_name(p.parent)
        return name not in POINTER_ONLY and name not in RELEASES  # a second put drops a second reference
    return False


def _expr_scan(node: Node, folio: str) -> tuple[Node | None, bool]:
    """Uses and kills in an expression (or a declaration), in source order: the first
    use, and whether the folio was given a new value or a new reference."""
    b = folio.encode()
    for n in cnodes.walk(node):
        if n.type == "assignment_expression":
            left = cnodes.strip_parens(n.child_by_field_name("left"))
            if left is not None and left.type == "identifier" and left.text == b:
                right = n.child_by_field_name("right")
                use = next((i for i in cnodes.walk(right) if i.type == "identifier" and i.text == b and _is_use(i)),
                           None) if right is not None else None
                return use, use is None
        elif n.type == "init_declarator" and cnodes.base_identifier(n.child_by_field_name("declarator")) == folio:
            return None, True  # a new variable of that name (or the same one set again)
        elif n.type == "pointer_expression" and cnodes.text(n.child_by_field_name("operator")) == "&":
            arg = cnodes.strip_parens(n.child_by_field_name("argument"))
            if arg is not None and arg.type == "identifier" and arg.text == b and n.parent is not None \
                    and n.parent.type == "argument_list":
                return None, True  # the callee stores a new folio through &folio
        elif n.type == "call_expression" and _takes_reference(n, folio):
            return None, True
        elif n.type == "identifier" and n.text == b and _is_use(n):
            return n, True
    return None, False


def _removes_mapping(call: Node, folio: str, fn) -> bool:
    """``call`` removes a mapping of ``folio``: given the folio, a page of it, or the page
    the folio was set from (``folio = page_folio(page)``; 6.1's page_remove_rmap(page))."""
    name = cnodes.call_name(call)
    args = cnodes.call_args(call)
    if name not in MAPPING_REMOVALS or MAPPING_REMOVALS[name] >= len(args):
        return False
    arg = cnodes.strip_parens(args[MAPPING_REMOVALS[name]])
    pe = vocab.page_expr(arg)
    if cnodes.text(arg) == folio or (pe is not None and pe.folio == folio):
        return True
    source = cnodes.strip_parens(kmap.single_definition(folio, fn))
    return source is not None and cnodes.call_name(source) == "page_folio" and \
        [cnodes.text(a) for a in cnodes.call_args(source)] == [cnodes.text(arg)]


def _takes_reference(call: Node, folio: str) -> bool:
    name = cnodes.call_name(call)
    if name not in NEW_REFERENCE:
        return False
    args = cnodes.call_args(call)
    i = NEW_REFERENCE[name]
    arg = cnodes.strip_parens(args[i]) if i < len(args) else None
    if arg is None:
        return False
    pe = vocab.page_expr(arg)
    return cnodes.text(arg) == folio or (pe is not None and pe.folio == folio)


@dataclass(frozen=True)
class PathFacts:
    """What holds on the put's path (``folint.pathfacts``): ``known`` variables' constants,
    and the file's constant values to compare them by."""
    known: dict
    values: dict


NO_FACTS = PathFacts({}, {})


def _scan(stmt: Node, folio: str, facts: PathFacts = NO_FACTS) -> tuple[Node | None, bool]:
    """The first use of ``folio`` on some path through ``stmt``, and whether every path
    through ``stmt`` ends the search (a new value, a new reference, or it leaves).  An
    ``if`` whose condition ``facts`` settle is followed down its one branch."""
    t = stmt.type
    if t == "compound_statement":
        for child in stmt.named_children:
            use, killed = _scan(child, folio, facts)
            if use is not None or killed:
                return use, killed
        return None, False
    if t in _TRANSPARENT:
        body = stmt.named_children[-1] if stmt.named_children else None
        return _scan(body, folio, facts) if body is not None else (None, False)
    if t == "if_statement":
        use, killed = _expr_scan(stmt.child_by_field_name("condition"), folio)
        if use is not None or killed:
            return use, killed
        alt = stmt.child_by_field_name("alternative")
        taken = pathfacts.decide(stmt.child_by_field_name("condition"), facts.known, facts.values)
        if taken is True:
            return _scan(stmt.child_by_field_name("consequence"), folio, facts)
        if taken is False:
            return _scan(alt, folio, facts) if alt is not None else (None, False)
        u1, k1 = _scan(stmt.child_by_field_name("consequence"), folio, facts)
        u2, k2 = _scan(alt, folio, facts) if alt is not None else (None, False)
        return u1 or u2, k1 and k2
    if t in cnodes.LOOP_TYPES or t == "switch_statement":
        # what runs first, every time: the initializer and the condition (a do body before them)
        head = [stmt.child_by_field_name(f) for f in ("initializer", "condition")]
        body = stmt.child_by_field_name("body")
        if t == "do_statement":
            use, killed = _scan(body, folio, facts) if body is not None else (None, False)
            if use is not None or killed:
                return use, killed
        for part in head:
            if part is not None:
                use, killed = _expr_scan(part, folio)
                if use is not None or killed:
                    return use, killed
        use, _ = _scan(body, folio, facts) if body is not None and t != "do_statement" else (None, False)
        if use is None and stmt.child_by_field_name("update") is not None:
            use, _ = _expr_scan(stmt.child_by_field_name("update"), folio)
        return use, use is not None
    if t in ("return_statement", "goto_statement", "break_statement", "continue_statement"):
        use, _ = _expr_scan(stmt, folio)
        return use, True
    if t == "case_statement":
        return None, True
    return _expr_scan(stmt, folio)


def _held_by_batch(fn, put: Node, folio: str) -> bool:
    """``folio`` is set from a folio batch's slot (``batch.folios[i]``, ``batch->folios[i]``)
    and the batch is released after ``put``: the batch holds a reference of its own until
    then (6.12 fs/nilfs2/page.c nilfs_copy_back_pages(): the put gives back the page
    cache's reference after __xa_erase()), so this put cannot free the folio."""
    # the variable's own writes (``folio->mapping = NULL`` writes through it, not to it)
    own = [w for w in fn.writes.get(folio, ()) if w.type == "init_declarator" or
           cnodes.text(cnodes.strip_parens(w.child_by_field_name("left"))) == folio]
    value = cnodes.strip_parens(cnodes.written_value(own[0])) if len(own) == 1 else None
    if value is None or value.type != "subscript_expression":
        return False
    slots = cnodes.strip_parens(value.child_by_field_name("argument"))
    if slots is None or slots.type != "field_expression" or cnodes.text(slots.child_by_field_name("field")) != "folios":
        return False
    batch = cnodes.normalise(cnodes.text(slots.child_by_field_name("argument")))
    arrow = cnodes.text(slots.child_by_field_name("operator")) == "->"
    for call in fn.calls:
        name = cnodes.call_name(call) or ""
        args = cnodes.call_args(call)
        if call.start_byte <= put.start_byte or name not in BATCH_RELEASES or BATCH_RELEASES[name] >= len(args):
            continue
        arg = cnodes.normalise(cnodes.text(cnodes.strip_parens(args[BATCH_RELEASES[name]])))
        if arg == (batch if arrow else "&" + batch):
            return True
    return False


def _balanced(fn, put: Node, folio: str) -> bool:
    """Before ``put``, the function took more references on the folio than it dropped
    (or a folio batch it came from holds one until later, ``_held_by_batch``): this put
    gives back one of its own, and the one it was given is still held."""
    if _held_by_batch(fn, put, folio):
        return True
    taken = dropped = 0
    for call in fn.calls:
        if call.start_byte >= put.start_byte:
            break
        if _takes_reference(call, folio) or _removes_mapping(call, folio, fn):
            taken += 1
        elif _released_folio(call, fn) == folio and not _then_leaves(call):
            dropped += 1
    return taken > dropped


def _then_leaves(call: Node) -> bool:
    """The block holding ``call`` ends with a return, goto, break or continue (an error
    path that never reaches the put being judged)."""
    stmt = cnodes.enclosing_statement(call)
    block = stmt.parent
    if block is None or block.type != "compound_statement" or not block.named_children:
        return False
    return block.named_children[-1].type in ("return_statement", "goto_statement", "break_statement",
                                             "continue_statement")


def uses_after_put(fn, src=None) -> list[UseAfterPut]:
    """``src``: the file, whose named constants (enumerators, #defines) let a condition
    on the put's path settle a later one (``folint.pathfacts``)."""
    out = []
    values = None
    for call in fn.calls:
        folio = _released_folio(call, fn)
        if folio is None:
            continue
        stmt = cnodes.enclosing_statement(call)
        if stmt.type != "expression_statement" or cnodes.strip_parens(stmt.named_children[0]).id != call.id:
            continue  # a put inside a condition or an expression: its path is not a plain sequence
        known = pathfacts.known_on_path(stmt, fn)
        if known and values is None:
            from folint.sim.explore import file_constants

            values = file_constants(src) if src is not None else {}
        use = _search_after(stmt, folio, fn, PathFacts(known, values or {}) if known else NO_FACTS)
        if use is not None and not _balanced(fn, call, folio):
            out.append(UseAfterPut(call, use, folio))
    return out


def _search_after(stmt: Node, folio: str, fn, facts: PathFacts = NO_FACTS) -> Node | None:
    cur = stmt
    while cur.id != fn.body.id:
        parent = cur.parent
        if parent is None:
            return None
        if parent.type == "compound_statement":
            after = False
            for sib in parent.named_children:
                if sib.id == cur.id:
                    after = True
                    continue
                if not after or sib.type == "comment":
                    continue
                use, stop = _scan(sib, folio, facts)
                if use is not None:
                    return use
                if stop:
                    return None
        elif parent.type in cnodes.LOOP_TYPES or parent.type in ("switch_statement", "case_statement"):
            return None
        elif parent.type not in ("if_statement",) and parent.type not in _TRANSPARENT:
            return None
        cur = parent
    return None


class FolioUsedAfterPut(Rule):
    code = "FOL011"
    name = "folio-used-after-put"
    summary = "a folio is used after its reference was dropped, with no new reference"
    gate = (b"folio",)  # what is put and then used is a folio variable
    needles = (b"folio_put", b"folio_release_kmap", b"put_page")
    function_local = False  # file_constants reads #defines and enumerators anywhere, in other bodies too
    neighbours = frozenset({"constants"})  # what it reads of them (folint.blanking)

    def check(self, src):
        for fn in src.functions:
            if not (callindex.calls_any(fn, RELEASES) or callindex.calls_any(fn, PAGE_RELEASES)):
                continue
            for u in uses_after_put(fn, src):
                put_line = src.position(u.put.start_byte)[0]
                what = cnodes.enclosing_statement(u.use)
                use_text = _use_text(src, u.use)
                yield self.finding(src, u.use, f"'{u.folio}' is used ({use_text}) after {src.text(u.put)} at line "
                                   f"{put_line} dropped the reference, with no folio_get() or new lookup between: "
                                   f"the folio may already be freed; use it before the put, or take a reference",
                                   fn.name, statement=what, put_byte=u.put.start_byte, use_byte=u.use.start_byte,
                                   folio=u.folio)


    # -- simulating ------------------------------------------------------
    def oracle(self, finding, sim):
        """Confirmed by a path where the put at ``put_byte`` drops a reference to a model
        folio and a later "use" event (a field read, a dereference, the folio passed to a
        call other than another put) uses that same folio, with no folio_get() /
        folio_try_get() (or other new reference) on it between: "folio_put(folio) at
        line 9, then folio_nr_pages(folio) at line 10".  A new lookup gives a new model
        folio, so it never matches.  Refuted when the exploration is complete and no
        path does that (the use is on a branch the put's path never takes)."""
        from folint.sim.oracle import uses_of
        from folint.sim.values import Folio, Page, render

        put_byte = finding.data.get("put_byte")
        if put_byte is None:
            return None

        def released(e):
            v = e.args[0] if e.args else None
            if isinstance(v, Page) and v.index == 0:
                v = v.folio
            return v if isinstance(v, Folio) else None

        def witness(path):
            for put in path.events:
                if put.byte != put_byte or put.kind not in ("call", "model") or put.depth:
                    continue
                folio = released(put)
                if folio is None:
                    continue
                for e in path.events[put.index:]:
                    if e.kind in ("call", "model") and e.name in NEW_REFERENCE and \
                            any(a is folio or (isinstance(a, Page) and a.folio is folio) for a in e.args):
                        break
                    if e.kind != "use" or e.depth or not (e.value is folio or
                                                          (isinstance(e.value, Page) and e.value.folio is folio)):
                        continue
                    if e.use == "arg" and (e.target in RELEASES or e.target in PAGE_RELEASES):
                        continue
                    what = f"{e.target}({render(folio)})" if e.use == "arg" else \
                        f"{render(folio)}->{e.target}" if e.use == "field" else f"*{render(folio)}"
                    return (f"{put.text.removeprefix('call ')} at line {put.line}, then {what} at line {e.line}: "
                            f"used after the reference was dropped")
            return None

        ex = sim.search(witness, stop_after=finding.data.get("use_byte"))
        return sim.judge(ex, witness, refute_evidence="on every explored path the folio is not used after the put "
                                                      "without a new reference")


def _use_text(src, ident: Node) -> str:
    p = ident.parent
    while p is not None and p.type in ("parenthesized_expression", "cast_expression"):
        p = p.parent
    if p is not None and p.type == "argument_list":
        p = p.parent
    text = cnodes.normalise(src.text(p if p is not None else ident))
    return text if len(text) <= 60 else text[:57] + "..."
