"""Folio counterparts of a page function, declared beside it.

``page_ref_inc_return(struct page *)`` has ``folio_ref_inc_return(struct folio *)``
in the same header; a caller holding a folio should call that, and the page
function is not what gets converted.  FOL006's table knows the common pairs;
this finds the rest in the checked tree itself: a counterpart name (below)
declared or defined with a ``struct folio *`` parameter in a file that defines
or declares the page function.  Only those few files are read (the tree index
keeps no folio-taking functions).

Counterpart names of ``name``: ``page`` -> ``folio`` (``pages`` -> ``folios``) in it
(``bio_add_page`` -> ``bio_add_folio``); ``X_page`` -> ``folio_X``
(``is_zone_device_page`` -> ``folio_is_zone_device``); ``page_X`` -> ``folio_X``
(``page_mapcount`` -> ``folio_mapcount``); ``PageX`` -> ``folio_test_x``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from folint.index.tree import Def, TreeIndex

_CAMEL = re.compile(r"(?<!^)([A-Z])")


class Counterpart(NamedTuple):
    name: str
    path: str
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def counterpart_names(name: str) -> list[str]:
    out = []
    if "page" in name:
        out.append(name.replace("pages", "folios").replace("page", "folio"))
    m = re.fullmatch(r"(\w+?)_pages?", name)
    if m:
        out.append(f"folio_{m.group(1)}")
    m = re.fullmatch(r"pages?_(\w+)", name)
    if m:
        out.append(f"folio_{m.group(1)}")
    if name.startswith("Page") and len(name) > 4:
        out.append("folio_test_" + _CAMEL.sub(r"_\1", name[4:]).lower())
    return [n for n in dict.fromkeys(out) if n != name]


def find_counterparts(index: TreeIndex, defs: list[Def], max_size: int) -> dict[str, Counterpart]:
    """page function name -> its first counterpart found, for each of ``defs``."""
    from folint.index.files import tree_bytes

    texts: dict[str, bytes | None] = {}
    out: dict[str, Counterpart] = {}
    for d in defs:
        names = counterpart_names(d.name)
        if not names or d.name in out:
            continue
        pattern = re.compile(rb"\b(" + b"|".join(re.escape(n.encode()) for n in names) + rb")\s*\(([^;{)]*)\)")
        paths = dict.fromkeys([x.path for x in index.family(d)] + [p.path for p in index.prototypes(d)])
        for path in paths:
            if path not in texts:
                texts[path] = tree_bytes(path, max_size)
            raw = texts[path]
            m = next((m for m in pattern.finditer(raw or b"") if re.search(rb"struct\s+folio\s*\*", m.group(2))),
                     None)
            if m is not None:
                out[d.name] = Counterpart(m.group(1).decode(), path, raw.count(b"\n", 0, m.start()) + 1)
                break
    return out
