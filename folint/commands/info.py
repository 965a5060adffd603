"""``folint rules`` and ``folint explain CODE``."""

from __future__ import annotations

from folint.config import ConfigError
from folint.selection import registered_rules


def configure(p, name):
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
    print(explain(args.code) if args._info == "explain" else rules_table(), end="")
    return 0
