"""kernelize's shortcuts (issue 12) change no byte: passes skipped because their trigger
literals are absent from the mask, and the mask snapshot reused between passes."""

import pytest

from folint.kernel_c import kernelize
from folint.kernel_c import text as text_module
from folint.kernel_c.text import _Text

SNIPPETS = [
    b"static int __init foo_init(void)\n{\n\treturn 0;\n}\nmodule_init(foo_init);\n",
    b"noinline_for_stack int f(void);\nstatic notrace void g(void) {}\nasmlinkage long h(int);\n",
    b"void f(void) __acquires(x) __releases(y);\nint __printf(1, 2) p(const char *f, ...);\n",
    b"SYSCALL_DEFINE2(foo, int, a, unsigned long, b)\n{\n\treturn 0;\n}\n",
    b"static DEFINE_PER_CPU(struct foo, bar);\nDECLARE_PER_CPU(int, baz);\n",
    b"static DECLARE_BITMAP(map, 64);\nstatic DEFINE_MUTEX(m);\nstatic DECLARE_WAIT_QUEUE_HEAD(q);\n",
    b"int x __attribute__((unused));\nregister long r asm(\"r0\");\n",
    b"STATIC int xfs_f(void) { return 0; }\nconst __const int k = 1;\n",
    b"void f(struct list_head *h)\n{\n\tstruct page *p;\n\tlist_for_each_entry(p, h, lru) {\n\t\tfoo(p);\n\t}\n"
    b"\tFOR_EACH_X(p) {\n\t}\n\tscoped_guard(mutex, &m) {\n\t\tbar();\n\t}\n}\n",
    b"void f(void)\n{\n\tp = container_of(q, struct foo, m);\n\tn = min_t(unsigned long, a, b);\n"
    b"\tu = alloc_percpu(union bar *);\n\te = g(enum baz, 1);\n\ts = h(short int, 2);\n}\n",
    b"void f(void)\n{\n\ttypeof(a->b) c;\n\tint d = __alignof__(*p);\n\tint o = offsetof(struct s, a.b[2]);\n}\n",
    b"void f(int x)\n{\n\tswitch (x) {\n\tcase 1 ... 3:\n\t\tbreak;\n\t}\n"
    b"\tasm volatile(ALTERNATIVE(\"a\", \"b\", X) : : : \"memory\");\n\tasm_inline(\"nop\");\nout:\n}\n",
    b"/* __init SYSCALL_DEFINE1 for_each typeof in a comment */\nint x;\n",
    b"#ifdef CONFIG_X\nint a;\n#else\nlong a;\n#endif\n",
    b"",
    b"\x00\xff junk ( { [",
]


def _ungated(monkeypatch):
    """kernelize with every pass run (as without ahocorasick_rs)."""
    monkeypatch.setattr(text_module, "_held_triggers", lambda mask: None)


@pytest.mark.parametrize("src", SNIPPETS)
def test_skipped_passes_change_nothing(src, monkeypatch):
    gated = kernelize(src)
    _ungated(monkeypatch)
    assert kernelize(src) == gated
    assert len(gated) == len(src)


def test_all_snippets_together(monkeypatch):
    src = b"\n".join(SNIPPETS)
    gated = kernelize(src)
    _ungated(monkeypatch)
    assert kernelize(src) == gated


def test_a_rewrite_still_happens_behind_its_trigger():
    out = kernelize(b"void f(void)\n{\n\tlist_for_each_entry(p, h, lru) {\n\t}\n}\n")
    assert b"while" in out
    out = kernelize(b"SYSCALL_DEFINE1(foo, int, a)\n{\n}\n")
    assert out.startswith(b"long")


def test_triggers_found_in_code_not_comments():
    text = _Text(b"/* typeof */ int x = offsetof(struct s, a);\n")
    from folint.kernel_c.lexemes import _mask
    _mask(text)
    text.note_triggers()
    assert text.may_hold(b"offsetof")
    assert not text.may_hold(b"typeof")


def test_frozen_follows_edits():
    text = _Text(b"abc def")
    text.mask = bytearray(b"abc def")
    first = text.frozen()
    assert text.frozen() is first
    text.blank(0, 3)
    assert text.frozen() == b"    def"
    text.put(4, b"xyz")
    assert text.frozen() == b"    xyz"


