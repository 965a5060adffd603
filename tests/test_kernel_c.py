"""Tests for folint.kernel_c.kernelize.

Every C snippet here is written for these tests in kernel style; none is
taken from the kernel.
"""

from __future__ import annotations

import random
import time

import pytest
import tree_sitter_c
from tree_sitter import Language, Parser

from folint.kernel_c import kernelize

PARSER = Parser(Language(tree_sitter_c.language()))


def has_error(src: bytes) -> bool:
    return PARSER.parse(src).root_node.has_error


def newline_offsets(data: bytes) -> list[int]:
    return [i for i, b in enumerate(data) if b == 0x0A]


def assert_same_shape(src: bytes) -> bytes:
    out = kernelize(src)
    assert isinstance(out, bytes)
    assert len(out) == len(src)
    assert newline_offsets(out) == newline_offsets(src)
    return out


# ---------------------------------------------------------------------------
# Shape: same length, newlines in place, never raises

ODD_INPUTS = {
    "empty": b"",
    "one newline": b"\n",
    "only parens open": b"(" * 5000,
    "only parens close": b")" * 5000,
    "unbalanced call": b"void f(void)\n{\n\tlist_for_each_entry(p, &head, lru {\n\t\tx(;\n",
    "unbalanced braces": b"}}}{{{\n#ifdef X\n{\n#else\n}\n",
    "stray directives": b"#endif\n#else\n#elif 1\nint x;\n#endif\n",
    "unterminated if": b"#if A\nint a;\n#ifdef B\nint b;\n",
    "unterminated comment": b"int a; /* no end\n__init for_each(x) {\n",
    "unterminated string": b"char *s = \"abc\n__user\n",
    "unterminated char": b"char c = '\n",
    "continuation at end": b"#define X \\",
    "backslash newlines": b"int \\\n a = \\\n 1;\n",
    "nul bytes": b"int\x00 a;\x00\n\x00",
    "crlf": b"static int __init f(void)\r\n{\r\n\treturn 0;\r\n}\r\n",
    "non-ascii": "/* é ü */ int ça = 1;\n".encode("utf-8"),
    "macro soup": b"container_of(, struct, ) SYSCALL_DEFINE2(,,,) "
                  b"DECLARE_BITMAP(,) DEFINE_PER_CPU(,) typeof() offsetof(,)\n",
    "keywords at the end": b"list_for_each_entry",
    "case range unclosed": b"switch (x) { case 1 ...",
}


@pytest.mark.parametrize("src", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_shape_is_kept_on_odd_inputs(src: bytes) -> None:
    assert_same_shape(src)


@pytest.mark.parametrize("seed", range(20))
def test_shape_is_kept_on_random_bytes(seed: int) -> None:
    rng = random.Random(seed)
    src = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000)))
    assert_same_shape(src)


@pytest.mark.parametrize("seed", range(20))
def test_shape_is_kept_on_random_kernelish_tokens(seed: int) -> None:
    tokens = [b"(", b")", b"{", b"}", b";", b",", b"\n", b" ", b"#if 0\n",
              b"#ifdef X\n", b"#else\n", b"#endif\n", b"struct s", b"*",
              b"list_for_each_entry", b"__init", b"__must_hold", b"container_of",
              b"DEFINE_PER_CPU", b"SYSCALL_DEFINE2", b"\"", b"'", b"/*", b"*/",
              b"//", b"\\\n", b"typeof", b"case", b"...", b"asm", b"x", b"int",
              b"unsigned long", b"static", b"STATIC", b"out:", b"DECLARE_BITMAP"]
    rng = random.Random(seed)
    src = b"".join(rng.choice(tokens) for _ in range(3000))
    assert_same_shape(src)


def test_accepts_bytearray_and_memoryview() -> None:
    src = b"static int __init f(void) { return 0; }\n"
    assert kernelize(bytearray(src)) == kernelize(src)
    assert kernelize(memoryview(src)) == kernelize(src)


