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
