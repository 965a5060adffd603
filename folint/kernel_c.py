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

import bisect
import itertools
import re
import sys
from typing import Callable, Iterable

__all__ = ["kernelize"]

Span = tuple[int, int]

# ---------------------------------------------------------------------------
# The text being rewritten


_BLANK = bytes(10 if b == 10 else 32 for b in range(256))
"""Translation table: every byte becomes a space, except the newline."""

_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")


def _blank(chunk: bytes) -> bytes:
    return chunk.translate(_BLANK)


class _Text:
    """The output under construction and its *mask*.

    The mask is the same text with comments, string and character literals
    and preprocessor lines blanked, so that patterns matched on it cannot be
    fooled by a brace in a string or a macro name in a comment.  Edits go to
    both, so later passes see the effect of earlier ones.
    """

    def __init__(self, src: bytes) -> None:
        self.out = bytearray(src)
        self.mask = bytearray()
        self._braces: tuple[list[int], list[int]] | None = None

    def blank(self, start: int, end: int) -> None:
        masked = self.mask[start:end]
        if b"\n" in masked:  # out and mask have their newlines in common
            self.out[start:end] = _blank(bytes(self.out[start:end]))
            self.mask[start:end] = _blank(bytes(masked))
        else:
            spaces = b" " * len(masked)
            self.out[start:end] = spaces
            self.mask[start:end] = spaces
        if b"{" in masked or b"}" in masked:
            self._braces = None

    def put(self, pos: int, text: bytes) -> None:
        """Overwrite code at ``pos`` with ``text``, which has its newlines (if
        any) where the code has them and no braces or quotes."""
        self.out[pos:pos + len(text)] = text
        self.mask[pos:pos + len(text)] = text

    def brace_depth(self, pos: int) -> int:
        """Nesting depth of ``{}`` in the mask at ``pos``."""
        if self._braces is None:
            marks = [m.start() for m in _BRACE.finditer(self.mask)]
            steps = (1 if self.mask[i] == 0x7B else -1 for i in marks)
            self._braces = (marks, list(itertools.accumulate(steps)))
        marks, depths = self._braces
        i = bisect.bisect_left(marks, pos)
        return depths[i - 1] if i else 0


_BRACE = re.compile(rb"[{}]")


# ---------------------------------------------------------------------------
# Scanning helpers (all on the mask)


def _balanced(depth: int) -> bytes:
    """Regex body for text with parentheses nested up to ``depth`` levels.

    An unrolled loop, so that a failed match backtracks in linear time.
    ``;`` and braces are excluded: macro arguments practically never hold
    them, and the exclusion bounds how far a failed match can run.
    """
    body = rb"[^(){};]*"
    for _ in range(depth):
        body = rb"[^(){};]*(?:\(" + body + rb"\)[^(){};]*)*"
    return body


if sys.version_info >= (3, 11):
    _LINE_START = rb"\n[ \t]*+"
else:  # no possessive quantifiers yet: the lookahead idiom does the same
    _LINE_START = rb"\n(?=(?P<indent>[ \t]*))(?P=indent)"
"""A newline and the indentation after it, taken atomically: masked comments
leave long runs of blanks, and backtracking into them would be slow."""

_ARGS = re.compile(rb"\(" + _balanced(4) + rb"\)")
"""A balanced parenthesised argument list, matched from its ``(``."""

_SPACE = re.compile(rb"\s*")
_TRAILING_WORD = re.compile(rb"(\w+)\s*\Z")
_TOP_COMMA = re.compile(rb"\(" + _balanced(3) + rb"\)|,")


def _after_space(mask: bytes, pos: int) -> int:
    """Offset of the first non-whitespace byte at or after ``pos``."""
    return _SPACE.match(mask, pos).end()


def _byte_before(mask: bytes, pos: int, lo: int = 0) -> int:
    """The last non-whitespace byte in ``mask[lo:pos]``, or -1 if none.

    Looks back at most 8 KiB (and takes a longer blank run for the start
    of the file), so that runs of blanked text cost little.
    """
    lo = max(lo, pos - 8192)
    window = 256
    while True:
        start = max(lo, pos - window)
        chunk = mask[start:pos].rstrip()
        if chunk:
            return chunk[-1]
        if start == lo:
            return -1
        window *= 8


def _word_before(mask: bytes, pos: int) -> bytes:
    """The identifier or keyword that ends right before ``pos``, if any."""
    m = _TRAILING_WORD.search(mask, max(0, pos - 64), pos)
    return m.group(1) if m else b""


def _starts_word(mask: bytes, pos: int) -> bool:
    return pos == 0 or mask[pos - 1] not in _WORD_BYTES


def _top_level_commas(mask: bytes, args: Span) -> list[int]:
    """Offsets of the commas directly inside the argument list ``args``."""
    return [m.start() for m in _TOP_COMMA.finditer(mask, args[0] + 1, args[1] - 1)
            if mask[m.start()] == 0x2C]


