#!/usr/bin/env python3
"""Planted-bug check of the loop rules on real kernel loops (the tree is only read).

    python bench/plant_loops.py [TREE] [--dirs mm,fs,...] [--max N]

Finds per-page loops with a tree-sitter query of its own (independent of
folint's loop model): a for/while/do whose body passes ``folio_page(x, i)``,
``nth_page(x, i)``, ``page + i`` or ``pages[i]`` to a call, ``i`` being a name
the loop header steps.  For each (first N per rule, in path order) it copies
the file to a temp folder and plants one bug:

- FOL001: ``return 0;`` (``return;`` in a void function) right after the
  body's first statement;
- FOL005: the index in that selection replaced by 0 (``page + i`` -> ``page``).

then runs ``python -m folint --select RULE --format json`` once over all the
copies and counts a plant caught when a finding of that rule lands in the
planted function.  Run it with PYTHONPATH pointing at another folint to
compare versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import tree_sitter_c
from tree_sitter import Language, Parser, Query, QueryCursor

C = Language(tree_sitter_c.language())
LOOPS = Query(C, "[(for_statement) (while_statement) (do_statement)] @loop")
SELECT = Query(C, """
(call_expression function: (identifier) @f arguments: (argument_list (_) (identifier) @i) (#match? @f "^(folio_page|nth_page)$")) @sel
(binary_expression left: (identifier) @p operator: "+" right: (identifier) @i (#match? @p "page$")) @sel
(subscript_expression argument: (_) @p index: (identifier) @i (#match? @p "pages$")) @sel
""")


def stepped(loop) -> set[str]:
    out = set()
    for field in ("update", "condition"):
        n = loop.child_by_field_name(field)
        stack = [n] if n is not None else []
        while stack:
            x = stack.pop()
            if x.type in ("update_expression", "assignment_expression"):
                t = x.child_by_field_name("argument") or x.child_by_field_name("left")
                if t is not None and t.type == "identifier":
                    out.add(t.text.decode())
            stack.extend(x.children)
    return out


def enclosing_function(node):
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def function_name(fn) -> str | None:
    d = fn.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    ident = d.child_by_field_name("declarator") if d is not None else None
    return ident.text.decode() if ident is not None and ident.type == "identifier" else None


def candidates(path: Path):
    raw = path.read_bytes()
    if b"page" not in raw:
        return
    tree = Parser(C).parse(raw)
    for _, caps in QueryCursor(LOOPS).matches(tree.root_node):
        loop = caps["loop"][0]
        body = loop.child_by_field_name("body")
        fn = enclosing_function(loop)
        if body is None or fn is None or body.type != "compound_statement" or not function_name(fn):
            continue
        names = stepped(loop)
        for _, sc in QueryCursor(SELECT).matches(body):
            sel, idx = sc["sel"][0], sc["i"][0]
            if idx.text.decode() not in names or sel.parent is None:
                continue
            if sel.parent.type != "argument_list" and sel.parent.type not in ("init_declarator", "assignment_expression"):
                continue
            stmts = [c for c in body.named_children if c.type != "comment"]
            if not stmts or b"continue" in raw[body.start_byte:body.end_byte]:
                break
            yield raw, loop, fn, sel, sc, stmts[0]
            break


def plant(rule, raw, fn, sel, sc, first):
    if rule == "FOL001":
        void = fn.child_by_field_name("type") is not None and fn.child_by_field_name("type").text == b"void" and \
            fn.child_by_field_name("declarator").type == "function_declarator"
        at = first.end_byte
        return raw[:at] + (b" return;" if void else b" return 0;") + raw[at:]
    idx = sc["i"][0]
    if sel.type == "binary_expression":
        return raw[:sel.start_byte] + sc["p"][0].text + raw[sel.end_byte:]
    return raw[:idx.start_byte] + b"0" + raw[idx.end_byte:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", default="/tmp/linux/linux-source-6.12")
    ap.add_argument("--dirs", default="mm,fs,arch,drivers,include,lib")
    ap.add_argument("--max", type=int, default=150)
    args = ap.parse_args()
    tree = Path(args.tree)
    if not (tree / "mm").is_dir():
        print(f"{tree}: not a kernel tree", file=sys.stderr)
        return 2
    found = []
    for d in args.dirs.split(","):
        for path in sorted((tree / d).rglob("*.c")):
            found.extend((path, *c) for c in candidates(path))
    print(f"{len(found)} candidate loops in {args.dirs}")
    for rule in ("FOL001", "FOL005"):
        with tempfile.TemporaryDirectory() as tmp:
            planted = {}
            for k, (path, raw, loop, fn, sel, sc, first) in enumerate(found[:args.max]):
                name = f"{k:04d}_{path.name}"
                (Path(tmp) / name).write_bytes(plant(rule, raw, fn, sel, sc, first))
                planted[name] = (function_name(fn), str(path.relative_to(tree)), loop.start_point[0] + 1)
            proc = subprocess.run([sys.executable, "-m", "folint", "--select", rule, "--format", "json",
                                   "--no-cache", tmp], capture_output=True, text=True, env=os.environ)
            hits = {(Path(f["path"]).name, f["function"]) for f in json.loads(proc.stdout)["findings"]}
            caught = [n for n, (fname, _, _) in planted.items() if (n, fname) in hits]
            print(f"{rule}: caught {len(caught)} of {len(planted)} planted")
            for n, (fname, rel, line) in sorted(planted.items()):
                if (n, fname) not in hits:
                    print(f"  missed {rel}:{line} {fname}()")
    return 0


if __name__ == "__main__":
    sys.exit(main())
