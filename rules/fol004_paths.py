"""FOL004's model of what happens on a failure's way out of a per-page loop.

Which code runs after the failure (the branch, then where a ``goto`` or
``break`` leads, up to the next return), whether that code undoes the pages
done or passes on how far the loop got, which other loops of the function
walk back over them, and where the loop records each page it did.  The rule
(``fol004_per_page_failure_without_rollback``) asks; this module knows C.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tree_sitter import Node

from folint import cnodes, vocab

# Calls whose arguments do not count as passing on the loop's progress.
LOGGING_PREFIXES = ("pr_", "printk", "dev_", "netdev_", "trace_", "WARN", "BUG", "VM_", "pr_debug", "dump_")


@dataclass(frozen=True)
class _Jumps:
    """Where a function's ways out lead, from one walk of its body: labels by name, the
    ends of its return statements (sorted) and its gotos."""

    labels: dict[str, Node]
    returns: list[int]
    gotos: list[Node]


@functools.lru_cache(maxsize=8)
def _jumps(body: Node) -> _Jumps:
    labels, returns, gotos = {}, [], []
    for n in cnodes.walk(body):
        if n.type == "labeled_statement":
            labels[cnodes.text(n.child_by_field_name("label"))] = n
        elif n.type == "return_statement":
            returns.append(n.end_byte)
        elif n.type == "goto_statement":
            gotos.append(n)
    return _Jumps(labels, sorted(returns), gotos)


def ranges_after_exit(fn, loop, exit_stmt: Node, cond: Node) -> list[tuple[int, int]]:
    """Byte ranges of the code that runs after the failure: the failure branch up to
    ``exit_stmt`` (not the condition), then where the exit leads, up to the next return
    (following gotos)."""
    jumps = _jumps(fn.body)
    branch = cond.parent.child_by_field_name("consequence") if cond.parent is not None else None
    start = branch.start_byte if branch is not None else exit_stmt.start_byte
    ranges = [(start, exit_stmt.end_byte)]
    if exit_stmt.type == "return_statement":
        return ranges
    todo = [loop.node.end_byte if exit_stmt.type == "break_statement"
            else _label_start(jumps.labels, exit_stmt)]
    seen: set[int] = set()
    while todo:
        at = todo.pop()
        if at is None or at in seen or len(seen) > 16:
            continue
        seen.add(at)
        end = next((r for r in jumps.returns if r > at), fn.body.end_byte)
        ranges.append((at, end))
        for g in jumps.gotos:
            if at <= g.start_byte < end:
                todo.append(_label_start(jumps.labels, g))
    return ranges


def _label_start(labels: dict[str, Node], goto: Node) -> int | None:
    label = labels.get(cnodes.text(goto.child_by_field_name("label")))
    return label.start_byte if label is not None else None


def nodes_in(fn, ranges) -> list[Node]:
    """Every node of ``fn``'s body lying wholly inside one of ``ranges``, in source order;
    subtrees outside all of them are not entered."""
    out = []
    stack = [fn.body]
    while stack:
        n = stack.pop()
        if any(s <= n.start_byte and n.end_byte <= e for s, e in ranges):
            out.extend(cnodes.walk(n))
        elif any(n.start_byte < e and s < n.end_byte for s, e in ranges):
            stack.extend(reversed(n.children))
    return out


def passes_nothing(call: Node) -> bool:
    """A call whose arguments do not pass on the loop's progress: logging, or freeing
    memory (``kfree(list)`` frees the record, not what it records)."""
    name = cnodes.call_name(call) or ""
    return name.startswith(LOGGING_PREFIXES) or name in vocab.FREE_CALLS


# -- where the loop records what it did ------------------------------------------

_CONSTANTS = frozenset({"number_literal", "null", "true", "false", "char_literal"})


def records(loop) -> list[Node]:
    """The arrays the loop body stores each iteration's work in: ``X[i] = value`` with
    the index stepped by the loop and a value that is not a constant (``list[i] = 0``
    clears an entry, it records nothing done)."""
    out = []
    for n in cnodes.of_type(loop.body, "assignment_expression"):
        left = cnodes.strip_parens(n.child_by_field_name("left"))
        right = cnodes.strip_parens(n.child_by_field_name("right"))
        if left is None or left.type != "subscript_expression" or right is None or \
                cnodes.text(n.child_by_field_name("operator")) != "=":
            continue
        index = left.child_by_field_name("index")
        if index is None or not loop.steppers & cnodes.identifiers(index):
            continue
        if right.type in _CONSTANTS or cnodes.text(right) == "NULL":
            continue
        out.append(left.child_by_field_name("argument"))
    return out


def kept_by_caller(fn, arrays: list[Node]) -> str | None:
    """The first record held in an object the caller gave (``buf->addrs`` with ``buf`` a
    parameter, or set from one: ``buf = to_demo_buf(obj)``): its text.  The pages done
    stay recorded there, so whoever owns the object (its free path) undoes exactly them;
    a bare array, or the function's own, is not such a record."""
    params = {name for name, _type in fn.params}
    for array in arrays:
        if array is None or array.type != "field_expression":
            continue
        owner = cnodes.base_identifier(array)
        if owner in params:
            return cnodes.text(array)
        for write in fn.writes.get(owner, ()):
            value = cnodes.written_value(write)
            if value is not None and cnodes.identifiers(value) & params:
                return cnodes.text(array)
    return None