def _call_args(mask: bytes, paren: int) -> Span | None:
    m = _ARGS.match(mask, paren)
    return m.span() if m else None


_STATEMENT_BOUNDARY = frozenset(b";{}")
_BEFORE_STATEMENT = frozenset(b";{}:)")
_STATEMENT_KEYWORDS = {b"else", b"do"}


def _in_statement_position(mask: bytes, pos: int) -> bool:
    """Whether a statement may start at ``pos`` (judged by what precedes)."""
    before = _byte_before(mask, pos)
    if before < 0 or before in _BEFORE_STATEMENT:
        return True
    return _word_before(mask, pos) in _STATEMENT_KEYWORDS


# ---------------------------------------------------------------------------
# Step 1: mask comments, literals and directive lines

_LEXEME = re.compile(
    rb"/\*(?:[^*]+|\*(?!/))*(?:\*/|\Z)"          # block comment
    rb"|//(?:[^\n\\]+|\\.)*"                       # line comment
    rb'|"(?:[^"\\\n]+|\\.)*"?'                     # string literal
    rb"|'(?:[^'\\\n]|\\.)*'?"                      # character literal
    + rb"|" + _LINE_START                                # directive line
    + rb"\#(?:[^\n\\/]+|/\*.*?(?:\*/|\Z)|/(?!\*)|\\.)*",
    re.S,
)
_DIRECTIVE_NAME = re.compile(rb"[ \t]*#[ \t]*(\w*)")
_CONDITIONAL = re.compile(rb"[ \t]*#[ \t]*(?:if|el|endif)")


class _Directive:
    """A preprocessor line (with its continuations and trailing comment)."""

    __slots__ = ("start", "end", "name", "text")

    def __init__(self, start: int, end: int, text: bytes) -> None:
        self.start, self.end, self.text = start, end, text
        self.name = _DIRECTIVE_NAME.match(text).group(1)


def _mask(text: _Text) -> list[_Directive]:
    """Fill ``text.mask``; return the conditional directives found on the way.

    The scan runs over the text behind a newline, so that a directive on the
    first line is found like any other; offsets are shifted back by one.
    """
    directives: list[_Directive] = []

    def blank(m: re.Match) -> bytes:
        lexeme = m.group()
        if lexeme[0] == 0x0A and _CONDITIONAL.match(lexeme, 1):
            # a conditional directive, with the newline before it
            directives.append(_Directive(m.start(), m.end() - 1, lexeme[1:]))
        return _blank(lexeme)

    text.mask = bytearray(_LEXEME.sub(blank, b"\n" + bytes(text.out))[1:])
    return directives


# ---------------------------------------------------------------------------
# Step 2: conditional compilation


class _Group:
    """One ``#if`` ... ``#endif`` group: its directives and its branches."""

    __slots__ = ("directives", "end")

    def __init__(self, opener: _Directive) -> None:
        self.directives = [opener]
        self.end = -1

    @property
    def start(self) -> int:
        return self.directives[0].start

    def branches(self) -> list[Span]:
        ds = self.directives
        spans = [(a.end, b.start) for a, b in zip(ds, ds[1:])]
        if ds[-1].name != b"endif":  # unterminated at the end of the file
            spans.append((ds[-1].end, self.end))
        return spans

    def kept_branch(self) -> int:
        """Index of the branch assumed compiled: the first, except after
        ``#if 0`` and ``#ifdef __ASSEMBLY__``, where it is the second."""
        if _SKIP_FIRST_BRANCH.match(self.directives[0].text):
            return 1 if len(self.directives) > 2 else -1
        return 0


_OPENERS = {b"if", b"ifdef", b"ifndef"}
_MIDDLES = {b"elif", b"else", b"elifdef", b"elifndef"}
_SKIP_FIRST_BRANCH = re.compile(
    rb"[ \t]*#[ \t]*(?:if[ \t]+0|ifdef[ \t]+__ASSEMBLY__|ifdef[ \t]+__ASSEMBLER__"
    rb"|if[ \t]+defined[ \t]*\(?[ \t]*__ASSEMBLY__[ \t]*\)?)[ \t]*(?:/[*/].*)?\Z",
    re.S,
)
"""Openers whose first branch is dead code or assembly, not C."""
_LEADING_ELSE = re.compile(rb"\s*else\b")
_TRAILING_MACRO_LINE = re.compile(
    rb"(?:\A|\n)[ \t]*(?!(?:if|while|for|switch)\b)\w+[ \t]*\([^;{}\n]*\)\Z"
)
"""A branch ending in a line such as ``subsys_initcall(f)`` (no ``;``)."""


