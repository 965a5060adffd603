"""``folint rules`` and ``folint explain CODE``."""

from __future__ import annotations

from folint import ruledoc
from folint.config import ConfigError
from folint.selection import registered_rules


def configure(p, name):
    if name == "rules":
        p.add_argument("--markdown", action="store_true",
                       help="print the table as Markdown (the README's rules table is this output)")
    if name == "explain":
        p.add_argument("code", metavar="CODE", help="a rule code such as FOL002, or a rule name")
    p.set_defaults(_info=name)


def rules_table() -> str:
    classes = registered_rules()
    width = max((len(c.name) for c in classes.values()), default=4)
    lines = [f"{'code':<7} {'name':<{width}}  summary"]
    lines += [f"{c.code:<7} {c.name:<{width}}  {c.summary}" for c in classes.values()]
    return "\n".join(lines) + "\n"


def explain(code: str) -> str:
    for cls in registered_rules().values():
        if code.upper() == cls.code or code == cls.name:
            return cls.doc() + "\n"
    raise ConfigError(f"no rule '{code}'; `folint rules` lists the known ones")


def run(args) -> int:
    if args._info == "explain":
        text = explain(args.code)
    elif getattr(args, "markdown", False):
        text = ruledoc.markdown_table(registered_rules().values())
    else:
        text = rules_table()
    print(text, end="")
    return 0
