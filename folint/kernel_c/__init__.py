"""Make Linux kernel C digestible for tree-sitter-c without moving a byte.

tree-sitter-c parses ISO C plus a few GNU extensions, but kernel code leans on
macros that a parser cannot expand: annotations such as ``__init`` or
``__must_hold(x)`` standing where only a type or a declarator may, iterator
macros (``list_for_each_entry(pos, head, member) { ... }``) that look like a
call followed by a block, ``struct foo`` passed to ``container_of``, and
``#ifdef`` branches that each hold half a statement.  Each of these becomes an
ERROR node that can swallow the rest of a function, and with it the findings
of every rule.  :func:`kernelize` rewrites such spots into plain C of exactly
the same length, with every newline where it was, so that a node's byte
offset, line and column in the rewritten text are those of the original file.
Rewrites only replace bytes with spaces or with a short keyword in place
(``while``, ``long``); comments and strings outside the rewritten spots are
left as they are, so rules should take node text from the original bytes.
"""

from __future__ import annotations

from typing import Callable

from folint.kernel_c.conditionals import _resolve_conditionals
from folint.kernel_c.lexemes import _mask
from folint.kernel_c.macros import (
    _blank_annotations,
    _rewrite_bitmaps,
    _rewrite_defining_macros,
    _rewrite_iterators,
    _rewrite_per_cpu,
    _rewrite_syscalls,
    _rewrite_type_arguments,
)
from folint.kernel_c.syntax import (
    _blank_declarator_suffixes,
    _blank_unknown_attributes,
    _rewrite_end_labels,
    _rewrite_gnu_spellings,
    _rewrite_gnu_syntax,
    _rewrite_macro_asm,
    _rewrite_offsetof,
    _rewrite_statement_macros,
    _rewrite_typeof,
)
from folint.kernel_c.text import _Text

__all__ = ["kernelize"]

_REWRITES: list[Callable[[_Text], None]] = [
    _blank_annotations,
    _rewrite_syscalls,
    _rewrite_per_cpu,
    _rewrite_bitmaps,
    _rewrite_defining_macros,
    _blank_declarator_suffixes,
    _blank_unknown_attributes,
    _rewrite_gnu_spellings,
    _rewrite_iterators,
    _rewrite_type_arguments,
    _rewrite_typeof,
    _rewrite_offsetof,
    _rewrite_statement_macros,
    _rewrite_end_labels,
    _rewrite_macro_asm,
    _rewrite_gnu_syntax,
]


def _kernelize(src: bytes, premask: tuple[bytes, list] | None = None) -> bytes:
    text = _Text(src)
    if premask is None:
        directives = _mask(text)
    else:
        text.mask = bytearray(premask[0])
        text._frozen = bytes(premask[0])
        directives = list(premask[1])
    _resolve_conditionals(text, directives)
    text.note_triggers()
    for rewrite in _REWRITES:
        rewrite(text)
    return bytes(text.out)


def kernelize(src: bytes, premask: tuple[bytes, list] | None = None) -> bytes:
    """Return ``src`` rewritten so that tree-sitter-c parses it with fewer
    ERROR nodes.

    ``premask``: ``src``'s mask and conditional directives, as ``lexemes._mask``
    would make them, when the caller has them already (``folint.blanking``: the
    mask of the file with bodies blanked is the blanked mask of the file), so that
    the text is not masked twice.

    The result has the length of ``src`` and newlines at exactly the same
    offsets.  It never raises on any bytes: should a rewrite go wrong, the
    input comes back unchanged.
    """
    src = bytes(src)
    try:
        out = _kernelize(src, premask)
    except Exception:  # a linter must not die on an odd file
        return src
    if len(out) != len(src):
        return src
    return out
