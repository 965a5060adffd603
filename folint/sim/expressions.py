"""Expressions: literals, arithmetic, assignment, the conditional and comma operators.

Owns the :class:`Expressions` mixin of :class:`folint.sim.run.SimRun`:
``eval`` (one expression: the dispatch on its node type through
``SimRun.eval_handlers``, built from :data:`EXPRESSION_HANDLERS` - handler
names, since the handlers of identifiers, fields, subscripts, ``*``/``&`` live
in ``folint.sim.memory`` and the call handler in ``folint.sim.calls``),
literals (``c_int`` reads a C integer literal), ``arith`` (the binary
operators on integers, pages of a folio and symbolic swap entries),
``++``/``--``, assignment, casts, ``sizeof``, compound literals and GNU
statement expressions.
"""

from __future__ import annotations

from folint.sim.conditions import CMP_OPS, Range
from folint.sim.lower import N
from folint.sim.values import Page, PageArray, Str, Sym, Unknown, render
from folint.sim.widths import ARITH_LIMIT

# sizeof() of the fixed-size kernel types (LP64, as x86_64 and arm64 build them)
FIXED_SIZES = {"u8": 1, "s8": 1, "char": 1, "unsigned char": 1, "bool": 1, "u16": 2, "s16": 2, "__le16": 2,
               "__be16": 2, "short": 2, "u32": 4, "s32": 4, "__le32": 4, "__be32": 4, "int": 4, "unsigned int": 4,
               "unsigned": 4, "u64": 8, "s64": 8, "__le64": 8, "__be64": 8, "long": 8, "unsigned long": 8,
               "long long": 8, "unsigned long long": 8, "size_t": 8, "loff_t": 8, "pgoff_t": 8}


