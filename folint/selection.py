"""Which rules run: every registered rule, narrowed by select / ignore (codes or prefixes)."""

from __future__ import annotations

from folint.config import Config, ConfigError
from folint.plugins import plugin_manager
from folint.rule import Rule


def registered_rules() -> dict[str, type[Rule]]:
    """Every rule class from every plugin, by code; duplicate codes are an error."""
    out: dict[str, type[Rule]] = {}
    for batch in plugin_manager().hook.folint_rules():
        for cls in batch or ():
            cls.validate()
            if cls.code in out and out[cls.code] is not cls:
                raise ConfigError(f"rule code {cls.code} is provided twice ({out[cls.code].__module__} and "
                                  f"{cls.__module__}); uninstall one of the rule packs")
            out[cls.code] = cls
    return dict(sorted(out.items()))


def _matches(code: str, patterns: list[str]) -> bool:
    return any(code.startswith(p.upper()) for p in patterns)


def select_codes(known: list[str], select: list[str] | None, ignore: list[str]) -> list[str]:
    for p in (select or []) + list(ignore):
        if not any(c.startswith(p.upper()) for c in known):
            raise ConfigError(f"unknown rule code '{p}'; `folint rules` lists the known ones")
    chosen = [c for c in known if select is None or _matches(c, select)]
    return [c for c in chosen if not _matches(c, ignore)]


def build_rules(config: Config, select: list[str] | None = None, ignore: list[str] | None = None,
                facts=None) -> list[Rule]:
    """The selected rules, built; ``facts`` (a ``folint.facts.Facts``) is given to each
    (default: the built-in tables)."""
    classes = registered_rules()
    sel = select if select is not None else config.select
    ign = list(config.ignore) + list(ignore or [])
    rules = [classes[c](config.rule_options.get(c, {}), config=config) for c in select_codes(list(classes), sel, ign)]
    if facts is not None:
        for rule in rules:
            rule.facts = facts
    return rules