def test_large_input_is_fast() -> None:
    unit = (b"static int __init f%d(struct page *page)\n{\n"
            b"\tstruct folio *folio;\n\n"
            b"\tlist_for_each_entry(folio, &head, lru) {\n"
            b"\t\tif (folio_test_lru(folio))\n\t\t\tcount++;\n\t}\n"
            b"#ifdef CONFIG_X\n\treturn 1;\n#else\n\treturn 0;\n#endif\n}\n\n")
    src = b"".join(unit.replace(b"%d", str(i).encode()) for i in range(20000))
    start = time.process_time()
    assert_same_shape(src)
    assert time.process_time() - start < 5.0  # about 4 MB


def test_pathological_nesting_is_bounded() -> None:
    src = b"#ifdef X\n{\n#else\n}\n" * 3000 + b"list_for_each(" * 3000
    start = time.process_time()
    assert_same_shape(src)
    assert time.process_time() - start < 5.0


# ---------------------------------------------------------------------------
# Snippets that tree-sitter-c cannot parse raw, and can after kernelize

FIXED = {
    "init annotation": b"""
static int __init folint_setup(void)
{
	return 0;
}
""",
    "always inline and user pointers": b"""
static __always_inline long copy_stuff(void __user *dst, const char __user *src)
{
	return 0;
}
""",
    "percpu and rcu pointers": b"""
void walk(struct thing __rcu **slot)
{
	struct counter __percpu *pcp = this_counter;
	int __maybe_unused unused;

	use(pcp, slot);
}
""",
    "lock annotations": b"""
static void drop_lock(struct box *b)
	__releases(&b->lock)
	__must_hold(&b->other)
{
	spin_unlock(&b->lock);
}
""",
    "printf attribute": b"""
static __printf(2, 3) void say(int level, const char *fmt, ...)
{
}
""",
    "aligned local": b"""
void fill(void)
{
	u8 buf[64] __aligned(8);

	use(buf);
}
""",
    "list iterator": b"""
static unsigned long count_items(struct list_head *head)
{
	struct item *it;
	unsigned long n = 0;

	list_for_each_entry(it, head, node) {
		if (it->live)
			n++;
	}
	return n;
}
""",
    "xarray and hlist iterators": b"""
void scan(struct xa_state *xas, struct hlist_head *h)
{
	struct folio *folio;
	struct node *n;

	xas_for_each(xas, folio, ULONG_MAX) {
		touch(folio);
	}
	hlist_for_each_entry_rcu(n, h, link)
		touch(n);
}
""",
    "scoped guard": b"""
int set_flag(struct box *b)
{
	scoped_guard(spinlock, &b->lock) {
		b->flag = 1;
	}
	return 0;
}
""",
    "container_of": b"""
static struct widget *to_widget(struct kobject *kobj)
{
	return container_of(kobj, struct widget, kobj);
}
""",
    "list_first_entry_or_null": b"""
struct folio *first(struct list_head *list)
{
	return list_first_entry_or_null(list, struct folio, lru);
}
""",
    "min_t with a two-word type": b"""
unsigned long clamp_pages(unsigned long nr)
{
	return min_t(unsigned long, nr, MAX_PAGES);
}
""",
    "alloc_percpu of a pointer type": b"""
int setup(struct ctx *c)
{
	c->slots = alloc_percpu(struct slot *);
	return c->slots ? 0 : -ENOMEM;
}
""",
    "DECLARE_BITMAP with initialiser": b"""
int pick(void)
{
	DECLARE_BITMAP(seen, 64) = { 0 };

	return find_first_bit(seen, 64);
}
""",
    "DEFINE_PER_CPU": b"""
static DEFINE_PER_CPU(struct stats, local_stats);

int read_stats(void)
{
	return this_cpu_read(local_stats.count);
}
""",
    "static DEFINE_ with three arguments": b"""
static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);

void report(void)
{
	static DEFINE_RATELIMIT_STATE(inner, HZ, 1);

	if (__ratelimit(&inner))
		say();
}
""",
    "SYSCALL_DEFINE": b"""
SYSCALL_DEFINE3(frob, unsigned int, fd, const char __user *, buf, size_t, len)
{
	return do_frob(fd, buf, len);
}
""",
    "ifdef splitting an if/else": b"""
int choose(int a)
{
	if (a > 1)
		return 1;
#ifdef CONFIG_EXTRA
	else if (a < 0)
		return 2;
#endif
	return 0;
}
""",
    "ifdef with two function heads": b"""
#ifdef CONFIG_WIDE
static long frob(long x)
#else
static int frob(int x)
#endif
{
	return x + 1;
}
""",
    "if 0 block": b"""
int f(int x)
{
#if 0
	this is not C at all {
#endif
	return x;
}
""",
    "initcall without semicolon": b"""
static int __init setup_thing(void)
{
	return 0;
}
late_initcall(setup_thing)

static void other(void)
{
}
""",
    "label at the end of a block": b"""
int g(int x)
{
	if (x)
		goto out;
	x++;
out:
}
""",
    "case range": b"""
int classify(int c)
{
	switch (c) {
	case 'a' ... 'z':
		return 1;
	}
	return 0;
}
""",
    "unknown attribute before the type": b"""
static noinline_for_stack int heavy(void)
{
	return 0;
}
""",
    "typeof of a member": b"""
void h(struct pair *p)
{
	typeof(p->left) tmp = p->left;

	p->left = tmp;
}
""",
    "register asm name": b"""
long call0(long nr)
{
	register long r0 asm("r0") = nr;

	return r0;
}
""",
    "attribute after a local": b"""
void k(void)
{
	int unused __attribute__((unused));
}
""",
    "xfs STATIC": b"""
STATIC int
xfs_thing_init(
	struct xfs_mount	*mp)
{
	return 0;
}
""",
    "attribute between type and name": b"""
static int __net_init netns_setup(struct net *net)
{
	return 0;
}
""",
    "asm built from macros": b"""
static inline void barrier_thing(void)
{
	asm volatile(ALTERNATIVE("nop", "sync", FEATURE_X)
		     : : : "memory");
}
""",
    "offsetof with a nested member": b"""
size_t tail_offset(void)
{
	return offsetof(struct record, hdr.items[1]);
}
""",
    "alignof of an expression": b"""
void *grab(struct pool *p, size_t n)
{
	return pool_alloc(p, n, __alignof__(*p));
}
""",
    "unknown block macro": b"""
void visit(struct tree *t)
{
	struct leaf *l;

	tree_walk_leaves(t, l) {
		touch(l);
	}
}
""",
}