def record_names(arrays: list[Node]) -> set[str]:
    """The names a record is reached by (``list``, ``buf`` of ``buf->addrs``): handing one
    on hands on how far the loop got."""
    return {name for name in (cnodes.base_identifier(a) for a in arrays) if name}


def handled(fn, loop, exit_stmt: Node, cond: Node, progress: set[str], undo: list[str]) -> bool:
    nodes = nodes_in(fn, ranges_after_exit(fn, loop, exit_stmt, cond))
    logging = [n for n in nodes if n.type == "call_expression" and passes_nothing(n)]
    for n in nodes:
        if n.type == "identifier" and cnodes.text(n) in progress and \
                not any(cnodes.is_inside(n, c) for c in logging):
            return True  # rolls back through the index, or passes on how far it got
        if n.type == "call_expression" and cnodes.call_name(n) in undo:
            return True
        if n.type in cnodes.LOOP_TYPES and n.id != loop.node.id and not cnodes.is_inside(n, loop.node) \
                and calls_on_pages_of(n, loop):
            return True  # a loop over the folio's pages: undoes them all
    return False


def calls_on_pages_of(loop_node: Node, loop) -> list[str]:
    """Names of calls in ``loop_node``'s body given a page of ``loop``'s folio (or the index)."""
    body = loop_node.child_by_field_name("body")
    out = []
    if body is None:
        return out
    for call in cnodes.of_type(body, "call_expression"):
        name = cnodes.call_name(call)
        if not name or name in ("folio_page", "nth_page") or name.startswith(LOGGING_PREFIXES):
            continue
        for a in cnodes.call_args(call):
            pe = vocab.page_expr(a)
            if (pe is not None and loop.folio is not None and pe.folio == loop.folio) or \
                    (loop.walk_var and cnodes.text(cnodes.strip_parens(a)) == loop.walk_var):
                out.append(name)
                break
    return out


def rollback_loops(loop, fn) -> list[tuple[Node, list[str]]]:
    """Loops outside ``loop`` that walk back over the pages it did: their header counts
    the loop's index down (``while (i--)``) or is bounded by it (``j < i``), and their
    body calls something on the folio's pages."""
    out = []
    index = loop.index or loop.walk_var
    if index is None:
        return out
    for n in fn.loops:
        if n.id == loop.node.id or cnodes.is_inside(n, loop.node) or cnodes.is_inside(loop.node, n):
            continue
        if not _walks_back(n, index):
            continue
        names = calls_on_pages_of(n, loop)
        if names:
            out.append((n, names))
    return out


def _walks_back(loop_node: Node, index: str) -> bool:
    header = [loop_node.child_by_field_name(f) for f in ("condition", "update", "initializer")]
    header = [h for h in header if h is not None]
    for h in header:
        for n in cnodes.walk(h):
            if n.type == "update_expression" and "--" in cnodes.text(n) and \
                    cnodes.text(n.child_by_field_name("argument")) == index:
                return True
            if n.type == "assignment_expression" and cnodes.text(n.child_by_field_name("operator")) == "-=" and \
                    cnodes.text(n.child_by_field_name("left")) == index:
                return True
    cond = cnodes.strip_parens(loop_node.child_by_field_name("condition"))
    if cond is not None and cond.type == "binary_expression" and \
            cnodes.text(cond.child_by_field_name("operator")) in ("<", "<=", "!="):
        right = cnodes.strip_parens(cond.child_by_field_name("right"))
        left = cnodes.strip_parens(cond.child_by_field_name("left"))
        if right is not None and cnodes.text(right) == index and left is not None and cnodes.text(left) != index:
            return True  # for (j = 0; j < i; j++)
    init = loop_node.child_by_field_name("initializer")
    if init is not None:
        for n in cnodes.walk(init):
            if n.type in ("assignment_expression", "init_declarator"):
                value = n.child_by_field_name("right") or n.child_by_field_name("value")
                if value is not None and index in cnodes.identifiers(value) and \
                        cnodes.text(n.child_by_field_name("left") or n.child_by_field_name("declarator")) != index:
                    return True  # for (j = i - 1; j >= 0; j--)
    return False


def progress_calls(fn, loop, exit_stmt: Node, cond: Node, progress: set[str]) -> list[str]:
    """Calls on this exit's path handed both the loop's folio (or a page of it) and its
    progress: an undo helper such as ``folio_ref_sub(folio, i)`` or ``undo_pages(folio, i)``."""
    out = []
    if loop.folio is None:
        return out
    for n in nodes_in(fn, ranges_after_exit(fn, loop, exit_stmt, cond)):
        if n.type != "call_expression" or passes_nothing(n) or not cnodes.call_name(n):
            continue
        args = cnodes.call_args(n)
        if any(progress & cnodes.identifiers(a) for a in args) and \
                any(cnodes.text(cnodes.strip_parens(a)) == loop.folio or
                    (vocab.page_expr(a) is not None and vocab.page_expr(a).folio == loop.folio) for a in args):
            out.append(cnodes.call_name(n))
    return out