class Expressions:
    """Evaluating expressions (mixin of :class:`SimRun`)."""

    eval_handlers: dict = {}  # node type -> handler, filled in by folint.sim.run

    def eval(self, n: N):
        s = self.steps = self.steps + 1  # self.step(), inlined: the hottest call
        if s > self._step_limit or not s & 255:
            self._step_check()
        h = self.eval_handlers.get(n.type)
        if h is None:
            if n.is_error:
                self.approximate(n, "unparsed code read as unknown")
            else:
                self.approximate(n, f"{n.type} not simulated")
            return self.unknown(n.brief())
        return h(self, n)

    def eval_number(self, n: N):
        v = c_int(n.text or "")
        return v if v is not None else self.unknown(n.text or "number")

    def eval_char(self, n: N):
        body = (n.text or "''")[1:-1]
        esc = {"\\n": 10, "\\t": 9, "\\0": 0, "\\\\": 92, "\\'": 39, "\\r": 13}
        if body in esc:
            return esc[body]
        return ord(body[0]) if len(body) == 1 else self.unknown(n.text or "char")

    def eval_string(self, n: N):
        return Str(n.brief())

    def eval_true(self, n: N):
        return 1

    def eval_false(self, n: N):
        return 0

    def eval_paren(self, n: N):
        if len(n.kids) == 1 and n.kids[0].type == "compound_statement":
            return self.statement_expression(n.kids[0])
        if not n.kids:
            return self.unknown("()")
        v = None
        for k in n.kids:
            v = self.eval(k)
        return v

    def statement_expression(self, block: N):
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            kids = block.kids
            for k in kids[:-1]:
                self.exec(k)
            if kids and kids[-1].type == "expression_statement" and kids[-1].kids:
                return self.eval(kids[-1].kids[0])
            if kids:
                self.exec(kids[-1])
            return 0
        finally:
            frame.scopes.pop()

    def eval_binary(self, n: N):
        op = n.op
        if op in ("&&", "||"):
            left = self.truth(n.f["left"])
            if op == "&&":
                return int(left and self.truth(n.f["right"]))
            return int(left or self.truth(n.f["right"]))
        lv, rv = self.operands(n)
        return self.arith(op, lv, rv, n)

    def operands(self, n: N):
        """The values of binary expression ``n``'s two sides, each resolved
        (``self.resolve``, only where it can change the value: an unknown)."""
        lv = self.eval(n.f["left"])
        if isinstance(lv, Unknown):
            lv = self.resolve(lv)
        rv = self.eval(n.f["right"])
        if isinstance(rv, Unknown):
            rv = self.resolve(rv)
        return lv, rv

    def arith(self, op: str, lv, rv, n: N):
        if op in CMP_OPS:
            d = self.compare(op, lv, rv)
            return d if d is not None else self.unknown(n.brief())
        if isinstance(lv, int) and isinstance(rv, int):
            v = _int_op(op, lv, rv)
            if v is not None and -ARITH_LIMIT < v < ARITH_LIMIT:
                return v
            return self.unknown(n.brief())
        if isinstance(lv, Page) and isinstance(rv, int) and op in ("+", "-"):
            if isinstance(lv.index, int):
                return Page(lv.folio, lv.index + rv if op == "+" else lv.index - rv)
        if isinstance(lv, Page) and isinstance(rv, Unknown) and op in ("+", "-"):
            return Page(lv.folio, self.unknown(f"{render(lv.index)} {op} {rv.desc}"))  # same folio, unknown page
        if isinstance(rv, Page) and isinstance(lv, int) and op == "+" and isinstance(rv.index, int):
            return Page(rv.folio, rv.index + lv)
        if isinstance(lv, Page) and isinstance(rv, Page) and op == "-":
            if lv.folio is rv.folio and isinstance(lv.index, int) and isinstance(rv.index, int):
                return lv.index - rv.index
        if op in ("+", "-") and (isinstance(lv, PageArray) or isinstance(rv, PageArray) or
                                 self.pointer_kinds.get(getattr(lv, "uid", None), ("",))[0] in ("pages", "folios")):
            arr = self.page_array_arith(op, self.as_model(lv), rv)
            if arr is not None:
                return arr
        if isinstance(lv, Sym) and isinstance(rv, int) and op in ("+", "-"):
            return lv.plus(rv if op == "+" else -rv)
        if isinstance(rv, Sym) and isinstance(lv, int) and op == "+":
            return rv.plus(lv)
        if isinstance(lv, Sym) and isinstance(rv, Sym) and op == "-" and lv.base == rv.base:
            return lv.delta - rv.delta
        if isinstance(lv, Unknown) or isinstance(rv, Unknown):
            if isinstance(rv, int):
                if (op in ("+", "-", "|", "^", "<<", ">>") and rv == 0) or (op in ("*", "/") and rv == 1):
                    return lv
                if op in ("*", "&") and rv == 0:
                    return 0
            if isinstance(lv, int) and op in ("+", "|", "^") and lv == 0:
                return rv
        return self.unknown(n.brief())

    @staticmethod
    def page_array_arith(op: str, lv, rv):
        """``pages + n`` (a view of the same array), ``n + pages``, ``pages - n``, and the
        distance between two views of one array; None for anything else."""
        if isinstance(lv, PageArray) and isinstance(rv, int):
            return lv.view(rv if op == "+" else -rv)
        if isinstance(rv, PageArray) and isinstance(lv, int) and op == "+":
            return rv.view(lv)
        if isinstance(lv, PageArray) and isinstance(rv, PageArray) and op == "-" and lv.aid == rv.aid:
            return lv.base - rv.base
        return None

    def eval_unary(self, n: N):
        op = n.op
        arg = n.kids[0] if n.kids else None
        if arg is None:
            return self.unknown(n.brief())
        if op == "!":
            v = self.resolve(self.eval(arg))
            b = self.truthy(v)
            return int(not b) if b is not None else self.unknown(n.brief())
        v = self.resolve(self.eval(arg))
        if isinstance(v, int):
            if op == "-":
                return -v
            if op == "+":
                return v
            if op == "~":
                return ~v
        return self.unknown(n.brief())

    def eval_update(self, n: N):
        arg = n.f.get("argument") or (n.kids[0] if n.kids else None)
        loc = self.lvalue(arg)
        old = self.resolve(loc.get())
        new = self.coerce(self.arith("+" if n.op == "++" else "-", old, 1, n), loc.type_text,
                          arg.text if arg.type == "identifier" else "")
        loc.set(new)
        prefix = n.start < arg.start
        return new if prefix else old

    def eval_assignment(self, n: N):
        left = n.f.get("left")
        right = n.f.get("right")
        loc = self.lvalue(left)
        if right is not None and right.type == "initializer_list":
            value = self.build_initializer(right, loc.type_text)
        else:
            value = self.resolve(self.eval(right))
        op = n.op or "="
        if op != "=":
            value = self.arith(op[:-1], self.resolve(loc.get()), value, n)
        name = left.text if left is not None and left.type == "identifier" else ""
        value = self.coerce(value, loc.type_text, name)
        loc.set(value)
        return value

    def eval_comma(self, n: N):
        v = None
        for k in n.kids:
            v = self.eval(k)
        return v

    def eval_conditional(self, n: N):
        cond = n.f.get("condition")
        cons = n.f.get("consequence")
        alt = n.f.get("alternative")
        if cons is None:  # GNU a ?: b
            v = self.resolve(self.eval(cond))
            b = self.truthy(v)
            if b is None:
                b = self.fork_compare(cond, "!=", v, 0)
            return v if b else self.eval(alt)
        return self.eval(cons) if self.truth(cond) else self.eval(alt)

    def eval_cast(self, n: N):
        value = n.f.get("value")
        return self.eval(value) if value is not None else self.unknown(n.brief())

    def eval_sizeof(self, n: N):
        inner = n.source().strip()[len("sizeof"):].strip()
        while inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1].strip()
        size = FIXED_SIZES.get(" ".join(inner.replace("const ", "").split()))
        if size is None and inner.replace(" ", "").endswith("*") and "(" not in inner:
            size = 8  # a pointer (LP64)
        if size is not None:
            return size
        u = self.unknown(n.brief())
        self.ranges[u.uid] = Range(1, None)
        return u

    def eval_compound_literal(self, n: N):
        tnode = n.f.get("type")
        t = tnode.words() if tnode is not None else ""
        value = n.f.get("value")
        if value is not None and value.type == "initializer_list":
            return self.build_initializer(value, t)
        return self.unknown(n.brief())

    def eval_initializer_list(self, n: N):
        return self.build_initializer(n, "")