@pytest.mark.parametrize("src", FIXED.values(), ids=FIXED.keys())
def test_snippet_has_errors_raw_and_none_kernelized(src: bytes) -> None:
    assert has_error(src), "snippet should defeat raw tree-sitter-c"
    out = assert_same_shape(src)
    assert not has_error(out), out.decode()


def test_iterator_becomes_a_loop() -> None:
    src = FIXED["list iterator"]
    out = kernelize(src)
    tree = PARSER.parse(out)
    loops = [n for n in _walk(tree.root_node) if n.type == "while_statement"]
    assert len(loops) == 1
    head = loops[0].child_by_field_name("condition")
    assert src[head.start_byte:head.end_byte] == b"(it, head, node)"


def test_iterator_without_braces_becomes_a_loop() -> None:
    # Raw, tree-sitter reads this as a declaration of "cpu" (no ERROR at
    # all, but a wrong tree); kernelized, it is a loop over one statement.
    src = b"""
void clear_all(struct zone_set *zs)
{
	int cpu;

	for_each_online_cpu(cpu)
		clear_one(zs, cpu);
}
"""
    out = assert_same_shape(src)
    loops = [n for n in _walk(PARSER.parse(out).root_node) if n.type == "while_statement"]
    assert len(loops) == 1
    body = loops[0].child_by_field_name("body")
    assert src[body.start_byte:body.end_byte] == b"clear_one(zs, cpu);"


def test_function_names_stay_where_they_were() -> None:
    src = FIXED["SYSCALL_DEFINE"] + FIXED["lock annotations"]
    out = kernelize(src)
    tree = PARSER.parse(out)
    names = [n for n in _walk(tree.root_node) if n.type == "function_declarator"]
    texts = {src[n.child_by_field_name("declarator").start_byte:
                 n.child_by_field_name("declarator").end_byte] for n in names}
    assert texts == {b"frob", b"drop_lock"}


def test_comments_and_strings_are_untouched() -> None:
    src = b"""
/* list_for_each_entry(a, b, c) { __init container_of(x, struct y, z) */
static const char *msg = "__user for_each_cpu(x) { #ifdef";
int f(void)
{
	return msg[0]; // __must_check struct page
}
"""
    assert kernelize(src) == src