# The patterns as they were before issue 12, to compare the faster ones with.
import re  # noqa: E402

from folint.kernel_c import syntax  # noqa: E402
from folint.kernel_c.scan import _LINE_START, _atomic, _balanced  # noqa: E402

_OLD_ATTRIBUTE_BY_PLACE = re.compile(
    _LINE_START + rb"(?:(?:static|extern|inline|const)[ \t]+){0,3}(?:"
    + syntax._NOT_ATTRIBUTES + rb"(?P<before>[A-Za-z_]\w*)\s+" + syntax._PRIMITIVE + rb"\b"
    + rb"|" + syntax._PRIMITIVE + rb"[ \t]+" + syntax._NOT_ATTRIBUTES
    + rb"(?P<after>[A-Za-z_]\w*)\s+\**\s*"
    + rb"(?!(?:__attribute__|__attribute|asm|__asm__|__asm)\b)[A-Za-z_]\w*\s*\()"
)
_OLD_LINE_MACRO = re.compile(
    _LINE_START + rb"(?P<name>[A-Za-z_]\w*)[ \t]*" + _atomic(rb"\(" + _balanced(4) + rb"\)", b"args")
    + rb"(?=\s*\{|[ \t]*\n\s*[}A-Za-z_]|\s*\Z)"
)


def _old_line_macros(mask):
    pos = 0
    while True:
        m = _OLD_LINE_MACRO.search(mask, pos)
        if m is None:
            return
        if m.group("name") in syntax._NOT_LINE_MACROS:
            pos = m.start() + 1
            continue
        yield m
        pos = m.end()


ATTRIBUTE_LINES = [
    b"\nnoinline_for_stack int f(void);",
    b"\nstatic inline const __net_init int g;",
    b"\nint __net_init f(void)",
    b"\nint __net_init   **  f  (void)",
    b"\nunsigned long __attribute__ f(",
    b"\nstatic extern inline const foo int x;",
    b"\nstatic static static static foo int x;",
    b"\nfoo\n\n   int x;",
    b"\n\tstatic  int\tbar baz(",
    b"\nint foo bar;",
    b"\nreturn int x;",
    b"\nconst\nint x;",
    b"\nlong long long f(",
    b"\nvoid *foo(",
    b"\n  foo_t  void",
    b"\nint\n__init\nf(void)",
]


def test_attribute_by_place_matches_as_before():
    text = b"".join(ATTRIBUTE_LINES) + b"\n"
    for chunk in [*ATTRIBUTE_LINES, text]:
        old = [(m.span(), m.span("before"), m.span("after")) for m in _OLD_ATTRIBUTE_BY_PLACE.finditer(chunk)]
        new = [(m.span(), m.span("before"), m.span("after")) for m in syntax._ATTRIBUTE_BY_PLACE.finditer(chunk)]
        assert new == old, chunk
    assert len(list(syntax._ATTRIBUTE_BY_PLACE.finditer(text))) >= 5


LINE_MACRO_TEXTS = [
    b"\nfoo(a, b)\n{\n}\n",
    b"\nif (a,\nbar(b)\nbaz)\n\tx;\n",
    b"\nif (a)\n\tfoo(b)\n\tnext;\n",
    b"\nwhile (x) {\n\tpte_iterate(p, n) {\n\t}\n}\n",
    b"\nmodule_init(f)\nMODULE_LICENSE(\"GPL\");\n",
    b"\nreturn(x)\n}\n",
    b"\ndo_work(x)\n}\n",
    b"\nsizeof(x)\nfoo(y)\n",
    b"\niffy(x) {\n}\n",
    b"\nfor (;;)\n\tBCH_FIELDS()\n\tx",
]


def test_line_macros_as_before():
    text = b"".join(LINE_MACRO_TEXTS)
    for chunk in [*LINE_MACRO_TEXTS, text]:
        old = [(m.span(), m.span("name"), m.span("args")) for m in _old_line_macros(chunk)]
        new = [(m.span(), m.span("name"), m.span("args")) for m in syntax._line_macros(chunk)]
        assert new == old, chunk
    names = [m.group("name") for m in syntax._line_macros(text)]
    assert b"bar" in names and b"iffy" in names and b"do_work" in names
