"""Where the code itself shows that a folio cannot be large at a given point.

Rules about large folios (FOL008 ...) ask one question: at this node, can the
folio named F have more than one page?  The answer is "no" (with the reason,
for the message) when the code makes it visible:

- F is allocated with order 0 everywhere it is written
  (``folio_alloc(gfp, 0)``, ``vma_alloc_folio(gfp, 0, ...)``,
  ``page_folio(alloc_page(gfp))``, or a function of the same file that returns
  such a folio), or F is a parameter of a static function whose every caller in
  the file passes such a folio;
- the node sits in a branch that only runs for a small folio
  (``if (!folio_test_large(F))``, the ``else`` of ``if (folio_test_large(F))``,
  ``if (folio_nr_pages(F) == 1)``);
- F comes from a call that finds a folio (any size) or allocates one with
  order 0 and says which through a ``bool *`` out-parameter
  (``__read_swap_cache_async(..., &allocated, ...)``), and the node only runs
  when that flag is true (inside ``if (allocated)``, or after
  ``if (!allocated) return ...;``);
- an earlier statement on every way to the node leaves for a large folio
  (``if (folio_test_large(F)) return ...;``, ``if (WARN_ON_ONCE(folio_test_large(F)))
  goto out;``) or asserts it is small (``VM_BUG_ON_FOLIO(folio_test_large(F), F)``):
  every large folio, so ``if (folio_test_large(F) || x) return;`` counts and
  ``if (folio_test_large(F) && x) return;`` does not (``forces``: what a condition
  says when true is not what it says when false).

Anything else is "it can be large".  The simulator (nr = 4) sees the same
guards; this module lets the static check stay quiet about them too.
"""

from __future__ import annotations

from tree_sitter import Node

from folint import cnodes

# Folio allocators: the order is their second argument.
FOLIO_ALLOCATORS = frozenset({
    "folio_alloc", "folio_alloc_noprof", "__folio_alloc", "__folio_alloc_noprof", "__folio_alloc_node",
    "__folio_alloc_node_noprof", "vma_alloc_folio", "vma_alloc_folio_noprof", "folio_alloc_mpol",
    "folio_alloc_mpol_noprof", "filemap_alloc_folio", "filemap_alloc_folio_noprof", "folio_alloc_node",
})
# Page allocators that give one page (alloc_pages' order is its second argument).
PAGE_ALLOCATORS = frozenset({"alloc_page", "alloc_page_vma", "__page_cache_alloc"})
ORDERED_PAGE_ALLOCATORS = frozenset({"alloc_pages", "alloc_pages_node", "__alloc_pages"})
# Calls that find a folio (any size) or allocate a new one with order 0, with the
# argument index of the ``bool *`` they set to true when they allocated
# (6.12 mm/swap_state.c: folio_alloc_mpol(gfp_mask, 0, ...)).
ALLOCATED_FLAG_CALLS = {"__read_swap_cache_async": 4}
# Wrappers whose value is their (last) argument's truth.
_TRUTH_WRAPPERS = frozenset({"likely", "unlikely", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE",
                             "VM_WARN_ON_FOLIO", "VM_WARN_ON_ONCE_FOLIO", "WARN"})
# Statements that stop the kernel unless the condition is false.
_ASSERTS = frozenset({"BUG_ON", "VM_BUG_ON", "VM_BUG_ON_FOLIO", "VM_BUG_ON_PAGE"})
_EXITS = frozenset({"return_statement", "goto_statement", "break_statement", "continue_statement"})


def _is_zero(node: Node | None) -> bool:
    node = cnodes.strip_parens(node)
    return node is not None and cnodes.text(node).rstrip("uUlL") == "0"


def _names(node: Node | None, folio: str) -> bool:
    node = cnodes.strip_parens(node)
    return node is not None and node.type == "identifier" and cnodes.text(node) == folio


