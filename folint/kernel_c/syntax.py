"""Step 3b: rewrites of GNU and kernel syntax (attributes, declarator suffixes, typeof, offsetof, statement macros, end labels, asm, case ranges).

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator

from folint.kernel_c.macros import _C_KEYWORDS
from folint.kernel_c.scan import (
    _after_space,
    _atomic,
    _balanced,
    _byte_before,
    _LINE_START,
    _call_args,
    _starts_word,
    _word_before,
)
from folint.kernel_c.text import _WORD_BYTES, Span, _Text, _triggers

_PRIMITIVE = rb"(?:void|int|char|bool|long|short|unsigned|signed|float|double)"
_NOT_ATTRIBUTES = (
    rb"(?!(?:static|extern|inline|__inline|__inline__|const|volatile|register|"
    rb"unsigned|signed|long|short|int|char|void|bool|float|double|struct|union|"
    rb"enum|typedef|return|else|case|auto)\b)"
)
if sys.version_info >= (3, 11):
    _ATTRIBUTE_BY_PLACE = re.compile(
        _LINE_START + rb"(?=[A-Za-z_])(?:(?:static|extern|inline|const)[ \t]+){0,3}+(?:"
        + rb"(?=[A-Za-z_]\w*+\s++" + _PRIMITIVE + rb"\b)"
        + _NOT_ATTRIBUTES + rb"(?P<before>[A-Za-z_]\w*+)\s++" + _PRIMITIVE + rb"\b"
        + rb"|" + _PRIMITIVE + rb"[ \t]++" + _NOT_ATTRIBUTES
        + rb"(?P<after>[A-Za-z_]\w*+)\s++\**+\s*+"
        + rb"(?!(?:__attribute__|__attribute|asm|__asm__|__asm)\b)[A-Za-z_]\w*+\s*+\()"
    )
else:  # the same matches, found more slowly
    _ATTRIBUTE_BY_PLACE = re.compile(
        _LINE_START + rb"(?:(?:static|extern|inline|const)[ \t]+){0,3}(?:"
        + _NOT_ATTRIBUTES + rb"(?P<before>[A-Za-z_]\w*)\s+" + _PRIMITIVE + rb"\b"
        + rb"|" + _PRIMITIVE + rb"[ \t]+" + _NOT_ATTRIBUTES
        + rb"(?P<after>[A-Za-z_]\w*)\s+\**\s*"
        + rb"(?!(?:__attribute__|__attribute|asm|__asm__|__asm)\b)[A-Za-z_]\w*\s*\()"
    )
"""A line that starts a declaration with an attribute macro the lists do not
know: ``noinline_for_stack int`` or ``int __net_init f(``.  From Python 3.11, the
quantifiers are possessive (giving back a word or blanks could never let the rest
match: a word, a blank or a ``*`` follows where each stops), a line that cannot
start either form is refused at its first byte, and the long keyword lookahead runs
only where a primitive type follows the first word: the same matches in half the
time, which matters on every line of every file."""
_XFS_STATIC = re.compile(rb"STATIC(?=[ \t]+\w)")
_XFS_STATIC_TRIGGERS = _triggers(b"STATIC")


def _blank_unknown_attributes(text: _Text) -> None:
    """Blank a word that can only be an attribute macro by where it stands.

    An identifier right before a primitive type (``noinline_for_stack int``)
    or between a primitive type and a function name (``int __net_init f(``)
    cannot be a type or a declarator.  ``STATIC`` (xfs) becomes ``static``.
    """
    if text.may_hold(*_XFS_STATIC_TRIGGERS):
        mask = text.frozen()
        for m in _XFS_STATIC.finditer(mask):
            if _starts_word(mask, m.start()):
                text.put(m.start(), b"static")
    mask = text.frozen()
    for m in _ATTRIBUTE_BY_PLACE.finditer(mask):
        group = "before" if m.start("before") >= 0 else "after"
        if m.group(group) not in _C_KEYWORDS:
            text.blank(m.start(group), m.end(group))


# GNU declaration syntax: attributes after a declarator, asm register names.

_ATTRIBUTE = re.compile(rb"__attribute(?:__)?\s*(?=\(\()")
_ASM_LABEL = re.compile(rb"asm(?:__)?\s*(?=\()")
_SUFFIXES = [(_ATTRIBUTE, _triggers(b"__attribute")), (_ASM_LABEL, _triggers(b"asm"))]
_DECLARATION_GOES_ON = frozenset(b";=,")


def _after_declarator(mask: bytes, pos: int) -> bool:
    before = _byte_before(mask, pos)
    if before == 0x5D:  # "]"
        return True
    return before in _WORD_BYTES and _word_before(mask, pos) not in _C_KEYWORDS


def _blank_declarator_suffixes(text: _Text) -> None:
    """``int x __attribute__((unused));`` and ``register long r asm("r0")``:
    tree-sitter-c takes neither after a declarator, so both are blanked."""
    mask = text.frozen()
    for pattern, triggers in _SUFFIXES:
        if not text.may_hold(*triggers):
            continue
        for m in pattern.finditer(mask):
            start = m.start() - 2 if mask[m.start() - 2:m.start()] == b"__" else m.start()
            if not _starts_word(mask, start) or not _after_declarator(mask, start):
                continue
            args = _call_args(mask, m.end())
            if not args:
                continue
            if pattern is _ASM_LABEL and mask[args[0] + 1:args[1] - 1].strip():
                continue  # a register name is one string, masked to spaces
            after = _after_space(mask, args[1])
            if mask[after:after + 1] and mask[after] in _DECLARATION_GOES_ON:
                text.blank(start, args[1])


_GNU_CONST = re.compile(rb"__const\b")


def _rewrite_gnu_spellings(text: _Text) -> None:
    """``__const`` -> ``const  ``."""
    if not text.may_hold(*_GNU_CONST_TRIGGERS):
        return
    mask = text.frozen()
    for m in _GNU_CONST.finditer(mask):
        if _starts_word(mask, m.start()):
            text.put(m.start(), b"const  ")


# typeof of an expression: tree-sitter-c only takes a type or a name.

_TYPEOF_LIKE = [(re.compile(rb"typeof(?:__|_unqual)?\s*(?=\()"), _triggers(b"typeof")),
                (re.compile(rb"alignof(?:__)?\s*(?=\()"), _triggers(b"alignof"))]
_TYPE_NAME = re.compile(
    rb"\s*(?:(?:const|volatile)\s+)*(?:(?:struct|union|enum)\s+)?\w+"
    rb"(?:\s+\w+)*[\s*]*\Z"
)
_GNU_CONST_TRIGGERS = _triggers(b"__const")
_IDENTIFIER = re.compile(rb"[A-Za-z_]\w*")


def _rewrite_typeof(text: _Text) -> None:
    """``typeof(a->b)`` -> ``typeof(a   )``: keep the first name only.

    The same for ``__alignof__(*p)``."""
    mask = text.frozen()
    for m in itertools.chain.from_iterable(p.finditer(mask) for p, triggers in _TYPEOF_LIKE
                                           if text.may_hold(*triggers)):
        start = m.start() - 2 if mask[m.start() - 2:m.start()] == b"__" else m.start()
        args = _call_args(mask, m.end())
        if not args or not _starts_word(mask, start):
            continue
        inner = (args[0] + 1, args[1] - 1)
        if _TYPE_NAME.match(mask, *inner):
            continue
        for name in _IDENTIFIER.finditer(mask, *inner):
            if name.group() not in _C_KEYWORDS:
                text.blank(*inner)
                text.put(name.start(), name.group())
                break


_OFFSETOF = re.compile(rb"offsetof\s*(?=\()")
_OFFSETOF_TRIGGERS = _triggers(b"offsetof")
_MEMBER_DESIGNATOR = re.compile(rb"[^,]*,\s*\w+")


def _rewrite_offsetof(text: _Text) -> None:
    """``offsetof(struct s, a.b[2])`` -> ``offsetof(struct s, a      )``."""
    if not text.may_hold(*_OFFSETOF_TRIGGERS):
        return
    mask = text.frozen()
    for m in _OFFSETOF.finditer(mask):
        args = _call_args(mask, m.end())
        if not args:
            continue
        member = _MEMBER_DESIGNATOR.match(mask, args[0] + 1, args[1] - 1)
        if member and mask[member.end():args[1] - 1].strip():
            text.blank(member.end(), args[1] - 1)


# Statement-like macros the name patterns do not catch.

_NOT_LINE_MACROS = frozenset({b"if", b"while", b"for", b"switch", b"return", b"sizeof", b"else", b"do",
                              b"case", b"goto"})
if sys.version_info >= (3, 11):  # a line that starts no call is refused at once
    _CALL_AHEAD = rb"(?=[A-Za-z_]\w*+[ \t]*+\()"
else:
    _CALL_AHEAD = rb""
_LINE_MACRO = re.compile(
    _LINE_START + _CALL_AHEAD + rb"(?!(?:" + b"|".join(sorted(_NOT_LINE_MACROS)) + rb")\b)"
    + rb"(?P<name>[A-Za-z_]\w*)[ \t]*" + _atomic(rb"\(" + _balanced(4) + rb"\)", b"args")
    + rb"(?=\s*\{|[ \t]*\n\s*[}A-Za-z_]|\s*\Z)"
)
"""A line that starts with ``NAME(args)`` and has no ``;`` after it.  The name is a
whole word (a ``(`` follows it), and none of ``_NOT_LINE_MACROS``: refusing one at
its line start lets the search go on from the byte after, so that the lines its
parentheses hold are tried (a ``finditer`` that refused it in code would skip them)."""
_STATEMENT_AFTER = frozenset(b"{}_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _line_macros(mask: bytes) -> Iterator[re.Match]:
    """``_LINE_MACRO``'s matches."""
    return _LINE_MACRO.finditer(mask)


def _rewrite_statement_macros(text: _Text) -> None:
    """Macros on a line of their own inside a block, with no ``;`` after.

    ``pte_iterate(p, n) {`` is a loop head: ``while      (p, n) {``.
    ``BCH_FIELDS()`` followed by another line is an x-macro list or a
    statement macro that brings its own ``;``: it is blanked.
    At file scope, ``module_init(f)`` and the like are blanked.
    """
    mask = text.frozen()
    # The brace depth at each macro, counted on from the last: the rewrites here
    # touch no brace (a name, and arguments that hold none), so ``mask`` keeps
    # counting what ``text.mask`` holds.
    depth = counted = 0
    for m in _line_macros(mask):
        args = m.span("args")
        after = _after_space(mask, args[1])
        next_byte = mask[after] if after < len(mask) else 0x7D
        if next_byte not in _STATEMENT_AFTER:
            continue
        if next_byte != 0x7B and b"\n" not in mask[args[1]:after + 1]:
            continue
        start = m.start("name")
        before = _byte_before(mask, start)
        if before >= 0 and before not in b";{}:),":
            continue
        depth += mask.count(b"{", counted, start) - mask.count(b"}", counted, start)
        counted = start
        if next_byte == 0x7B:
            if depth > 0 and before != 0x2C:
                name_len = m.end("name") - start
                keyword = b"while" if name_len >= 5 else b"if"
                text.put(start, keyword.ljust(name_len))
        elif depth == 0 and before == 0x2C:
            continue
        else:
            text.blank(start, args[1])


_END_LABEL = re.compile(rb":(?=\s*\})")
_LABEL_LINE = re.compile(rb"\n[ \t]*([A-Za-z_]\w*)[ \t]*\Z")


def _rewrite_end_labels(text: _Text) -> None:
    """``out:`` right before ``}`` -> ``out;`` (a label needs a statement)."""
    mask = text.frozen()
    for m in _END_LABEL.finditer(mask):
        label = _LABEL_LINE.search(mask, max(0, m.start() - 80), m.start())
        if label is None or label.group(1) in _C_KEYWORDS:
            continue
        if _byte_before(mask, label.start(1)) in b";{}:":
            text.put(m.start(), b";")


# Inline assembly built from macros: asm volatile(ALTERNATIVE(...) : ...).

_ASM = re.compile(
    rb"asm(?:__)?\b((?:\s+(?:volatile|__volatile__|__volatile|goto|inline|__inline__))*)"
    rb"\s*(?=\()"
)
_ASM_TRIGGERS = _triggers(b"asm")
_ASM_PART = re.compile(rb"\(" + _balanced(3) + rb"\)|\[[^\]]*\]|:|[A-Za-z_]\w*")
_TWO_BYTES = re.compile(rb"[^\n]{2}")


def _asm_needs_macros(mask: bytes, inner: Span, is_goto: bool) -> bool:
    """Whether an asm statement's text names anything outside parentheses:
    a macro in the template (``ALTERNATIVE(...)``, ``EX_TABLE(0b, 1b)``) or a
    clobber list given as a macro.  Goto labels are names and are fine."""
    colons = 0
    for m in _ASM_PART.finditer(mask, *inner):
        first = mask[m.start()]
        if first == 0x3A:  # ":"
            colons += 1
        elif first in _WORD_BYTES and not (is_goto and colons >= 3):
            return True
    return False


def _rewrite_macro_asm(text: _Text) -> None:
    """``asm volatile(MACRO("nop") : : : CLOBBERS)`` -> ``asm volatile("" ...)``.

    tree-sitter-c wants string literals in an asm statement.  When macros
    build the assembly, the operands are blanked too and an empty template
    ``""`` is written in place, which keeps the statement an asm statement.
    """
    if not text.may_hold(*_ASM_TRIGGERS):
        return
    mask = text.frozen()
    for m in _ASM.finditer(mask):
        start = m.start() - 2 if mask[m.start() - 2:m.start()] == b"__" else m.start()
        if not _starts_word(mask, start):
            continue
        args = _call_args(mask, m.end())
        if not args:
            continue
        inner = (args[0] + 1, args[1] - 1)
        if not _asm_needs_macros(mask, inner, b"goto" in m.group(1)):
            continue
        text.blank(*inner)
        if b"goto" in m.group(1):
            goto = m.start(1) + m.group(1).index(b"goto")
            text.blank(goto, goto + 4)
        spot = _TWO_BYTES.search(text.out, *inner)
        if spot:
            text.put(spot.start(), b'""')


# GNU syntax that tree-sitter-c lacks.

_CASE_RANGE = re.compile(rb"case(?<!\wcase)\b[^:;{}]*?(\.\.\.)")
_ASM_INLINE = re.compile(rb"asm_inline(?<!\wasm_inline)\b")
_triggers(b"...", b"asm_inline")


def _rewrite_gnu_syntax(text: _Text) -> None:
    """``case 1 ... 3:`` -> ``case 1  -  3:``; ``asm_inline`` -> ``asm``."""
    mask = text.frozen()
    if text.may_hold(b"..."):
        for m in _CASE_RANGE.finditer(mask):
            text.put(m.start(1), b" - ")
    if text.may_hold(b"asm_inline"):
        for m in _ASM_INLINE.finditer(mask):
            text.put(m.start(), b"asm       ")