def _groups(directives: list[_Directive], size: int) -> tuple[list[_Group], int]:
    """Pair conditional directives into groups (stray ones are ignored);
    also return the deepest nesting seen."""
    done: list[_Group] = []
    stack: list[_Group] = []
    deepest = 0
    for d in directives:
        if d.name in _OPENERS:
            stack.append(_Group(d))
            deepest = max(deepest, len(stack))
        elif d.name in _MIDDLES and stack:
            stack[-1].directives.append(d)
        elif d.name == b"endif" and stack:
            group = stack.pop()
            group.directives.append(d)
            group.end = d.end
            done.append(group)
    for group in stack:
        group.end = size
        done.append(group)
    done.sort(key=lambda g: g.start)
    return done, deepest


class _Brackets:
    """Counts of brackets in stretches of a text that does not change, each
    in log time (used where counting directly could go quadratic)."""

    def __init__(self, mask: bytes) -> None:
        self._where = {ch: [m.start() for m in re.finditer(re.escape(bytes([ch])), mask)]
                       for ch in b"{}()"}

    def count(self, ch: int, a: int, b: int) -> int:
        where = self._where[ch]
        return bisect.bisect_left(where, b) - bisect.bisect_left(where, a)

    def balanced(self, a: int, b: int) -> bool:
        return (self.count(0x7B, a, b) == self.count(0x7D, a, b)
                and self.count(0x28, a, b) == self.count(0x29, a, b))


class _LiveBrackets:
    """Counts of brackets in a text that is being edited."""

    def __init__(self, buf: bytearray) -> None:
        self._buf = buf

    def balanced(self, a: int, b: int) -> bool:
        buf = self._buf
        return (buf.count(b"{", a, b) == buf.count(b"}", a, b)
                and buf.count(b"(", a, b) == buf.count(b")", a, b))


def _ends_with_macro_line(buf: bytes, pos: int, lo: int = 0) -> bool:
    """Whether the code before ``pos`` ends with a line like ``module_init(f)``."""
    end = len(buf[max(lo, pos - 256):pos].rstrip()) + max(lo, pos - 256)
    return bool(_TRAILING_MACRO_LINE.search(buf, max(lo, end - 256), end))


def _branch_is_whole(buf: bytes, brackets: _Brackets | _LiveBrackets, span: Span) -> bool:
    """Whether a branch holds whole statements or declarations, judged by
    balanced brackets, no leading ``else`` and a ``;`` or ``}`` at its end
    (or a line such as ``module_init(f)``)."""
    a, b = span
    if not brackets.balanced(a, b):
        return False
    last = _byte_before(buf, b, a)
    if last < 0:
        return True
    if _LEADING_ELSE.match(buf, a, b):
        return False
    return last in b";}" or _ends_with_macro_line(buf, b, a)


def _is_clean(group: _Group, buf: bytes, brackets: _Brackets | _LiveBrackets,
              first_only: bytes, paren_depth: int) -> bool:
    """Whether tree-sitter can take the group as it stands: it sits between
    statements or declarations, and every branch holds whole ones."""
    if group.kept_branch() != 0 or paren_depth:
        return False
    before = _byte_before(first_only, group.start)
    if before == 0x29 and not _ends_with_macro_line(first_only, group.start):
        return False
    if before >= 0 and before not in _STATEMENT_BOUNDARY and before != 0x29:
        return False  # after a label, tree-sitter wants a statement, not a group
    return all(_branch_is_whole(buf, brackets, span) for span in group.branches())


def _paren_depths(mask: bytes, positions: Iterable[int]) -> list[int]:
    """Parenthesis depth of ``mask`` at each of the sorted ``positions``."""
    depths, depth, last = [], 0, 0
    for pos in positions:
        depth += mask.count(b"(", last, pos) - mask.count(b")", last, pos)
        depths.append(depth)
        last = pos
    return depths


def _dropped_spans(group: _Group) -> list[Span]:
    """The group's directive lines and all its branches but the kept one."""
    keep = group.kept_branch()
    spans = [(d.start, d.end) for d in group.directives]
    spans += [span for i, span in enumerate(group.branches()) if i != keep]
    return spans


