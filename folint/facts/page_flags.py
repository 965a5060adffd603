"""Facts from include/linux/page-flags.h: each page flag's policy, and the flags
that are kept per page even inside a large folio.

``page_flags``: ``{flag: {"policy": "PF_ANY" | "PF_HEAD" | ... | "FOLIO_HEAD_PAGE", "page_name":
"HWPoison"}}``, from the ``PAGEFLAG(Uname, lname, policy)`` family of macros, the
``FOLIO_FLAG(lname, FOLIO_HEAD_PAGE)`` family, and hand-written accessors such
as ``PageAnonExclusive()`` (``test_bit(PG_anon_exclusive, &PF_ANY(page, 1)->flags)``).

``per_page_flags``: ``[{"flag": "hwpoison", "page_name": "HWPoison"}, ...]``: the
flags with the ``PF_ANY`` policy ("relevant for small, head and tail pages"),
less those that are PF_ANY only because the page they live on is not part of a
folio's per-page state (see ``NOT_PER_PAGE``).  ``folio_test_<flag>(folio)`` reads
such a flag on the head page only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from folint.facts.ctext import line_of, strip_comments
from folint.facts.model import FactKind, Reading

FILE = "include/linux/page-flags.h"

# PF_ANY flags whose users keep them per folio or outside folios, so testing them
# on the folio is what is meant: the compound-page structure itself (head), the
# owner-private bits a filesystem sets on the folio (private, private_2,
# owner_priv_1), page-idle tracking (young, idle: folio-wide in page_idle.c),
# memmap pages (vmemmap_self_hosted) and movable non-LRU pages (isolated).
NOT_PER_PAGE = frozenset({"head", "private", "private_2", "owner_priv_1", "young", "idle",
                          "vmemmap_self_hosted", "isolated"})

_MACRO = re.compile(r"\b(?:__)?(?:PAGEFLAG|TESTPAGEFLAG|SETPAGEFLAG|CLEARPAGEFLAG|TESTSCFLAG|TESTSETFLAG|"
                    r"TESTCLEARFLAG|__SETPAGEFLAG|__CLEARPAGEFLAG)\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(PF_\w+)\s*\)")
_FOLIO_MACRO = re.compile(r"\b(?:__)?FOLIO_(?:TEST_|SET_|CLEAR_|TEST_SET_|TEST_CLEAR_)?FLAG\(\s*(\w+)\s*,\s*"
                          r"(FOLIO_\w+_PAGE)\s*\)")
_HAND_WRITTEN = re.compile(r"\bPG_(\w+)\s*,\s*&(PF_\w+)\(")
_ACCESSOR = re.compile(r"\b(?:__)?(?:Test)?(?:Set|Clear)?Page(\w+)\s*\(\s*(?:const\s+)?struct\s+page\b")


def read_page_flags(files: Mapping[str, bytes]) -> Reading | None:
    raw = files.get(FILE)
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    code = strip_comments(text)
    flags: dict[str, dict] = {}
    where: dict[str, str] = {}

    def note(lname: str, policy: str, page_name: str | None, offset: int) -> None:
        if lname in flags:
            return
        flags[lname] = {"policy": policy, "page_name": page_name}
        where[lname] = f"{FILE}:{line_of(text, offset)}"

    for m in _MACRO.finditer(code):
        note(m.group(2), m.group(3), m.group(1), m.start())
    for m in _HAND_WRITTEN.finditer(code):
        accessors = list(_ACCESSOR.finditer(code, 0, m.start()))
        note(m.group(1), m.group(2), accessors[-1].group(1) if accessors else None, m.start())
    for m in _FOLIO_MACRO.finditer(code):
        note(m.group(1), m.group(2), None, m.start())
    if not flags:
        return None
    return Reading(flags, where)


def per_page(flags: dict[str, dict]) -> list[dict]:
    return [{"flag": name, "page_name": info["page_name"]} for name, info in sorted(flags.items())
            if info["policy"] == "PF_ANY" and name not in NOT_PER_PAGE]


def read_per_page_flags(files: Mapping[str, bytes]) -> Reading | None:
    reading = read_page_flags(files)
    if reading is None:
        return None
    value = per_page(reading.value)
    return Reading(value, {item["flag"]: reading.where[item["flag"]] for item in value})


_PER_PAGE_BUILTIN = [{"flag": "anon_exclusive", "page_name": "AnonExclusive"},
                     {"flag": "hwpoison", "page_name": "HWPoison"}]

KINDS = [
    FactKind("per_page_flags", "page flags kept per page inside a large folio (PF_ANY policy)",
             (FILE,), read_per_page_flags, {"6.1": _PER_PAGE_BUILTIN, "6.12": _PER_PAGE_BUILTIN}),
]
