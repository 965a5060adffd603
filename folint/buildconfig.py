"""The build's configuration as data: which ``#if``/``#ifdef`` branches the compiler sees.

kbuild hands a checker its ``-D`` defines and ``-include``s ``include/linux/kconfig.h``,
which pulls in ``include/generated/autoconf.h`` (``#define CONFIG_X 1`` for each
enabled option, ``CONFIG_X_MODULE 1`` for ``=m``).  A :class:`BuildConfig` holds those
macros and decides a conditional group's branch from its directives' text: the first
branch whose condition is true, or ``None`` when a condition it cannot evaluate comes
first (a macro a header defines, an expression it does not know): then the group is
treated as without a configuration.

A ``CONFIG_`` name that is not defined is off when autoconf.h was read (it lists every
enabled option), unknown when not; any other undefined name is unknown.  ``defined``, ``IS_ENABLED``, ``IS_BUILTIN``,
``IS_MODULE``, ``IS_REACHABLE``, integers, ``! && || == != < > <= >=`` and parentheses
are evaluated.

:func:`use` makes a configuration the active one for the parse (``folint.kernel_c``
reduces decided groups to their compiled branch, so the rules and the simulator see the
code the build compiles); with none active nothing changes.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?:[ \t]+(.*?))?[ \t]*$", re.M)
_DIRECTIVE = re.compile(r"\s*#\s*(\w+)\s*(.*)", re.S)
_TOKEN = re.compile(r"\s*(?:(\d+)[uUlL]*|(\w+)|(&&|\|\||==|!=|<=|>=|[()!<>]))")
_CONFIG_TESTS = {"IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE"}


class _Unknown(Exception):
    """A condition the configuration cannot decide."""


def _strip(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text.replace("\\\n", " "), flags=re.S)
    return re.sub(r"//.*", "", text).strip()


def parse_defines(text: str) -> dict[str, str]:
    """``#define NAME VALUE`` lines (autoconf.h) -> {NAME: VALUE} (``1`` when no value)."""
    return {m.group(1): (m.group(2) or "1") for m in _DEFINE.finditer(text) if "(" not in m.group(1)}


@dataclass
class BuildConfig:
    defines: dict[str, str] = field(default_factory=dict)
    undefined: set[str] = field(default_factory=set)  # -U NAME
    # autoconf.h was read: a CONFIG_ name it does not define is off (else unknown)
    complete: bool = True

    def is_defined(self, name: str) -> bool | None:
        if name in self.undefined:
            return False
        if name in self.defines:
            return True
        return False if name.startswith("CONFIG_") and self.complete else None

    def value(self, name: str) -> int:
        if self.is_defined(name) is False:
            return 0
        raw = self.defines.get(name)
        if raw is None:
            raise _Unknown(name)
        m = re.fullmatch(r"\s*(-?\d+)[uUlL]*\s*", raw)
        if not m:
            raise _Unknown(name)
        return int(m.group(1))

    def _config_test(self, test: str, name: str) -> int:
        builtin = self.is_defined(name)
        module = self.is_defined(name + "_MODULE")
        if builtin is None or module is None:
            raise _Unknown(name)
        if test == "IS_BUILTIN":
            return int(builtin)
        if test == "IS_MODULE":
            return int(module)
        return int(builtin or module)  # IS_ENABLED; IS_REACHABLE as its upper bound

    # -- expressions ------------------------------------------------------------------
    def evaluate(self, expr: str) -> bool | None:
        """An ``#if`` expression's truth, or None when it cannot be decided."""
        tokens, pos, text = [], 0, _strip(expr)
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                return None
            tokens.append(m.group(m.lastindex))
            pos = m.end()
            if text[pos:].strip() == "":
                break
        try:
            value, rest = self._or(tokens)
        except (_Unknown, IndexError):
            return None
        return bool(value) if not rest else None

    def _or(self, t):
        left, t = self._and(t)
        while t and t[0] == "||":
            try:
                right, t = self._and(t[1:])
            except _Unknown:
                if left:
                    return 1, _skip_operand(t[1:])
                raise
            left = int(bool(left) or bool(right))
        return left, t

    def _and(self, t):
        left, t = self._cmp(t)
        while t and t[0] == "&&":
            try:
                right, t = self._cmp(t[1:])
            except _Unknown:
                if not left:
                    return 0, _skip_operand(t[1:])
                raise
            left = int(bool(left) and bool(right))
        return left, t

    def _cmp(self, t):
        left, t = self._unary(t)
        ops = {"==": int.__eq__, "!=": int.__ne__, "<": int.__lt__, ">": int.__gt__,
               "<=": int.__le__, ">=": int.__ge__}
        while t and t[0] in ops:
            right, rest = self._unary(t[1:])
            left, t = int(ops[t[0]](left, right)), rest
        return left, t

    def _unary(self, t):
        tok = t[0]
        if tok == "!":
            v, rest = self._unary(t[1:])
            return int(not v), rest
        if tok == "(":
            v, rest = self._or(t[1:])
            if not rest or rest[0] != ")":
                raise _Unknown("(")
            return v, rest[1:]
        if tok.isdigit():
            return int(tok), t[1:]
        if tok == "defined":
            if t[1] == "(":
                name, rest = t[2], t[3:]
                if not rest or rest[0] != ")":
                    raise _Unknown("defined(")
                rest = rest[1:]
            else:
                name, rest = t[1], t[2:]
            d = self.is_defined(name)
            if d is None:
                raise _Unknown(name)
            return int(d), rest
        if tok in _CONFIG_TESTS and len(t) > 3 and t[1] == "(" and t[3] == ")":
            return self._config_test(tok, t[2]), t[4:]
        if re.fullmatch(r"\w+", tok):
            if len(t) > 1 and t[1] == "(":
                raise _Unknown(tok)  # a function-like macro we do not know
            return self.value(tok), t[1:]
        raise _Unknown(tok)

    # -- groups ----------------------------------------------------------------------
    def condition(self, directive: str) -> bool | None:
        """One directive's own condition (``#else``: True)."""
        m = _DIRECTIVE.match(directive)
        if not m:
            return None
        kind, rest = m.group(1), _strip(m.group(2))
        if kind == "else":
            return True
        if kind in ("ifdef", "elifdef", "ifndef", "elifndef"):
            name = rest.split()[0] if rest.split() else ""
            d = self.is_defined(name) if re.fullmatch(r"\w+", name) else None
            return None if d is None else (d if kind.endswith("ifdef") else not d)
        if kind in ("if", "elif"):
            return self.evaluate(rest)
        return None

    def choose(self, directives: list[str]) -> int | None:
        """The branch the build compiles, given the group's directives (``#if`` ...
        ``#else``, without ``#endif``): its index, -1 when none is compiled, None when
        undecided."""
        for i, d in enumerate(directives):
            got = self.condition(d)
            if got is None:
                return None
            if got:
                return i
        return -1


def _skip_operand(t):
    """Skip one operand of && or || whose value does not matter (short circuit)."""
    depth, i = 0, 0
    while i < len(t):
        if t[i] == "(":
            depth += 1
        elif t[i] == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and t[i] in ("&&", "||"):
            break
        i += 1
    return t[i:]


_ACTIVE: list[BuildConfig] = []


def active() -> BuildConfig | None:
    return _ACTIVE[-1] if _ACTIVE else None


@contextlib.contextmanager
def use(config: BuildConfig | None):
    """Parse with ``config`` as the build's configuration inside the block."""
    if config is None:
        yield
        return
    _ACTIVE.append(config)
    try:
        yield
    finally:
        _ACTIVE.pop()
