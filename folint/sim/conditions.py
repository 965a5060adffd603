"""Conditions and value ranges: how a condition is decided, and when it forks.

Owns :class:`Range` (what is known of an unknown integer: bounds and excluded
values, narrowed on each branch taken) and the :class:`Conditions` mixin of
:class:`folint.sim.run.SimRun`: ``truth`` (a condition; forks on an unknown,
with the preferred outcome first), ``truthy``, ``compare`` (a comparison's
value when it is decided) and ``fork_compare`` (the branch on an unknown: the
choice, the narrowed range or (in)equality it leaves, and the ``assume`` event).
"""

from __future__ import annotations

from dataclasses import dataclass

from folint.sim.kinds import EventKind
from folint.sim.lower import N
from folint.sim.values import Array, ErrPtr, Folio, Page, PageArray, Ref, Str, Struct, Sym, Unknown, ident

CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_CMP = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


# -- ranges of unknown integers ---------------------------------------------------

@dataclass(frozen=True)
class Range:
    lo: int | None = None
    hi: int | None = None
    ne: frozenset = frozenset()

    def single(self) -> int | None:
        return self.lo if self.lo is not None and self.lo == self.hi else None

    def decide(self, op: str, c: int) -> bool | None:
        lo, hi = self.lo, self.hi
        if op == "==":
            if self.single() == c and self.single() is not None:
                return True
            if c in self.ne or (lo is not None and c < lo) or (hi is not None and c > hi):
                return False
            return None
        if op == "!=":
            d = self.decide("==", c)
            return None if d is None else not d
        if op == "<":
            if hi is not None and hi < c:
                return True
            if lo is not None and lo >= c:
                return False
        elif op == "<=":
            if hi is not None and hi <= c:
                return True
            if lo is not None and lo > c:
                return False
        elif op == ">":
            return None if (d := self.decide("<=", c)) is None else not d
        elif op == ">=":
            return None if (d := self.decide("<", c)) is None else not d
        return None

    def narrow(self, op: str, c: int, holds: bool) -> Range:
        if not holds:
            op = _NEGATE[op]
        lo, hi, ne = self.lo, self.hi, self.ne
        if op == "==":
            return Range(c, c)
        if op == "!=":
            if lo == c:
                lo = c + 1
            elif hi == c:
                hi = c - 1
            else:
                ne = ne | {c}
        elif op == "<":
            hi = c - 1 if hi is None else min(hi, c - 1)
        elif op == "<=":
            hi = c if hi is None else min(hi, c)
        elif op == ">":
            lo = c + 1 if lo is None else max(lo, c + 1)
        elif op == ">=":
            lo = c if lo is None else max(lo, c)
        return Range(lo, hi, ne)