def _unwrap(node: Node | None) -> Node | None:
    node = cnodes.strip_parens(node)
    while node is not None and cnodes.call_name(node) in _TRUTH_WRAPPERS and cnodes.call_args(node):
        node = cnodes.strip_parens(cnodes.call_args(node)[0])
    return node


def _size_test(cond: Node, folio: str) -> tuple[str, str] | None:
    """What a test of the folio's size says when it is true and when it is false:
    ("large", "small") for ``folio_test_large(F)``, ``folio_order(F)``,
    ``folio_nr_pages(F) != 1``, ``folio_nr_pages(F) > 1`` ...; ("small", "large") for
    ``folio_nr_pages(F) == 1``, ``folio_order(F) == 0``; None for anything else."""
    name = cnodes.call_name(cond)
    args = cnodes.call_args(cond) if name else []
    if name in ("folio_test_large", "folio_order") and args and _names(args[0], folio):
        return "large", "small"
    if cond.type != "binary_expression":
        return None
    op = cnodes.text(cond.child_by_field_name("operator"))
    left, right = cnodes.strip_parens(cond.child_by_field_name("left")), cond.child_by_field_name("right")
    lname = cnodes.call_name(left) or ""
    largs = cnodes.call_args(left) if lname else []
    if lname not in ("folio_nr_pages", "folio_order") or not largs or not _names(largs[0], folio):
        return None
    r = cnodes.text(cnodes.strip_parens(right)).rstrip("uUlL")
    one = "0" if lname == "folio_order" else "1"
    if op == "==" and r == one:
        return "small", "large"
    if (op in ("!=", ">") and r == one) or (op == ">=" and r == str(int(one) + 1)):
        return "large", "small"
    return None


def forces(cond: Node | None, value: bool, size: str, folio: str) -> bool:
    """``cond`` evaluating to ``value`` means the folio is ``size`` ("large" or "small").

    The two uses ask different things: the then-branch of ``if (cond)`` runs when
    ``cond`` is true; what follows ``if (cond) return;`` (or the else-branch, or
    ``BUG_ON(cond)``) runs when it is false.  ``A && B`` true says what either side
    says; ``A && B`` false says only what both sides say when false (after ``if
    (folio_test_large(F) && x) return;`` the folio is large where x was false).
    ``||`` is the mirror image, ``!`` swaps the value."""
    cond = _unwrap(cond)
    if cond is None:
        return False
    if cond.type == "unary_expression" and cnodes.text(cond.child_by_field_name("operator")) == "!":
        return forces(cond.child_by_field_name("argument"), not value, size, folio)
    if cond.type == "binary_expression" and cnodes.text(cond.child_by_field_name("operator")) in ("&&", "||"):
        sides = (cond.child_by_field_name("left"), cond.child_by_field_name("right"))
        either = (cnodes.text(cond.child_by_field_name("operator")) == "&&") == value
        pick = any if either else all
        return pick(forces(side, value, size, folio) for side in sides)
    said = _size_test(cond, folio)
    return said is not None and said[0 if value else 1] == size


def says_small(cond: Node | None, folio: str) -> bool:
    """``cond`` being true means the folio is not large."""
    return forces(cond, True, "small", folio)


def false_says_small(cond: Node | None, folio: str) -> bool:
    """``cond`` being false means the folio is not large: what follows ``if (cond)
    return;``, the else-branch of ``if (cond)``, what follows ``BUG_ON(cond)``."""
    return forces(cond, False, "small", folio)


def _always_exits(stmt: Node | None) -> bool:
    stmt = stmt if stmt is None or stmt.type != "compound_statement" else \
        (stmt.named_children[-1] if stmt.named_children else None)
    while stmt is not None and stmt.type == "compound_statement":
        stmt = stmt.named_children[-1] if stmt.named_children else None
    return stmt is not None and stmt.type in _EXITS


