"""Facts about the kernel's event and statistics counters (FOL008).

``counter_items``: ``{"vm_event": [...], "node_stat": [...], "zone_stat": [...]}``,
the enumerators of ``enum vm_event_item`` (include/linux/vm_event_item.h,
including those the zone macro ``FOR_ALL_ZONES(PGALLOC)`` makes:
``PGALLOC_NORMAL`` ...), ``enum node_stat_item`` and ``enum zone_stat_item``
(include/linux/mmzone.h).  Which counters a tree has changes between versions
(PGDEMOTE_* are vm events in 6.1 and node statistics in 6.12; SWPIN_ZERO,
ZSWPWB are new in 6.12).  What each counts (pages or events) is the rule's
table (rules/counter_table.toml), not a fact of the tree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from folint.facts.ctext import line_of, strip_comments
from folint.facts.model import FactKind, Reading

FILES = ("include/linux/vm_event_item.h", "include/linux/mmzone.h")
ENUMS = {"vm_event": ("include/linux/vm_event_item.h", "vm_event_item"),
         "node_stat": ("include/linux/mmzone.h", "node_stat_item"),
         "zone_stat": ("include/linux/mmzone.h", "zone_stat_item")}
ZONES = ("DMA", "DMA32", "NORMAL", "HIGH", "MOVABLE", "DEVICE")
_NAME = re.compile(r"\b([A-Z][A-Z0-9_]+)\b")


def _enumerators(text: str, enum: str) -> tuple[list[str], int] | None:
    m = re.search(rf"\benum\s+{enum}\s*\{{(.*?)\}}", text, re.S)
    if m is None:
        return None
    body = "\n".join(ln for ln in m.group(1).splitlines() if not ln.lstrip().startswith("#"))
    names: list[str] = []
    for zm in re.finditer(r"FOR_ALL_ZONES\((\w+)\)", body):
        names += [f"{zm.group(1)}_{z}" for z in ZONES]
    body = re.sub(r"FOR_ALL_ZONES\(\w+\)", " ", body)
    body = re.sub(r"=[^,]*", " ", body)  # NR_LRU_BASE = 0, NR_INACTIVE_ANON = NR_LRU_BASE ...
    names += [n for n in _NAME.findall(body) if not n.startswith("NR_VM_") and n != "THREAD_SIZE"]
    return sorted(set(names)), line_of(text, m.start())


def read_counters(files: Mapping[str, bytes]) -> Reading | None:
    value, where = {}, {}
    for kind, (path, enum) in ENUMS.items():
        raw = files.get(path)
        got = _enumerators(strip_comments(raw.decode("utf-8", "replace")), enum) if raw is not None else None
        if got is None:
            continue
        value[kind], line = got
        where.update({n: f"{path}:{line}" for n in got[0]})
    return Reading(value, where) if value else None


def _builtin():
    from folint.facts.counters_tables import COUNTER_ITEMS

    return COUNTER_ITEMS


KINDS = [FactKind("counter_items", "the vm event, node and zone statistics counters the tree declares",
                  FILES, read_counters, _builtin())]
