"""``folint facts [TREE]``: the API facts a check of TREE would use, fact by fact,
with where each came from (the tree's files, with the line, or a built-in table).

    folint facts /tmp/linux/linux-source-6.12     a kernel tree (or a folder inside one)
    folint facts                                  the tree around the current folder, else the built-in tables
    folint facts --builtin                        the built-in tables alone
    folint facts --format json TREE               the same as JSON
"""

from __future__ import annotations

import json
import os

from folint.config import ConfigError


def configure(p, _name):
    p.add_argument("tree", nargs="?", metavar="TREE", help="a kernel tree or a folder inside one (default: .)")
    p.add_argument("--builtin", action="store_true", help="show the built-in tables, without reading a tree")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--no-cache", dest="cache", action="store_false", help="read the files again, ignore the cache")
    p.add_argument("--cache-dir", metavar="DIR", help="where the facts cache lives (default: the index cache folder)")


def _item_lines(value, where: dict[str, str]) -> list[str]:
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        width = max((len(k) for k in value), default=0)
        return [f"    {k:<{width}}  {v:<16} {where.get(k, '')}".rstrip() for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, dict) and "flag" in v for v in value):
        return [f"    {v['flag']:<16} {where.get(v['flag'], '')}".rstrip() for v in value]
    if isinstance(value, list):
        return [f"    {len(value)} names: {', '.join(value[:12])}{', ...' if len(value) > 12 else ''}"]
    if isinstance(value, dict) and "name" in value:
        return [f"    {value['name']}  ({', '.join(f'{k}={v}' for k, v in value.items() if k != 'name')})"
                f"  {where.get(value['name'], '')}".rstrip()]
    return [f"    {json.dumps(value)}"]


def render_text(facts, registry) -> str:
    head = (f"tree: {facts.root} (version {facts.version or 'unknown'})" if facts.root
            else "tree: none found (built-in tables)")
    lines = [head]
    for fact in facts:
        summary = registry.kinds[fact.name].summary if fact.name in registry else ""
        lines.append(f"{fact.name}: {summary}")
        lines.append(f"  from {fact.source}")
        lines += _item_lines(fact.value, fact.where)
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from folint.facts.engine import build_registry, facts_for_root
    from folint.facts.tree import find_tree_root

    root = None
    if not args.builtin:
        target = args.tree or "."
        if not os.path.exists(target):
            raise ConfigError(f"{target}: no such file or folder")
        root = find_tree_root(target)
        if root is None and args.tree:
            raise ConfigError(f"{args.tree}: not inside a kernel tree (no folder above it holds MAINTAINERS, "
                              f"Kbuild and a Makefile with VERSION =); pass --builtin for the built-in tables")
    registry = build_registry()
    facts = facts_for_root(root, cache=args.cache, cache_dir=args.cache_dir, registry=registry)
    if args.format == "json":
        out = {"tree": facts.root, "version": facts.version,
               "facts": {f.name: {"value": f.value, "source": f.source, "builtin": f.builtin, "where": f.where}
                         for f in facts}}
        print(json.dumps(out, indent=2))
    else:
        print(render_text(facts, registry), end="")
    return 0