def test_else_branch_is_blanked_but_lines_kept() -> None:
    src = b"""int f(int a)
{
	if (a)
		return 1;
#ifdef CONFIG_X
	else
		return 2;
#else
	else
		return 3;
#endif
	return 0;
}
"""
    out = assert_same_shape(src)
    assert b"return 2;" in out
    assert b"return 3;" not in out
    assert b"#ifdef" not in out


def test_whole_statement_branches_are_kept() -> None:
    src = b"""int f(int a)
{
#ifdef CONFIG_X
	a += 1;
#else
	a += 2;
#endif
	return a;
}
"""
    assert kernelize(src) == src


def test_assembly_branch_is_dropped() -> None:
    src = b"""#ifdef __ASSEMBLY__
.macro frob reg
	mov \\reg, #0
.endm
#else
static inline int frob(void)
{
	return 0;
}
#endif
"""
    out = assert_same_shape(src)
    assert b".macro" not in out
    assert b"static inline int frob(void)" in out
    assert not has_error(out)


# ---------------------------------------------------------------------------
# Ordinary C stays as it is

ORDINARY = {
    "program": b"""#include <stdio.h>
#include <stdlib.h>

struct point { int x, y; };
typedef struct point point_t;

static int add(int a, int b) { return a + b; }
int apply(int (*fn)(int, int), struct point *p);
void release(struct point *, unsigned long);

int main(int argc, char **argv)
{
	struct point p = { .x = 1, .y = 2 };
	point_t *q = (struct point *)malloc(sizeof(struct point));
	unsigned long n = sizeof(unsigned long) * 4;
	long long big = (long long)n << 3;

	if (!q)
		return 1;
	for (int i = 0; i < argc; i++)
		printf("%s\\n", argv[i]);
	while (n--) {
		switch (n) {
		case 1:
			break;
		default:
			continue;
		}
	}
	do {
		n = add(p.x, p.y);
	} while (0);
	free(q);
	return big > 0 ? 0 : 2;
}
""",
    "preprocessor": b"""#ifndef FOO_H
#define FOO_H
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define for_each_item(i, n) for ((i) = 0; (i) < (n); (i)++)

#ifdef HAVE_WIDE
long wide(long x);
#else
int wide(int x);
#endif

static inline int biggest(int a, int b)
{
	int r = MAX(a, b);
#if defined(DEBUG)
	fprintf(stderr, "%d\\n", r);
#endif
	return r;
}
#endif
""",
    "labels and gotos": b"""int run(int n)
{
	int err = 0;

	if (n < 0) {
		err = -1;
		goto out;
	}
	n *= 2;
out:
	return err;
}
""",
    "function pointers and casts": b"""typedef void (*handler_t)(struct event *, unsigned int);

struct ops {
	int (*open)(struct file *, int flags);
	void (*close)(struct file *);
};

static void dispatch(struct ops *ops, void *p)
{
	struct file *f = (struct file *)p;
	unsigned char c = (unsigned char)ops->open(f, 0);

	ops->close(f);
	(void)c;
}
""",
}


@pytest.mark.parametrize("src", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_c_is_unchanged(src: bytes) -> None:
    assert not has_error(src)
    assert kernelize(src) == src


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def test_statement_macro_on_its_own_line() -> None:
    # A macro loop head the name patterns do not know becomes a loop; a statement
    # macro with no ";" before another line is blanked.
    src = b"""
void walk_ptes(struct range *r)
{
	pte_iterate(r, n) {
		touch(n);
	}
	FLUSH_ALL(r)
	done(r);
}
"""
    out = assert_same_shape(src)
    assert b"\twhile      (r, n) {" in out
    assert b"\t" + b" " * len(b"FLUSH_ALL(r)") + b"\n\tdone(r);" in out


def test_statement_macro_inside_a_keyword_head() -> None:
    # The line of "while (" is not a macro's, but the lines its parentheses hold are
    # still looked at: BAR(y) stands on a line of its own, with no ";" after.
    src = b"""
int f(int x, int y, int z)
{
	while (x,
	    BAR(y)
	    z) {
		x--;
	}
	return x;
}
"""
    out = assert_same_shape(src)
    assert b"\twhile (x,\n" in out
    assert b"\n\t    " + b" " * len(b"BAR(y)") + b"\n\t    z) {" in out