def _merged(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping cover of ``spans`` (nested groups overlap)."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


_DEEP_NESTING = 32
"""Past this many nested groups, judge branches on the unreduced text."""


def _resolve_conditionals(text: _Text, directives: list[_Directive]) -> None:
    """Reduce each conditional group that would break parsing to one branch.

    Groups holding whole statements or declarations are left alone (all their
    code stays visible to the linter).  Every other group, and every
    ``#if 0`` or ``#ifdef __ASSEMBLY__``, keeps only the branch the compiler
    is assumed to see.  Inner groups are judged first, and an outer branch
    is judged as it reads once they are reduced.  Where a group sits is
    judged on the text as it reads with first branches only.
    """
    groups, nesting = _groups(directives, len(text.mask))
    if not groups:
        return
    mask = bytes(text.mask)
    scratch = bytearray(mask)
    for a, b in _merged([s for g in groups for s in _dropped_spans(g)]):
        scratch[a:b] = _blank(mask[a:b])
    first_only = bytes(scratch)
    depths = dict(zip((g.start for g in groups),
                      _paren_depths(first_only, (g.start for g in groups))))
    reduced = bytearray(mask)
    brackets: _Brackets | _LiveBrackets = (
        _Brackets(mask) if nesting > _DEEP_NESTING else _LiveBrackets(reduced))
    dropped: list[Span] = []
    for group in sorted(groups, key=lambda g: (g.end, -g.start)):  # inner first
        if _is_clean(group, reduced, brackets, first_only, depths[group.start]):
            continue
        spans = _dropped_spans(group)
        dropped += spans
        if nesting <= _DEEP_NESTING:
            for a, b in spans:
                reduced[a:b] = _blank(bytes(reduced[a:b]))
    for a, b in _merged(dropped):
        text.blank(a, b)


# ---------------------------------------------------------------------------
# Step 3: rewrites

# Annotations: attribute-like macros that expand to nothing the parser needs.

_ANNOTATIONS = [
    # sections and placement
    b"__init", b"__exit", b"__initdata", b"__initconst", b"__exitdata",
    b"__meminit", b"__meminitdata", b"__meminitconst", b"__ref", b"__refdata",
    b"__refconst", b"__init_memblock", b"__initdata_memblock", b"__head",
    b"__read_mostly", b"__ro_after_init", b"__page_aligned_data",
    b"__page_aligned_bss", b"__nosavedata", b"__bss_decrypted", b"__cpuidle",
    b"__sched", b"__kprobes", b"__irq_entry", b"__softirq_entry",
    b"__lockfunc", b"__exit_call", b"__init_or_module", b"__xipram",
    b"__initdata_or_meminfo", b"__lsm_ro_after_init",
    # function attributes
    b"__always_inline", b"__noinline", b"__fastpath_inline", b"__must_check",
    b"__maybe_unused", b"__always_unused", b"__used", b"__cold", b"__hot",
    b"__weak", b"__pure", b"__noreturn", b"__visible", b"__attribute_const__",
    b"__flatten", b"__noclone", b"__naked", b"__nocfi", b"__noendbr",
    b"__noscs", b"__noipa", b"__gnu_inline", b"__no_profile", b"__no_kcsan",
    b"__no_kmsan_checks", b"__no_stack_protector", b"__latent_entropy",
    b"__bpf_kfunc", b"__malloc", b"__retain", b"__overloadable",
    b"__preserve_most", b"__no_caller_saved_registers", b"__efiapi",
    b"__init_thread_info", b"__function_aligned", b"__notrace_funcgraph",
    b"__noretpoline", b"__annotate_jump_table", b"__tracepoint_string",
    b"__always_used", b"__nostackprotector", b"__nocapture",
    b"__net_init", b"__net_exit", b"__net_initdata", b"__EXTERN_INLINE",
    b"__deprecated", b"__no_kasan_or_inline", b"__no_sanitize_or_inline",
    # qualifiers and layout
    b"__user", b"__kernel", b"__iomem", b"__rcu", b"__percpu", b"__force",
    b"__bitwise", b"__private", b"__nocast", b"__safe", b"__pmem",
    b"__seg_gs", b"__seg_fs", b"__packed", b"__randomize_layout",
    b"__no_randomize_layout", b"__designated_init", b"__aligned_largest",
    b"__nonstring", b"__uninitialized", b"__data_racy", b"__signed_wrap",
]
_OTHER_ANNOTATIONS = [
    b"noinline", b"notrace", b"noinstr", b"nokprobe_inline", b"asmlinkage",
    b"_struct_page_alignment", b"noinline_for_stack", b"forceinline",
    b"ATTRIBUTE_UNUSED",
]
_ANNOTATION_FAMILIES = [rb"_*cacheline_aligned\w*", rb"no_sanitize_\w+",
                        rb"__\w+_aligned"]
_ANNOTATION_CALLS = [
    b"__acquires", b"__releases", b"__must_hold", b"__cond_acquires",
    b"__cond_releases", b"__acquire", b"__release", b"__printf", b"__scanf",
    b"__aligned", b"__section", b"__counted_by", b"__counted_by_le",
    b"__counted_by_be", b"__alias", b"__mode", b"__alloc_size",
    b"__alloc_size__", b"__realloc_size", b"__assume_aligned", b"__cleanup",
    b"__free", b"__copy", b"__compiletime_error", b"__compiletime_warning",
    b"__diagnose_as", b"__pass_object_size", b"__pass_dynamic_object_size",
    b"__guarded_by", b"__pt_guarded_by",
]


def _without_prefix(words: list[bytes], prefix: bytes) -> bytes:
    """Regex alternation of ``words`` minus ``prefix``, longest first."""
    rest = sorted((w[len(prefix):] for w in words), key=len, reverse=True)
    return b"|".join(re.escape(w) for w in rest)


# Each pattern starts with a literal so that ``re`` can skip ahead quickly;
# the word boundary before a match is checked in code.
_ANNOTATION = re.compile(
    rb"__(?:" + _without_prefix(_ANNOTATIONS, b"__") + b"|"
    + b"|".join(_ANNOTATION_FAMILIES) + rb")\b(?!\s*\((?!\s*\*))"
)
_OTHER_ANNOTATIONS_RE = [
    re.compile(re.escape(prefix) + rb"(?:" + _without_prefix(list(words), prefix)
               + rb")\b(?!\s*\()")
    for prefix, words in itertools.groupby(sorted(_OTHER_ANNOTATIONS), key=lambda w: w[:2])
]
_ANNOTATION_CALL = re.compile(
    rb"__(?:" + _without_prefix(_ANNOTATION_CALLS, b"__") + rb")\s*(?=\()"
)


def _blank_annotations(text: _Text) -> None:
    """Blank attribute-like macros, with their argument list if they take one."""
    mask = bytes(text.mask)
    for pattern in [_ANNOTATION, *_OTHER_ANNOTATIONS_RE]:
        for m in pattern.finditer(mask):
            if _starts_word(mask, m.start()):
                text.blank(m.start(), m.end())
    for m in _ANNOTATION_CALL.finditer(mask):
        args = _call_args(mask, m.end())
        if args and _starts_word(mask, m.start()):
            text.blank(m.start(), args[1])


# Iterator and scope macros: NAME(args) followed by a statement.

_ITERATORS = [re.compile(rb"for_?each\w*\s*\("), re.compile(rb"FOR_?EACH\w*\s*\("),
              re.compile(rb"scoped_(?:cond_)?guard\w*\s*\(")]
"""Names of iterator and scope macros: anything with for_each or foreach in
it (list_for_each_entry, xas_for_each, vma_interval_tree_foreach), and the
scoped guards of cleanup.h."""
_IDENTIFIER_END = re.compile(rb"\w+\Z")
_STATEMENT_START = re.compile(rb"\s*[{\w(*+\-]")


def _rewrite_iterators(text: _Text) -> None:
    """``list_for_each_entry(p, h, m) {`` -> ``while              (p, h, m) {``.

    Only where the macro stands as a statement and a statement follows it,
    which leaves definitions and prototypes of such macros alone.
    """
    mask = bytes(text.mask)
    for m in itertools.chain.from_iterable(p.finditer(mask) for p in _ITERATORS):
        paren = m.end() - 1
        ident = _IDENTIFIER_END.search(mask, max(0, m.start() - 80), m.start() + 1)
        start = ident.start() if ident else m.start()
        name_len = len(mask[start:paren].rstrip())
        args = _call_args(mask, paren)
        if not args or not _STATEMENT_START.match(mask, args[1]):
            continue
        if not _in_statement_position(mask, start):
            continue
        keyword = b"while" if name_len >= 5 else b"if"
        text.put(start, keyword.ljust(name_len))


# Types passed to macros: container_of(p, struct foo, m), min_t(unsigned long, ...).

_C_KEYWORDS = {
    b"auto", b"break", b"case", b"char", b"const", b"continue", b"default",
    b"do", b"double", b"else", b"enum", b"extern", b"float", b"for", b"goto",
    b"if", b"inline", b"int", b"long", b"register", b"restrict", b"return",
    b"short", b"signed", b"sizeof", b"static", b"struct", b"switch",
    b"typedef", b"union", b"unsigned", b"void", b"volatile", b"while",
    b"bool", b"_Bool", b"__inline", b"__inline__", b"__volatile__",
    b"__extension__", b"__restrict", b"__restrict__", b"_Noreturn",
    b"noreturn", b"__attribute__", b"__attribute", b"asm", b"__asm__",
    b"__asm", b"typeof", b"__typeof__", b"__typeof", b"_Alignof",
    b"__alignof__", b"alignof", b"offsetof", b"_Generic",
    b"__builtin_offsetof", b"__builtin_types_compatible_p", b"typeof_unqual",
    b"_Static_assert", b"static_assert", b"_Atomic", b"thread_local",
    b"_Thread_local", b"__thread", b"constexpr", b"nullptr", b"__const",
}
"""Words that are not macro names: C keywords, GNU spellings and builtins
that tree-sitter-c knows (or that take types as ISO C does)."""

_ARGUMENT_END = rb"[\s*]*(?:,|\)(?![ \t]*[\w(&*!~\-]))"
"""The end of a type argument: a comma, or a ``)`` not followed by an operand
(which would make it a cast such as ``(struct foo *)p``)."""
_TYPE_ARGUMENT_HINTS = [
    re.compile(keyword + rb"\s+\w+" + _ARGUMENT_END)
    for keyword in (b"struct", b"union", b"enum")
] + [
    re.compile(rb"\*" + _ARGUMENT_END),
] + [
    re.compile(keyword + rb"(?<!\w" + keyword + rb")(?:[ \t]+(?:unsigned|signed|long|short|int|char))+"
               + _ARGUMENT_END)
    for keyword in (rb"unsigned", rb"signed", rb"long", rb"short")
]
"""Places where a macro argument may be a type the parser cannot take."""

_TYPE_ARGUMENT = re.compile(
    rb"\s*(?:(struct|union|enum)\s+\w+"
    rb"|((?:unsigned|signed|long|short|int|char)"
    rb"(?:[ \t]+(?:unsigned|signed|long|short|int|char))+)"
    rb"|\w+)(\s*[\s*]*)\Z"
)
"""A whole argument that is a type: group 1 holds a tag keyword, group 2 a
multi-word integer type, group 3 the (possibly starred) tail."""

_ARGUMENT_START = re.compile(rb"[(,][^(),]*\Z")
_CALLEE = re.compile(rb"(\w+)\s*\(\s*\Z")


def _enclosing_call(mask: bytes, pos: int) -> re.Match | None:
    """The ``name(`` whose argument list holds ``pos``, if found close by.

    Looks back at most 512 bytes and never past the start of the statement.
    """
    lo = max(0, pos - 512)
    depth = 0
    i = pos
    while True:
        i = max(mask.rfind(b"(", lo, i), mask.rfind(b")", lo, i))
        if i < 0 or _STATEMENT_BOUNDARY_RE.search(mask, i, pos):
            return None
        if mask[i] == 0x29:  # ")"
            depth += 1
        elif depth:
            depth -= 1
        else:
            return _CALLEE.search(mask, max(0, i - 64), i + 1)


_STATEMENT_BOUNDARY_RE = re.compile(rb"[{};]")


def _is_macro_call(mask: bytes, call: re.Match | None) -> bool:
    """A call whose arguments may be types: not a keyword or type operator
    (``sizeof``), and not the declarator of a prototype (``int f(struct x *)``)."""
    if call is None or call.group(1) in _C_KEYWORDS:
        return False
    before = _byte_before(mask, call.start())
    if before in _WORD_BYTES or before == 0x2A:  # "int f(" or "*f("
        return _word_before(mask, call.start()) in _NOT_A_DECLARATION
    return True


_NOT_A_DECLARATION = {b"return", b"case", b"else", b"do"}


def _type_argument(mask: bytes, pos: int) -> re.Match | None:
    """The macro argument around ``pos`` if it is a type, else None."""
    start = _ARGUMENT_START.search(mask, max(0, pos - 128), pos + 1)
    if start is None:
        return None
    end = pos + len(mask[pos:pos + 128].split(b",", 1)[0].split(b")", 1)[0])
    m = _TYPE_ARGUMENT.match(mask, start.start() + 1, end)
    if m is None or not (m.group(1) or m.group(2) or b"*" in m.group(3)):
        return None
    if not _is_macro_call(mask, _enclosing_call(mask, m.start())):
        return None
    return m


def _rewrite_type_arguments(text: _Text) -> None:
    """Make type arguments of macros look like expressions.

    ``struct foo`` loses its keyword, ``unsigned long`` becomes one word
    (``unsigned_long``) and pointer stars go: ``alloc_percpu(struct x *)``
    reads ``alloc_percpu(       x  )``.
    """
    mask = bytes(text.mask)
    seen: set[int] = set()
    for pattern in _TYPE_ARGUMENT_HINTS:
        for hint in pattern.finditer(mask):
            m = _type_argument(mask, hint.start())
            if m is None or m.start() in seen:
                continue
            seen.add(m.start())
            if m.group(1):
                text.blank(m.start(1), m.end(1))
            if m.group(2):
                text.put(m.start(2), re.sub(rb"[ \t]+", _underscores, m.group(2)))
            text.put(m.start(3), m.group(3).replace(b"*", b" "))


def _underscores(m: re.Match) -> bytes:
    return b"_" * len(m.group())


# Declarations made by macros.

_PER_CPU = re.compile(rb"(?:DEFINE|DECLARE)_PER_CPU\w*\s*(?=\()")
_BITMAP = re.compile(rb"DECLARE_BITMAP\s*(?=\()")
_DEFINING = re.compile(rb"(?:DEFINE|DECLARE)_\w+\s*(?=\()")
_STORAGE = re.compile(rb"(?:\b(?:static|extern|const)\s+)+\Z")


def _rewrite_per_cpu(text: _Text) -> None:
    """``DEFINE_PER_CPU(struct foo, name)`` -> ``struct foo  name ``."""
    mask = bytes(text.mask)
    for m in _PER_CPU.finditer(mask):
        args = _call_args(mask, m.end())
        if not args or not _starts_word(mask, m.start()):
            continue
        commas = _top_level_commas(mask, args)
        if len(commas) == 1 and b"[" not in mask[args[0]:commas[0]]:
            text.blank(m.start(), args[0] + 1)
            text.put(commas[0], b" ")
            text.put(args[1] - 1, b" ")


def _rewrite_bitmaps(text: _Text) -> None:
    """``DECLARE_BITMAP(map, N)`` -> ``long           map[ N]``."""
    mask = bytes(text.mask)
    for m in _BITMAP.finditer(mask):
        args = _call_args(mask, m.end())
        if not args or not _starts_word(mask, m.start()):
            continue
        commas = _top_level_commas(mask, args)
        if len(commas) == 1:
            text.blank(m.start(), args[0] + 1)
            text.put(m.start(), b"long")
            text.put(commas[0], b"[")
            text.put(args[1] - 1, b"]")


def _rewrite_defining_macros(text: _Text) -> None:
    """``static DEFINE_FOO(a, b, c);`` -> ``       DEFINE_FOO(a, b, c);``.

    tree-sitter reads ``static NAME(a, b, c)`` as a declaration whose type
    list it cannot make sense of; without the storage class it is a plain
    macro call, which it accepts both at file scope and in a function.
    """
    mask = bytes(text.mask)
    for m in _DEFINING.finditer(mask):
        args = _call_args(mask, m.end())
        if not args or not _starts_word(mask, m.start()):
            continue
        after = _after_space(mask, args[1])
        if mask[after:after + 1] != b";":
            continue
        storage = _STORAGE.search(mask, max(0, m.start() - 40), m.start())
        if storage:
            text.blank(storage.start(), storage.end())


_SYSCALL = re.compile(rb"SYSCALL_DEFINE[1-6]\s*(?=\()")
_SYSCALL_PREFIX = re.compile(rb"(?:\b\w+_)?\Z")


def _rewrite_syscalls(text: _Text) -> None:
    """``SYSCALL_DEFINE2(name, int, a, long, b)`` -> ``long name(int a, long b)``."""
    mask = bytes(text.mask)
    for m in _SYSCALL.finditer(mask):
        args = _call_args(mask, m.end())
        if not args:
            continue
        commas = _top_level_commas(mask, args)
        if not commas or len(commas) % 2:
            continue
        start = _SYSCALL_PREFIX.search(mask, max(0, m.start() - 32), m.start()).start()
        if not _starts_word(mask, start):
            continue
        text.blank(start, args[0] + 1)
        text.put(start, b"long")
        text.put(commas[0], b"(")
        for pos in commas[1::2]:
            text.put(pos, b" ")


# Attribute-like macros the lists above do not know.

_PRIMITIVE = rb"(?:void|int|char|bool|long|short|unsigned|signed|float|double)"
_NOT_ATTRIBUTES = (
    rb"(?!(?:static|extern|inline|__inline|__inline__|const|volatile|register|"
    rb"unsigned|signed|long|short|int|char|void|bool|float|double|struct|union|"
    rb"enum|typedef|return|else|case|auto)\b)"
)
_ATTRIBUTE_BY_PLACE = re.compile(
    _LINE_START + rb"(?:(?:static|extern|inline|const)[ \t]+){0,3}(?:"
    + _NOT_ATTRIBUTES + rb"(?P<before>[A-Za-z_]\w*)\s+" + _PRIMITIVE + rb"\b"
    + rb"|" + _PRIMITIVE + rb"[ \t]+" + _NOT_ATTRIBUTES
    + rb"(?P<after>[A-Za-z_]\w*)\s+\**\s*"
    + rb"(?!(?:__attribute__|__attribute|asm|__asm__|__asm)\b)[A-Za-z_]\w*\s*\()"
)
"""A line that starts a declaration with an attribute macro the lists do not
know: ``noinline_for_stack int`` or ``int __net_init f(``."""
_XFS_STATIC = re.compile(rb"STATIC(?=[ \t]+\w)")


def _blank_unknown_attributes(text: _Text) -> None:
    """Blank a word that can only be an attribute macro by where it stands.

    An identifier right before a primitive type (``noinline_for_stack int``)
    or between a primitive type and a function name (``int __net_init f(``)
    cannot be a type or a declarator.  ``STATIC`` (xfs) becomes ``static``.
    """
    mask = bytes(text.mask)
    for m in _XFS_STATIC.finditer(mask):
        if _starts_word(mask, m.start()):
            text.put(m.start(), b"static")
    mask = bytes(text.mask)
    for m in _ATTRIBUTE_BY_PLACE.finditer(mask):
        group = "before" if m.start("before") >= 0 else "after"
        if m.group(group) not in _C_KEYWORDS:
            text.blank(m.start(group), m.end(group))


# GNU declaration syntax: attributes after a declarator, asm register names.

_ATTRIBUTE = re.compile(rb"__attribute(?:__)?\s*(?=\(\()")
_ASM_LABEL = re.compile(rb"asm(?:__)?\s*(?=\()")
_DECLARATION_GOES_ON = frozenset(b";=,")


def _after_declarator(mask: bytes, pos: int) -> bool:
    before = _byte_before(mask, pos)
    if before == 0x5D:  # "]"
        return True
    return before in _WORD_BYTES and _word_before(mask, pos) not in _C_KEYWORDS


def _blank_declarator_suffixes(text: _Text) -> None:
    """``int x __attribute__((unused));`` and ``register long r asm("r0")``:
    tree-sitter-c takes neither after a declarator, so both are blanked."""
    mask = bytes(text.mask)
    for pattern in (_ATTRIBUTE, _ASM_LABEL):
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
    mask = bytes(text.mask)
    for m in _GNU_CONST.finditer(mask):
        if _starts_word(mask, m.start()):
            text.put(m.start(), b"const  ")


# typeof of an expression: tree-sitter-c only takes a type or a name.

_TYPEOF_LIKE = [re.compile(rb"typeof(?:__|_unqual)?\s*(?=\()"),
                re.compile(rb"alignof(?:__)?\s*(?=\()")]
_TYPE_NAME = re.compile(
    rb"\s*(?:(?:const|volatile)\s+)*(?:(?:struct|union|enum)\s+)?\w+"
    rb"(?:\s+\w+)*[\s*]*\Z"
)
_IDENTIFIER = re.compile(rb"[A-Za-z_]\w*")


def _rewrite_typeof(text: _Text) -> None:
    """``typeof(a->b)`` -> ``typeof(a   )``: keep the first name only.

    The same for ``__alignof__(*p)``."""
    mask = bytes(text.mask)
    for m in itertools.chain.from_iterable(p.finditer(mask) for p in _TYPEOF_LIKE):
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
_MEMBER_DESIGNATOR = re.compile(rb"[^,]*,\s*\w+")


def _rewrite_offsetof(text: _Text) -> None:
    """``offsetof(struct s, a.b[2])`` -> ``offsetof(struct s, a      )``."""
    mask = bytes(text.mask)
    for m in _OFFSETOF.finditer(mask):
        args = _call_args(mask, m.end())
        if not args:
            continue
        member = _MEMBER_DESIGNATOR.match(mask, args[0] + 1, args[1] - 1)
        if member and mask[member.end():args[1] - 1].strip():
            text.blank(member.end(), args[1] - 1)


# Statement-like macros the name patterns do not catch.

_LINE_MACRO = re.compile(
    _LINE_START + rb"(?!(?:if|while|for|switch|return|sizeof|else|do|case|goto)\b)"
    rb"(?P<name>[A-Za-z_]\w*)[ \t]*(?P<args>\(" + _balanced(4) + rb"\))"
    rb"(?=\s*\{|[ \t]*\n\s*[}A-Za-z_]|\s*\Z)"
)
_STATEMENT_AFTER = frozenset(b"{}_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _rewrite_statement_macros(text: _Text) -> None:
    """Macros on a line of their own inside a block, with no ``;`` after.

    ``pte_iterate(p, n) {`` is a loop head: ``while      (p, n) {``.
    ``BCH_FIELDS()`` followed by another line is an x-macro list or a
    statement macro that brings its own ``;``: it is blanked.
    At file scope, ``module_init(f)`` and the like are blanked.
    """
    mask = bytes(text.mask)
    for m in _LINE_MACRO.finditer(mask):
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
        depth = text.brace_depth(start)
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
    mask = bytes(text.mask)
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
    mask = bytes(text.mask)
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


def _rewrite_gnu_syntax(text: _Text) -> None:
    """``case 1 ... 3:`` -> ``case 1  -  3:``; ``asm_inline`` -> ``asm``."""
    mask = bytes(text.mask)
    for m in _CASE_RANGE.finditer(mask):
        text.put(m.start(1), b" - ")
    for m in _ASM_INLINE.finditer(mask):
        text.put(m.start(), b"asm       ")


# ---------------------------------------------------------------------------

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


def _kernelize(src: bytes) -> bytes:
    text = _Text(src)
    directives = _mask(text)
    _resolve_conditionals(text, directives)
    for rewrite in _REWRITES:
        rewrite(text)
    return bytes(text.out)


def kernelize(src: bytes) -> bytes:
    """Return ``src`` rewritten so that tree-sitter-c parses it with fewer
    ERROR nodes.

    The result has the length of ``src`` and newlines at exactly the same
    offsets.  It never raises on any bytes: should a rewrite go wrong, the
    input comes back unchanged.
    """
    src = bytes(src)
    try:
        out = _kernelize(src)
    except Exception:  # a linter must not die on an odd file
        return src
    if len(out) != len(src):
        return src
    return out