def _returns_small(src, name: str, depth: int) -> bool:
    """``name`` is a function of ``src`` whose every return gives an order-0 folio."""
    if src is None or depth > 1:
        return False
    fn = next((f for f in src.all_functions if f.name == name), None)
    if fn is None:
        return False
    rets = [n for n in cnodes.walk(fn.body) if n.type == "return_statement"]
    if not rets:
        return False
    for r in rets:
        v = cnodes.strip_parens(r.named_children[0]) if r.named_children else None
        if v is None or v.type != "identifier" or not allocated_small(fn, cnodes.text(v), src, depth + 1):
            return False
    return True


def allocated_small(fn, folio: str, src=None, depth: int = 0) -> str | None:
    """Every write of ``folio`` in ``fn`` is an order-0 allocation (or a call of a
    function of ``src`` that returns one): how, else None."""
    writes = fn.writes.get(folio, [])
    if not writes or folio in dict(fn.params):
        return None
    how = None
    for w in writes:
        value = cnodes.strip_parens(cnodes.written_value(w))
        if value is None:
            return None
        if value.type == "cast_expression":
            value = cnodes.strip_parens(value.child_by_field_name("value"))
        name = cnodes.call_name(value) or ""
        args = cnodes.call_args(value) if name else []
        if name in FOLIO_ALLOCATORS and len(args) >= 2 and _is_zero(args[1]):
            how = f"'{folio}' is allocated with order 0 ({cnodes.normalise(cnodes.text(value))})"
            continue
        if name == "page_folio" and args:
            inner = cnodes.strip_parens(args[0])
            iname = cnodes.call_name(inner) or ""
            iargs = cnodes.call_args(inner) if iname else []
            if iname in PAGE_ALLOCATORS or (iname in ORDERED_PAGE_ALLOCATORS and len(iargs) >= 2
                                             and _is_zero(iargs[-1] if iname == "alloc_pages_node" else iargs[1])):
                how = f"'{folio}' is one page ({cnodes.normalise(cnodes.text(value))})"
                continue
        if value.type == "identifier" and cnodes.text(value) == "NULL":
            continue
        if name and _returns_small(src, name, depth):
            how = f"'{folio}' comes from {name}(), which allocates it with order 0"
            continue
        return None
    return how


def small_from_callers(src, fn, folio: str) -> str | None:
    """``folio`` is a parameter of static ``fn`` and every call of ``fn`` in ``src``
    passes a variable allocated with order 0 there: how, else None."""
    names = [name for name, _t in fn.params]
    if src is None or folio not in names or not cnodes.text(fn.node).startswith("static"):
        return None
    i = names.index(folio)
    calls = [(caller, call) for caller in src.all_functions for call in caller.calls
             if cnodes.call_name(call) == fn.name]
    if not calls:
        return None
    for caller, call in calls:
        args = cnodes.call_args(call)
        arg = cnodes.strip_parens(args[i]) if i < len(args) else None
        if arg is None or arg.type != "identifier" or not allocated_small(caller, cnodes.text(arg), src):
            return None
    return f"every caller of {fn.name}() passes a folio allocated with order 0 as '{folio}'"


def allocated_flag(fn, folio: str) -> tuple[str, str] | None:
    """Every write of ``folio`` in ``fn`` is a call of ALLOCATED_FLAG_CALLS given
    ``&flag`` as its allocated-flag (the same ``flag``, written nowhere else):
    (flag, the call's name), else None.  Where ``flag`` is true the folio is order 0."""
    writes = fn.writes.get(folio, [])
    flag = callee = None
    for w in writes:
        value = cnodes.strip_parens(cnodes.written_value(w))
        name = cnodes.call_name(value) if value is not None else None
        args = cnodes.call_args(value) if name else []
        i = ALLOCATED_FLAG_CALLS.get(name or "")
        arg = cnodes.strip_parens(args[i]) if i is not None and i < len(args) else None
        if arg is None or arg.type != "pointer_expression" or cnodes.text(arg.child_by_field_name("operator")) != "&":
            return None
        target = cnodes.strip_parens(arg.child_by_field_name("argument"))
        if target is None or target.type != "identifier" or (flag is not None and cnodes.text(target) != flag):
            return None
        flag, callee = cnodes.text(target), name
    if flag is None or fn.writes.get(flag):
        return None
    return flag, callee


