"""FOL007 err-ptr-lookup-checked-for-null

What it does:
    Flags a folio lookup that returns an error pointer when it finds nothing
    (``filemap_lock_folio()``, ``filemap_get_folio()``, ``__filemap_get_folio()``,
    ``filemap_grab_folio()``, ``read_mapping_folio()``, ``read_cache_folio()``,
    ``shmem_read_folio()`` ...) whose result is then tested only for NULL:
    ``if (!folio)``, ``if (folio)``, ``folio == NULL``, ``!folio || ...``,
    ``folio ? ... : ...``, also when the result reaches the test through a variable
    or a field assigned on the same path, or through a function of the same file
    that returns the lookup's result as it is.  Which lookups return an error
    pointer is an API fact read from the tree being checked (their kerneldoc
    ``Return:`` lines and definitions in include/linux/pagemap.h, mm/filemap.c ...;
    ``folint facts TREE``), else the built-in table for 6.12; the message says
    which.  A check of a 6.1 tree, where ``filemap_lock_folio()`` still returns
    NULL, does not flag it.  No finding when the result is also tested with
    ``IS_ERR()``, ``IS_ERR_OR_NULL()`` or ``PTR_ERR_OR_ZERO()`` before it is
    written again, nor for a lookup whose definition returns NULL or an error pointer
    depending on its arguments (``err_ptr_or_null`` in the facts, e.g. ksm_get_folio()).

Why it is wrong:
    Since 6.4 ("mm: return an ERR_PTR from __filemap_get_folio") these lookups
    return ``ERR_PTR(-ENOENT)`` (or ``-ENOMEM``, ``-EAGAIN``) on failure, where the
    page calls they replace (``find_lock_page()``, ``grab_cache_page()``) returned
    NULL.  An error pointer is not NULL: ``if (!folio)`` lets it through, and the
    code that follows locks, reads or puts a pointer to nowhere.

Example:
    folio = filemap_lock_folio(mapping, index);
    if (!folio)
            return -ENOENT;
    folio_mark_dirty(folio);

Use instead:
    folio = filemap_lock_folio(mapping, index);
    if (IS_ERR(folio))
            return PTR_ERR(folio);
    folio_mark_dirty(folio);

Fix:
    ``if (!folio)`` and ``if (folio == NULL)`` become ``if (IS_ERR(folio))`` when the
    branch they guard does not use the value; other shapes need a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from folint import callindex, cnodes
from folint.fixes import Edit, Fix
from folint.rule import Rule
from folint.sim.kinds import EventKind, PathStatus

ERR_TESTS = frozenset({"IS_ERR", "IS_ERR_OR_NULL", "PTR_ERR_OR_ZERO", "IS_ERR_VALUE", "PTR_ERR"})
_CONDITION_OF = ("if_statement", "while_statement", "do_statement", "for_statement", "conditional_expression")


@dataclass(frozen=True)
class NullTest:
    node: Node        # the test: `!folio`, `folio == NULL`, or the bare `folio`
    how: str          # "!folio", "folio == NULL", "if (folio)" ...
    negative: bool    # true when the test is true for NULL (`!folio`, `folio == NULL`)


def null_test(value: Node) -> NullTest | None:
    """How ``value`` (an expression holding the lookup's result) is tested for NULL, if it is."""
    node, parent = value, value.parent
    while parent is not None and parent.type == "parenthesized_expression":
        node, parent = parent, parent.parent
    if parent is None:
        return None
    text = cnodes.text(value)
    if parent.type == "unary_expression" and cnodes.text(parent.child_by_field_name("operator")) == "!":
        return NullTest(parent, f"!{text}", True)
    if parent.type == "binary_expression":
        op = cnodes.text(parent.child_by_field_name("operator"))
        other = parent.child_by_field_name("right" if parent.child_by_field_name("left") == node else "left")
        if op in ("==", "!=") and cnodes.text(cnodes.strip_parens(other)) in ("NULL", "0", "(void *)0"):
            return NullTest(parent, f"{text} {op} NULL", op == "==")
        if op in ("&&", "||"):
            return NullTest(node, f"{text} {op} ...", False)
    if parent.type in _CONDITION_OF and parent.child_by_field_name("condition") == node:
        if parent.type == "conditional_expression":
            return NullTest(node, f"{text} ? ... : ...", False)
        return NullTest(node, f"{parent.type.split('_')[0]} ({text})", False)
    return None


def _assignment_target(call: Node) -> Node | None:
    """The variable or field the call's result is stored in (``folio = lookup(...)``)."""
    node, parent = call, call.parent
    while parent is not None and parent.type in ("parenthesized_expression", "cast_expression"):
        node, parent = parent, parent.parent
    if parent is None:
        return None
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") == node \
            and cnodes.text(parent.child_by_field_name("operator")) == "=":
        return parent.child_by_field_name("left")
    if parent.type == "init_declarator" and parent.child_by_field_name("value") == node:
        d = parent.child_by_field_name("declarator")
        while d is not None and d.type == "pointer_declarator":
            d = d.child_by_field_name("declarator")
        return d
    return None


def _other_branch(a: Node, b: Node) -> bool:
    """``a`` and ``b`` lie in different branches of one ``if`` (then and else): a write in
    one does not happen before a use in the other."""
    inside_a = {x.id for x in cnodes.ancestors(a)}
    for anc in cnodes.ancestors(b):
        if anc.id in inside_a:
            if anc.type != "if_statement":
                return False
            cons, alt = anc.child_by_field_name("consequence"), anc.child_by_field_name("alternative")
            if cons is None or alt is None:
                return False
            return (cnodes.is_inside(a, cons) and cnodes.is_inside(b, alt)) or \
                (cnodes.is_inside(a, alt) and cnodes.is_inside(b, cons))
    return False


def _writes_of(body: Node, target: str) -> list[Node]:
    """The nodes that store into ``target`` (same text) in ``body``."""
    out = []
    for n in cnodes.walk(body):
        if n.type == "assignment_expression":
            left = n.child_by_field_name("left")
        elif n.type == "init_declarator":
            left = n.child_by_field_name("declarator")
            while left is not None and left.type == "pointer_declarator":
                left = left.child_by_field_name("declarator")
        elif n.type == "pointer_expression" and cnodes.text(n.child_by_field_name("operator")) == "&":
            left = n.child_by_field_name("argument")   # &folio passed on: it may be written
        else:
            continue
        if left is not None and cnodes.normalise(cnodes.text(left)) == target:
            out.append(n)
    return out


def _uses(body: Node, target: str, start: int, end: int) -> Iterator[Node]:
    """Expressions reading ``target`` (an identifier or a field) between two bytes."""
    kinds = ("identifier",) if "->" not in target and "." not in target else ("field_expression",)
    for n in cnodes.walk(body):
        if n.type in kinds and start <= n.start_byte < end and cnodes.normalise(cnodes.text(n)) == target:
            yield n


def _err_tested(node: Node) -> bool:
    """``node`` is (inside) the argument of IS_ERR() and its kin, or compared with an
    error pointer (``folio == ERR_PTR(-EHWPOISON)``)."""
    for a in cnodes.ancestors(node):
        if a.type == "call_expression" and cnodes.call_name(a) in ERR_TESTS:
            return True
        if a.type == "binary_expression" and cnodes.text(a.child_by_field_name("operator")) in ("==", "!=") and \
                any(cnodes.call_name(cnodes.strip_parens(a.child_by_field_name(s))) == "ERR_PTR"
                    for s in ("left", "right")):
            return True
        if a.type.endswith("_statement") or a.type == "declaration":
            return False
    return False


def local_wrappers(src, lookups: set[str]) -> set[str]:
    """Functions of this file that return a lookup's result as it is (``return filemap_lock_folio(...)``)."""
    found = set(lookups)
    changed = True
    while changed:
        changed = False
        for fn in src.all_functions:
            if fn.name in found:
                continue
            for call in callindex.calls_to(fn, found):
                parent = call.parent
                while parent is not None and parent.type == "parenthesized_expression":
                    parent = parent.parent
                if parent is not None and parent.type == "return_statement":
                    found.add(fn.name)
                    changed = True
                    break
    return found - set(lookups)


class ErrPtrLookupCheckedForNull(Rule):
    code = "FOL007"
    name = "err-ptr-lookup-checked-for-null"
    summary = "a folio lookup that returns an error pointer is checked for NULL"
    function_local = False  # reads the calls of the file's other functions (a lookup wrapper's body)
    neighbours = frozenset({"callers"})  # what it reads of them (folint.blanking)
    @property
    def needles(self) -> tuple[bytes, ...]:
        """The error-pointer lookups' own names (a local wrapper calls one of them too)."""
        return self._lookup_needles()[1]

    # every error-pointer lookup of 6.1 and 6.12 returns a folio (ksm_might_need_to_copy(), the
    # one without "folio" in its name, also takes one): a file that tests one names the type
    gate = (b"folio",)

    def _lookups(self) -> set[str]:
        """The lookups that return an error pointer on failure and never NULL: for one that
        returns either (``err_ptr_or_null``, e.g. ksm_get_folio() by its flags) a NULL test
        may be the right one."""
        return set(self._lookup_needles()[0])

    def _lookup_needles(self):
        """(lookups, needles), read once per facts object."""
        cached = self.__dict__.get("_by_facts")
        if cached is None or cached[0] is not self.facts:
            names = frozenset(name for name, conv in self.facts.get("lookup_returns").items() if conv == "err_ptr")
            cached = self._by_facts = (self.facts, names, tuple(sorted(n.encode() for n in names)))
        return cached[1:]

    def check(self, src):
        lookups = self._lookups()
        wrappers = local_wrappers(src, lookups)
        for fn in src.functions:
            seen: set[int] = set()
            for call in callindex.calls_to(fn, lookups | wrappers):
                name = cnodes.call_name(call)
                for test, target in self._tests_of(fn, call):
                    if test.node.start_byte in seen:
                        continue
                    seen.add(test.node.start_byte)
                    yield self._finding(src, fn, call, name, test, target, name in wrappers)

    def _tests_of(self, fn, call: Node) -> Iterator[tuple[NullTest, str]]:
        direct = null_test(call)
        if direct is not None:
            yield direct, cnodes.normalise(cnodes.text(call))
            return
        target_node = _assignment_target(call)
        if target_node is None:
            return
        target = cnodes.normalise(cnodes.text(target_node))
        later = [w for w in _writes_of(fn.body, target) if w.start_byte > call.end_byte]
        uses = [u for u in _uses(fn.body, target, call.end_byte, fn.body.end_byte)
                if not any(w.start_byte < u.start_byte and not _other_branch(w, u) for w in later)]
        if any(_err_tested(u) for u in uses):
            return
        for use in uses:
            test = null_test(use)
            if test is not None:
                yield test, target

    def _finding(self, src, fn, call: Node, name: str, test: NullTest, target: str, wrapped: bool):
        facts = self.facts
        lookup = name
        if wrapped:
            inner = [cnodes.call_name(c) for f in src.all_functions if f.name == name for c in f.calls
                     if cnodes.call_name(c) in self._lookups() and cnodes.call_name(c) != name]
            lookup = inner[0] if inner else name
        where = facts.where("lookup_returns", lookup)
        via = f"{name}() returns {lookup}()'s result and " if wrapped else f"{name}() "
        line, _ = src.position(call.start_byte)
        direct = target == cnodes.normalise(cnodes.text(call))
        what = "the result" if direct else f"'{target}' (set at line {line})"
        todo = f"keep the result and test it with IS_ERR()" if direct else f"test IS_ERR({target})"
        message = (f"{via}returns an error pointer when it fails (from {where}), but "
                   f"`{test.how}` tests {what} for NULL only: an error pointer passes the test "
                   f"and is then used as a folio; {todo}")
        return self.finding(src, test.node, message, fn.name, lookup=lookup, called=name, call_byte=call.start_byte,
                            test_byte=test.node.start_byte, target=target, negative=test.negative,
                            facts_source=facts.source("lookup_returns"))

    def fixes(self, src, finding):
        """``if (!folio)`` / ``if (folio == NULL)`` -> ``if (IS_ERR(folio))`` when the branch
        does not use the value."""
        if not finding.data.get("negative"):
            return []
        target, byte = finding.data.get("target"), finding.data.get("test_byte")
        node = src.root.descendant_for_byte_range(byte, byte + 1) if byte is not None else None
        while node is not None and not (node.start_byte == byte and node.type in ("unary_expression",
                                                                                    "binary_expression")):
            node = node.parent if node.parent is not None and node.parent.start_byte == byte else None
        if node is None:
            return []
        cond = node.parent
        if cond is None or cond.type != "parenthesized_expression" or cond.parent is None \
                or cond.parent.type != "if_statement" or cond.parent.child_by_field_name("condition") != cond:
            return []
        branch = cond.parent.child_by_field_name("consequence")
        base = target.replace("->", ".").split(".")[0]
        if branch is None or cnodes.mentions(branch, base):
            return []
        new = f"IS_ERR({target})"
        return [Fix(self.code, f"{cnodes.text(node)} -> {new}", (Edit.replace(src, node, new),))]

    def oracle(self, finding, sim):
        """Make the lookup fail with ERR_PTR(-ENOENT) (a model error pointer) and run the
        function: confirmed by the first path where, after the NULL test, the error pointer
        is used: dereferenced (``folio->mapping``, ``*folio``), indexed, passed to a call
        (``folio_lock(ERR_PTR(-ENOENT))``) or returned as the function's folio; the trace
        ends at that use.  Refuted when no path uses it (the NULL test is then dead but
        harmless)."""
        from folint.sim import Scenario, inconclusive
        from folint.sim.oracle import trace_of
        from folint.sim.values import ErrPtr

        byte = finding.data.get("call_byte")
        called = finding.data.get("called") or finding.data.get("lookup")
        if finding.data.get("target", "").startswith(f"{called}("):
            return inconclusive("the lookup's result is tested and dropped, so no use of the error pointer can "
                                "show; the test still answers wrongly for it (an error is taken as found)")
        test_line = finding.line
        if byte is None:
            return None
        err = ErrPtr(-ENOENT)
        scenario = Scenario(fail_when=lambda ev: ev.byte == byte and ev.depth == 0, fail_value=err)
        lets = f"{called}() fails with ERR_PTR(-ENOENT); the NULL test at line {test_line} lets it through and"

        def use_of(path):
            for ev in path.events:
                if ev.kind == EventKind.USE and ev.value is err and ev.depth == 0:
                    return ev
            return None

        def witness(path):
            ev = use_of(path)
            if ev is not None:
                how = {"field": f"line {ev.line} dereferences it (->{ev.target})",
                       "deref": f"line {ev.line} dereferences it", "index": f"line {ev.line} indexes it"}
                return f"{lets} {how.get(ev.use) or f'line {ev.line} passes it to {ev.target}()'}"
            if path.status == PathStatus.RETURNED and path.returned is err and self._returns_pointer(sim):
                return f"{lets} the function returns it as its folio"
            return None

        ex = sim.search(witness, scenario)
        verdict = sim.judge(ex, witness, refute_evidence=(
            "with the lookup failing (ERR_PTR(-ENOENT)) no explored path dereferences the error pointer, passes "
            "it to a call or returns it"))
        path = next((p for p in ex.paths if p.status != PathStatus.INFEASIBLE and witness(p)), None)
        ev = use_of(path) if path is not None else None
        if verdict.verdict == "confirmed" and ev is not None:
            # up to the use, which ends it: what follows does not matter
            verdict.trace = trace_of(path, upto=ev.index - 1) + [ev.to_trace()]
        return verdict

    @staticmethod
    def _returns_pointer(sim) -> bool:
        head = cnodes.text(sim.function.node)[:200].split("(", 1)[0]
        return "*" in head


ENOENT = 2
