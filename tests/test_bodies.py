"""folint.kernel_c.bodies: the lexical finder of top-level function bodies, and blanking.

A body is told only when it is certain (kernel layout, braces balanced in every
conditional branch); anything unclear gives no body, or None for the whole file."""

from folint.kernel_c.bodies import Body, blank_bodies, find_bodies
from folint.source import SourceFile


def bodies(src: bytes) -> list[bytes]:
    """The text of each body found, braces included."""
    layout = find_bodies(src)
    assert layout is not None
    return [src[b.open:b.close + 1] for b in layout.bodies]


def names_of(src: bytes) -> list[str]:
    return [fn.name for fn in SourceFile("t.c", src).all_functions]


KERNEL = b"""\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

struct pair {
	int a, b;
};

static const struct pair pairs[] = {
	{ 1, 2 },
};

static int __init first(struct folio *folio, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (i > 2)
			break;
	}
	return 0;
}

void second(void)
{
	do_something();
}
"""


def test_kernel_style_functions_are_found_and_nothing_else():
    found = find_bodies(KERNEL)
    assert [KERNEL[b.open:b.close + 1].splitlines()[1].strip() for b in found.bodies] == [b"int i;", b"do_something();"]
    first = found.bodies[0]
    # the definition's text starts after the previous top-level ';' (the array's)
    assert KERNEL[first.start:first.open].strip() == b"static int __init first(struct folio *folio, int nr)"


def test_blanking_keeps_every_offset_line_and_function():
    found = find_bodies(KERNEL)
    out = blank_bodies(KERNEL, found.bodies)
    assert len(out) == len(KERNEL)
    assert [i for i, c in enumerate(out) if c == 10] == [i for i, c in enumerate(KERNEL) if c == 10]
    assert names_of(out) == names_of(KERNEL) == ["first", "second"]
    assert b"for (" not in out and b"do_something" not in out
    # outside the bodies nothing changed
    b = found.bodies[0]
    assert out[:b.open + 1] == KERNEL[:b.open + 1]
    fn = SourceFile("t.c", out).all_functions[0]
    assert fn.params == [("folio", "struct folio *"), ("nr", "int")]
    assert fn.calls == [] and fn.loops == []


def test_strings_characters_and_comments_holding_braces():
    src = b"""\
int f(void)
{
	const char *s = "}{}";
	char c = '}';
	/* } */
	// {
	return s[0] == c;
}

int g(void)
{
	return '{';
}
"""
    assert [x.count(b"\n") for x in bodies(src)] == [6, 2]


def test_ifdef_inside_a_body_with_balanced_branches():
    src = b"""\
static void f(int x)
{
#ifdef CONFIG_A
	if (x) {
		a();
	}
#else
	b();
#endif
}
"""
    assert len(bodies(src)) == 1


def test_branches_that_change_the_brace_count_make_the_file_unclear():
    two_headers = b"""\
#ifdef CONFIG_A
static int f(int a)
{
#else
static int f(void)
{
#endif
	return 0;
}
"""
    assert find_bodies(two_headers) is None
    half_statements = b"""\
void f(void)
{
#ifdef CONFIG_A
	if (a) {
#else
	if (b) {
#endif
		c();
	}
}
"""
    assert find_bodies(half_statements) is None
    compensating = b"""\
void f(void)
{
#ifdef CONFIG_A
	{
#endif
	c();
#ifdef CONFIG_A
	}
#endif
}
"""
    assert find_bodies(compensating) is None  # balanced overall, not per branch


def test_unterminated_or_stray_conditionals_and_unbalanced_braces():
    assert find_bodies(b"#ifdef A\nvoid f(void)\n{\n}\n") is None
    assert find_bodies(b"void f(void)\n{\n}\n#endif\n") is None
    assert find_bodies(b"void f(void)\n{\n}\n}\n") is None
    assert find_bodies(b"void f(void)\n{\n\tif (a) {\n}\n") is None


def test_a_group_with_one_end_inside_a_body_leaves_that_body():
    src = b"""\
int f(void)
{
	return 0;
}
int h(void)
{
#if A
	b();
#else
	c();
}
int k(void)
{
#endif
	return 1;
}
"""
    # h's body (to the first column-0 brace) holds #if and #else, but the #endif is in k's
    assert bodies(src) == [b"{\n\treturn 0;\n}"]


def test_a_group_around_a_whole_function_is_fine():
    src = b"#ifdef CONFIG_A\nint f(void)\n{\n\treturn 1;\n}\n#else\nint f(void)\n{\n\treturn 0;\n}\n#endif\n"
    assert len(bodies(src)) == 2


def test_macros_are_directives_not_bodies():
    src = b"""\
#define FOO(x) do {	\\
	bar(x);		\\
} while (0)

#define BAZ {	\\
}

SYSCALL_DEFINE1(munlock, int, x)
{
	return FOO(x);
}
"""
    assert bodies(src) == [b"{\n\treturn FOO(x);\n}"]


def test_kr_definitions_structs_and_initializers_are_not_taken():
    kr = b"int f(a, b)\n\tint a;\n\tint b;\n{\n\treturn a + b;\n}\n"
    assert bodies(kr) == []  # a ';' before the '{': K&R parameter declarations
    struct = b"struct s\n{\n\tint a;\n}\n;\n"
    assert bodies(struct) == []  # no ')' before the '{'
    literal = b"struct s v = (struct s)\n{\n\t.a = 1,\n}\n;\n"
    assert bodies(literal) == []  # an '=' outside parentheses: an initializer
    attributed = b"static int f(void) __attribute__((unused))\n{\n\treturn 0;\n}\n"
    assert len(bodies(attributed)) == 1  # '=' only inside parentheses would not matter either


def test_the_closing_brace_must_be_alone_at_column_zero():
    assert bodies(b"int f(void)\n{\n\treturn 0;\n\t}\n") == []
    assert bodies(b"int f(void) { return 0; }\n") == []
    assert bodies(b"int f(void)\n{\n\treturn 0;\n}; \n") == []
    assert len(bodies(b"int f(void)\n{\n\treturn 0;\n} /* f */\n")) == 1


def test_blank_bodies_of_a_chosen_few():
    src = b"int f(void)\n{\n\treturn 1;\n}\nint g(void)\n{\n\treturn 2;\n}\n"
    found = find_bodies(src)
    out = blank_bodies(src, [found.bodies[1]])
    assert out == b"int f(void)\n{\n\treturn 1;\n}\nint g(void)\n{\n" + b" " * 10 + b"\n}\n"
    assert blank_bodies(src, []) == src
    assert Body(0, 12, 25) == found.bodies[0]