class Conditions:
    """Deciding conditions (mixin of :class:`SimRun`)."""

    def truth(self, n: N, prefer: bool = False) -> bool:
        """Evaluate ``n`` as a condition; forks when it depends on an unknown.

        ``prefer``: the outcome of ``n`` to explore first.  Conditions prefer false,
        so the first path skips the usual error checks and leaves a loop on an
        unknown condition early (short, finished paths first); ``!`` flips it."""
        s = self.steps = self.steps + 1  # self.step(), inlined
        if s > self._step_limit or not s & 255:
            self._step_check()
        if n.has_error:
            self.approximate(n, "partly unparsed condition")
        t = n.type
        if t == "parenthesized_expression" and len(n.kids) == 1 and n.kids[0].type != "compound_statement":
            return self.truth(n.kids[0], prefer)
        if t == "unary_expression" and n.op == "!" and n.kids:
            return not self.truth(n.kids[0], not prefer)
        if t == "binary_expression" and n.op in ("&&", "||"):
            left = self.truth(n.f["left"], prefer)
            if n.op == "&&":
                return left and self.truth(n.f["right"], prefer)
            return left or self.truth(n.f["right"], prefer)
        if t == "binary_expression" and n.op in CMP_OPS:
            lv, rv = self.operands(n)
            d = self.compare(n.op, lv, rv)
            if d is not None:
                return bool(d)
            return self.fork_compare(n, n.op, lv, rv, prefer)
        v = self.resolve(self.eval(n))
        b = self.truthy(v)
        if b is not None:
            return b
        return self.fork_compare(n, "!=", v, 0, prefer)

    def truthy(self, v) -> bool | None:
        if isinstance(v, int):
            return v != 0
        if isinstance(v, Unknown):
            r = self.ranges.get(v.uid)
            return None if r is None else r.decide("!=", 0)
        if isinstance(v, Sym):
            return None
        if v is None:
            return False
        return True  # model objects, structs, refs, arrays, strings: non-NULL

    def fork_compare(self, n: N, op: str, lv, rv, prefer: bool = False) -> bool:
        key = None
        if isinstance(rv, Unknown) and not isinstance(lv, Unknown):
            lv, rv, op = rv, lv, _FLIP[op]
        if isinstance(lv, Unknown) and isinstance(rv, int):
            pass
        elif isinstance(lv, Unknown) and isinstance(rv, Unknown):
            key = ("cmp", lv.uid, op, rv.uid)
        elif isinstance(lv, Sym) or isinstance(rv, Sym):
            key = ("sym", _ident_sym(lv), op, _ident_sym(rv))
        else:
            key = ("expr", n.start, ident(lv), op, ident(rv))
        if key is not None and key in self.memo:
            return self.memo[key]
        holds = prefer if self.choose(2) == 0 else not prefer
        if isinstance(lv, Unknown) and isinstance(rv, int):
            self.ranges[lv.uid] = self.ranges.get(lv.uid, Range()).narrow(op, rv, holds)
        elif isinstance(lv, Unknown) and isinstance(rv, Unknown) and op in ("==", "!="):
            if holds == (op == "=="):  # now known equal: one stands for the other
                if rv.uid in self.named_constants:
                    self.materialised[lv.uid] = rv
                elif lv.uid in self.named_constants:
                    self.materialised[rv.uid] = lv
            else:
                self.unequal.setdefault(lv.uid, set()).add(rv.uid)
                self.unequal.setdefault(rv.uid, set()).add(lv.uid)
        if key is not None:
            self.memo[key] = holds
        self.event(EventKind.ASSUME, n, f"assume {n.brief()} is {'true' if holds else 'false'}")
        return holds

    def compare(self, op: str, lv, rv) -> int | None:
        """The comparison's value when it is decided; None when it depends on an unknown."""
        if isinstance(lv, int) and isinstance(rv, int):
            if op in ("==", "!=") and (lv < 0) != (rv < 0) and _same_bits(lv, rv):
                return int(op == "==")  # x == -1 with x an unsigned long holding 2**64 - 1
            return int(_CMP[op](lv, rv))
        if isinstance(rv, Unknown) and isinstance(lv, int):
            lv, rv, op = rv, lv, _FLIP[op]
        if isinstance(lv, Unknown):
            if isinstance(rv, Unknown):
                if lv.uid == rv.uid and op in ("==", "!=", "<=", ">=", "<", ">"):
                    return int(op in ("==", "<=", ">="))
                if op in ("==", "!="):
                    differ = (lv.uid in self.named_constants and rv.uid in self.named_constants) or \
                        rv.uid in self.unequal.get(lv.uid, ()) or lv.uid in self.unequal.get(rv.uid, ())
                    if differ:
                        return int(op == "!=")
                return None
            if isinstance(rv, int):
                r = self.ranges.get(lv.uid)
                d = r.decide(op, rv) if r is not None else None
                return None if d is None else int(d)
            if op in ("==", "!=") and isinstance(rv, (Folio, Page, Ref)):
                return None
            return None
        if isinstance(lv, Sym) and isinstance(rv, Sym):
            if lv.base == rv.base:
                return int(_CMP[op](lv.delta, rv.delta))
            return None
        if isinstance(lv, Sym) or isinstance(rv, Sym):
            return None
        if isinstance(lv, Page) and isinstance(rv, Page):
            if lv.folio is rv.folio and isinstance(lv.index, int) and isinstance(rv.index, int):
                return int(_CMP[op](lv.index, rv.index))
            if op in ("==", "!="):
                if lv.folio is not rv.folio:
                    return int(op == "!=")
                return None
            return None
        if op in ("==", "!="):
            if lv is None or rv is None:
                return None
            if isinstance(lv, int) or isinstance(rv, int):  # a model object against NULL or a number
                other = rv if isinstance(lv, int) else lv
                num = lv if isinstance(lv, int) else rv
                if isinstance(other, (Folio, Page, Ref, Struct, Array, PageArray, Str, ErrPtr)) and num == 0:
                    return int(op == "!=")
                return None
            if isinstance(lv, ErrPtr) or isinstance(rv, ErrPtr):  # an error pointer is no object's address
                if isinstance(lv, ErrPtr) and isinstance(rv, ErrPtr):
                    return self.compare(op, self.resolve(lv.errno), self.resolve(rv.errno))
                if isinstance(lv, (Folio, Page, Ref, Struct, Array, PageArray, Str, ErrPtr)) and \
                        isinstance(rv, (Folio, Page, Ref, Struct, Array, PageArray, Str, ErrPtr)):
                    return int(op == "!=")
                return None
            same = ident(lv) == ident(rv)
            if isinstance(lv, Folio) and isinstance(rv, Folio):
                return int(same == (op == "=="))
            if same:
                return int(op == "==")
        return None


def _same_bits(a: int, b: int) -> bool:
    """A negative int and a wrapped unsigned one that are the same 64- or 32-bit pattern
    (an unsigned variable compared with ``-1``: C converts the -1 to the unsigned type)."""
    neg, pos = (a, b) if a < 0 else (b, a)
    return any(1 << (bits - 1) <= pos < 1 << bits and neg & ((1 << bits) - 1) == pos for bits in (64, 32))


def _ident_sym(v):
    return ("sym", v.base, v.delta) if isinstance(v, Sym) else ident(v)
