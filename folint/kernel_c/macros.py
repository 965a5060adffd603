"""Step 3a: rewrites of kernel macros (annotations, iterators, type arguments, per-cpu, bitmaps, defining macros, syscalls).

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations

import itertools
import re
import sys

from folint.kernel_c.scan import (
    _after_space,
    _byte_before,
    _call_args,
    _in_statement_position,
    _starts_word,
    _top_level_commas,
    _word_before,
)
from folint.kernel_c.text import _WORD_BYTES, _Text, _triggers

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
    (re.compile(re.escape(prefix) + rb"(?:" + _without_prefix(words, prefix)
                + rb")\b(?!\s*\()"), _triggers(*words))
    for prefix, words in ((prefix, list(words)) for prefix, words
                          in itertools.groupby(sorted(_OTHER_ANNOTATIONS), key=lambda w: w[:2]))
]
"""Each with its words, which a match holds (the pattern runs only where one is)."""
_ANNOTATION_CALL = re.compile(
    rb"__(?:" + _without_prefix(_ANNOTATION_CALLS, b"__") + rb")\s*(?=\()"
)
_ANNOTATION_CALL_TRIGGERS = _triggers(*_ANNOTATION_CALLS)


def _blank_annotations(text: _Text) -> None:
    """Blank attribute-like macros, with their argument list if they take one."""
    mask = text.frozen()
    for pattern, triggers in [(_ANNOTATION, ()), *_OTHER_ANNOTATIONS_RE]:
        if triggers and not text.may_hold(*triggers):
            continue
        for m in pattern.finditer(mask):
            if _starts_word(mask, m.start()):
                text.blank(m.start(), m.end())
    if not text.may_hold(*_ANNOTATION_CALL_TRIGGERS):
        return
    for m in _ANNOTATION_CALL.finditer(mask):
        args = _call_args(mask, m.end())
        if args and _starts_word(mask, m.start()):
            text.blank(m.start(), args[1])


# Iterator and scope macros: NAME(args) followed by a statement.

_ITERATORS = [(re.compile(rb"for_?each\w*\s*\("), _triggers(b"for_each", b"foreach")),
              (re.compile(rb"FOR_?EACH\w*\s*\("), _triggers(b"FOR_EACH", b"FOREACH")),
              (re.compile(rb"scoped_(?:cond_)?guard\w*\s*\("), _triggers(b"scoped_"))]
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
    mask = text.frozen()
    for m in itertools.chain.from_iterable(p.finditer(mask) for p, triggers in _ITERATORS
                                           if text.may_hold(*triggers)):
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
_TAG_HINT = rb"\s++\w++[\s*]*+" if sys.version_info >= (3, 11) else rb"\s+\w+"
"""After a tag keyword: possessive where it can be (what follows each part can never
be what it gave back), which halves the scan for ``struct``, in most files."""
_TYPE_ARGUMENT_HINTS = [
    (re.compile(keyword + _TAG_HINT + _ARGUMENT_END), _triggers(keyword) if keyword != b"struct" else ())
    for keyword in (b"struct", b"union", b"enum")
] + [
    (re.compile(rb"\*" + _ARGUMENT_END), ()),
] + [
    (re.compile(keyword + rb"(?<!\w" + keyword + rb")(?:[ \t]+(?:unsigned|signed|long|short|int|char))+"
                + _ARGUMENT_END), _triggers(keyword) if keyword == b"short" else ())
    for keyword in (rb"unsigned", rb"signed", rb"long", rb"short")
]
"""Places where a macro argument may be a type the parser cannot take, each with the
word a match holds where it is rare enough to be worth asking (``_Text.may_hold``)."""

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
    mask = text.frozen()
    seen: set[int] = set()
    for pattern, triggers in _TYPE_ARGUMENT_HINTS:
        if triggers and not text.may_hold(*triggers):
            continue
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
_PER_CPU_TRIGGERS = _triggers(b"_PER_CPU")
_BITMAP = re.compile(rb"DECLARE_BITMAP\s*(?=\()")
_BITMAP_TRIGGERS = _triggers(b"DECLARE_BITMAP")
_DEFINING = re.compile(rb"(?:DEFINE|DECLARE)_\w+\s*(?=\()")
_DEFINING_TRIGGERS = _triggers(b"DEFINE_", b"DECLARE_")
_STORAGE = re.compile(rb"(?:\b(?:static|extern|const)\s+)+\Z")


def _rewrite_per_cpu(text: _Text) -> None:
    """``DEFINE_PER_CPU(struct foo, name)`` -> ``struct foo  name ``."""
    if not text.may_hold(*_PER_CPU_TRIGGERS):
        return
    mask = text.frozen()
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
    if not text.may_hold(*_BITMAP_TRIGGERS):
        return
    mask = text.frozen()
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
    if not text.may_hold(*_DEFINING_TRIGGERS):
        return
    mask = text.frozen()
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
_SYSCALL_TRIGGERS = _triggers(b"SYSCALL_DEFINE")
_SYSCALL_PREFIX = re.compile(rb"(?:\b\w+_)?\Z")


def _rewrite_syscalls(text: _Text) -> None:
    """``SYSCALL_DEFINE2(name, int, a, long, b)`` -> ``long name(int a, long b)``."""
    if not text.may_hold(*_SYSCALL_TRIGGERS):
        return
    mask = text.frozen()
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
