"""Issue 14, part 4: the exit search is linear (one pass per loop, memoised), so deep nesting is cheap."""

import time

from folint import flow
from folint.checker import check_source
from folint.selection import build_rules
from folint.config import Config
from folint.source import SourceFile


def _deep(depth: int, chain: bool) -> bytes:
    if chain:
        inner = "if (a == 0) { return -1; }" + "".join(f" else if (a == {k}) {{ return -{k}; }}"
                                                       for k in range(1, depth))
    else:
        inner = "if (a) {" * depth + " return -1; " + "}" * depth
    return (f"int demo_deep(struct folio *folio, int a)\n{{\n\tlong i, nr = folio_nr_pages(folio);\n\tint err;\n\n"
            f"\tfor (i = 0; i < nr; i++) {{\n\t\terr = demo_map(folio_page(folio, i));\n\t\tif (err) {{\n"
            f"{inner}\n\t\t}}\n\t}}\n\treturn 0;\n}}\n").encode()


def _loop(src):
    fn = src.functions[0]
    return fn.loops[0]


def test_outcomes_and_first_exit_small_cases():
    src = SourceFile("x.c", b"void f(void)\n{\n\tfor (;;) {\n\t\tif (a) { x(); continue; } else if (b) goto out;\n"
                            b"\t\twhile (c) { break; }\n\t\tswitch (d) { case 1: return; }\n\t\tbreak;\n\t}\nout:\n\t;\n}\n")
    loop = _loop(src)
    body = loop.child_by_field_name("body")
    stmts = [c for c in body.named_children]
    assert flow.outcomes(stmts[0], loop) == {flow.NEXT, flow.EXIT, flow.FALL}
    assert flow.outcomes(stmts[1], loop) == {flow.FALL}            # the break is the while's
    assert flow.outcomes(stmts[2], loop) == {flow.FALL, flow.EXIT}  # a return inside the switch
    assert flow.outcomes(body, loop) == {flow.NEXT, flow.EXIT}
    assert src.text(flow.first_exit(stmts[0], loop)) == "goto out;"
    assert flow.first_exit(stmts[1], loop) is None  # inner loops are not entered
    assert src.text(flow.first_exit(body, loop)) == "goto out;"


def test_ten_thousand_nested_ifs_and_a_long_else_if_chain_are_linear():
    rules = build_rules(Config(), None, None)
    for depth, chain in ((10000, False), (3000, True)):
        raw = _deep(depth, chain)
        started = time.perf_counter()
        res = check_source("deep.c", raw, rules)
        seconds = time.perf_counter() - started
        assert not [e for e in res.errors if "nested too deeply" in e.message], res.errors
        assert seconds < 15, f"{depth} {'else-if' if chain else 'nested if'}: {seconds:.1f}s"
    src = SourceFile("deep.c", _deep(10000, False))
    loop = _loop(src)
    assert flow.outcomes(loop.child_by_field_name("body"), loop) == {flow.FALL, flow.EXIT}
    assert src.text(flow.first_exit(loop.child_by_field_name("body"), loop)) == "return -1;"
