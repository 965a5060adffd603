"""``.folint.toml``: found from the target upwards; command-line options win.

    select = ["FOL001", "FOL002"]    # codes or prefixes; default: every rule
    ignore = ["FOL005"]
    exclude = ["drivers/staging/**", "*_test.c"]   # globs, relative to the file's folder
    max-file-size = 4194304           # bytes; larger files are skipped with an error line
    file-time-budget = 60             # CPU seconds a file may take (0: no limit); then one error line
    file-memory-budget = 1024         # MiB a file may take, estimated from its size (0: no limit)

    [rules.FOL003]
    threshold = 1.0                   # per-rule options
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CONFIG_NAME = ".folint.toml"
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
_KNOWN_KEYS = {"select", "ignore", "exclude", "max-file-size", "file-time-budget", "file-memory-budget",
               "rules", "hook", "page-api"}
DEFAULT_TIME_BUDGET = 60.0  # folint.guard.Budget: CPU seconds a file
DEFAULT_MEMORY_BUDGET = 1024  # MiB a file


class ConfigError(Exception):
    """A configuration or usage problem: exit code 2, one line, no traceback."""


@dataclass
class Config:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_time_budget: float = DEFAULT_TIME_BUDGET
    file_memory_budget: int = DEFAULT_MEMORY_BUDGET
    rule_options: dict[str, dict] = field(default_factory=dict)
    hook: dict = field(default_factory=dict)
    page_api: list[dict] = field(default_factory=list)
    path: Path | None = None  # the file it came from

    @property
    def root(self) -> Path | None:
        return self.path.parent if self.path is not None else None


def find_config(start: str | os.PathLike) -> Path | None:
    p = Path(start).resolve()
    if not p.is_dir():
        p = p.parent
    for d in (p, *p.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _str_list(data: dict, key: str, where: Path) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings; fix the file or remove the key")
    return value


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read configuration: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}; fix the file or remove it") from None
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(_KNOWN_KEYS))}")
    rules = data.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise ConfigError(f"{path}: [rules.CODE] sections must be tables of options")
    size = data.get("max-file-size", DEFAULT_MAX_FILE_SIZE)
    if not isinstance(size, int) or size <= 0:
        raise ConfigError(f"{path}: 'max-file-size' must be a positive number of bytes")
    seconds = data.get("file-time-budget", DEFAULT_TIME_BUDGET)
    mebibytes = data.get("file-memory-budget", DEFAULT_MEMORY_BUDGET)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ConfigError(f"{path}: 'file-time-budget' must be a number of CPU seconds (0: no limit)")
    if isinstance(mebibytes, bool) or not isinstance(mebibytes, int) or mebibytes < 0:
        raise ConfigError(f"{path}: 'file-memory-budget' must be a whole number of MiB (0: no limit)")
    hook = data.get("hook", {})
    page_api = data.get("page-api", [])
    if not isinstance(hook, dict) or not isinstance(page_api, list):
        raise ConfigError(f"{path}: [hook] must be a table and [[page-api]] a list of tables")
    return Config(
        select=_str_list(data, "select", path) if "select" in data else None,
        ignore=_str_list(data, "ignore", path),
        exclude=_str_list(data, "exclude", path),
        max_file_size=size,
        file_time_budget=float(seconds),
        file_memory_budget=mebibytes,
        rule_options={k.upper(): v for k, v in rules.items()},
        hook=hook,
        page_api=page_api,
        path=path,
    )


def config_for(targets: list[str], explicit: str | None = None) -> Config:
    """The configuration for a run: ``--config FILE``, else the first ``.folint.toml``
    found from the first target upwards, else the defaults."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return load_config(p)
    found = find_config(targets[0] if targets else ".")
    return load_config(found) if found is not None else Config()