def _is_flag(cond: Node | None, flag: str | None) -> bool:
    cond = _unwrap(cond)
    return flag is not None and cond is not None and cond.type == "identifier" and cnodes.text(cond) == flag


def _is_not_flag(cond: Node | None, flag: str | None) -> bool:
    """``cond`` is ``!flag`` (or has it as an ``||`` alternative): leaving on it leaves ``flag`` true."""
    cond = _unwrap(cond)
    if flag is None or cond is None:
        return False
    if cond.type == "binary_expression" and cnodes.text(cond.child_by_field_name("operator")) == "||":
        return _is_not_flag(cond.child_by_field_name("left"), flag) or \
            _is_not_flag(cond.child_by_field_name("right"), flag)
    return cond.type == "unary_expression" and cnodes.text(cond.child_by_field_name("operator")) == "!" and \
        _is_flag(cond.child_by_field_name("argument"), flag)


def small_at(fn, folio: str, node: Node, src=None) -> str | None:
    """Why ``folio`` cannot be large at ``node`` in ``fn`` (a sentence), or None.
    With ``src`` (the SourceFile), a static function's callers are looked at too."""
    how = allocated_small(fn, folio, src) or small_from_callers(src, fn, folio)
    if how:
        return how
    flagged = allocated_flag(fn, folio)
    flag = flagged[0] if flagged else None
    newly = f" ('{folio}' was allocated by {flagged[1]}() with order 0)" if flagged else ""
    child = node
    for anc in cnodes.ancestors(node):
        if anc.id == fn.body.parent.id:
            break
        if anc.type == "if_statement":
            cond = anc.child_by_field_name("condition")
            cons, alt = anc.child_by_field_name("consequence"), anc.child_by_field_name("alternative")
            if cons is not None and cnodes.is_inside(child, cons) and child.id != (cond.id if cond else -1) \
                    and (says_small(cond, folio) or _is_flag(cond, flag)):
                return f"it runs only when {cnodes.normalise(cnodes.text(cond))} (a small folio)" + \
                    (newly if _is_flag(cond, flag) else "")
            if alt is not None and cnodes.is_inside(child, alt) and (false_says_small(cond, folio)
                                                                     or _is_not_flag(cond, flag)):
                return f"it runs only when {cnodes.normalise(cnodes.text(cond))} is false (a small folio)" + \
                    (newly if _is_not_flag(cond, flag) else "")
        if anc.type == "compound_statement":
            for stmt in anc.named_children:
                if stmt.start_byte >= child.start_byte:
                    break
                why = _leaves_if_large(stmt, folio, flag, newly)
                if why:
                    return why
        child = anc
    return None


def _leaves_if_large(stmt: Node, folio: str, flag: str | None = None, newly: str = "") -> str | None:
    if stmt.type == "if_statement":
        cond = stmt.child_by_field_name("condition")
        if _always_exits(stmt.child_by_field_name("consequence")) and false_says_small(cond, folio):
            return f"line {stmt.start_point[0] + 1} leaves when {cnodes.normalise(cnodes.text(cond))} (a large folio)"
        if _always_exits(stmt.child_by_field_name("consequence")) and _is_not_flag(cond, flag):
            return f"line {stmt.start_point[0] + 1} leaves when {cnodes.normalise(cnodes.text(cond))}{newly}"
    if stmt.type == "expression_statement" and stmt.named_children:
        call = cnodes.strip_parens(stmt.named_children[0])
        if cnodes.call_name(call) in _ASSERTS and cnodes.call_args(call) and \
                false_says_small(cnodes.call_args(call)[0], folio):
            return f"line {stmt.start_point[0] + 1} asserts the folio is small ({cnodes.normalise(cnodes.text(call))})"
    return None
