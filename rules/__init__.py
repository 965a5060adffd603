"""folint's built-in rules, loaded through the ``folint`` entry-point group
(``builtin = folint_rules``) exactly as a third-party rule pack would be.

Every module named ``folNNN_<rule_name>.py`` in this package is a rule; its
``Rule`` subclasses are collected, so adding a rule is adding a module.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from folint import hookimpl
from folint.rule import Rule

_RULE_MODULE = re.compile(r"^fol\d{3}_\w+$")


def builtin_rules() -> list[type[Rule]]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not _RULE_MODULE.match(info.name):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        out += [obj for obj in vars(module).values()
                if inspect.isclass(obj) and issubclass(obj, Rule) and obj is not Rule
                and obj.__module__ == module.__name__]
    return out


@hookimpl
def folint_rules():
    return builtin_rules()