def _int_op(op: str, a: int, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%"):
        if b == 0:
            return None
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    if op == "<<":
        return a << b if 0 <= b < 128 else None
    if op == ">>":
        return a >> b if 0 <= b < 128 else None
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    return None


def c_int(text: str) -> int | None:
    t = text.rstrip("uUlL")
    try:
        if t.lower().startswith(("0x", "0b")):
            return int(t, 0)
        if len(t) > 1 and t.startswith("0") and t.isdigit():
            return int(t, 8)
        return int(t)
    except ValueError:
        return None


# node type -> the name of its SimRun handler
EXPRESSION_HANDLERS = {
    "number_literal": "eval_number",
    "char_literal": "eval_char",
    "string_literal": "eval_string",
    "concatenated_string": "eval_string",
    "true": "eval_true",
    "false": "eval_false",
    "null": "eval_false",
    "identifier": "eval_identifier",
    "parenthesized_expression": "eval_paren",
    "binary_expression": "eval_binary",
    "unary_expression": "eval_unary",
    "update_expression": "eval_update",
    "assignment_expression": "eval_assignment",
    "comma_expression": "eval_comma",
    "conditional_expression": "eval_conditional",
    "cast_expression": "eval_cast",
    "sizeof_expression": "eval_sizeof",
    "alignof_expression": "eval_sizeof",
    "offsetof_expression": "eval_sizeof",
    "compound_literal_expression": "eval_compound_literal",
    "initializer_list": "eval_initializer_list",
    "field_expression": "eval_field",
    "subscript_expression": "eval_subscript",
    "pointer_expression": "eval_pointer",
    "call_expression": "eval_call",
}
EXPRESSION_TYPES = frozenset(EXPRESSION_HANDLERS)
