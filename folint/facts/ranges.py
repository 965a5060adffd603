"""Facts about the range helpers' argument conventions (FOL012), read from the tree.

``range_conventions``: helper name -> the role of each argument, read from the
helper's definition or prototype in the tree's headers: ``"folio"`` / ``"page"``
(the object, by type), and for an integer parameter ``"start"`` (named
``offset``, ``off``, ``start``, ``start1`` ..., ``from``), ``"len"`` (``len``,
``length``, ``size``, ``bytes``, ``count``) or ``"end"`` (``end``, ``xend``,
``end1`` ..., ``to``); anything else is ``"-"``.  So ``folio_zero_range(struct
folio *folio, size_t start, size_t length)`` reads ``["folio", "start",
"len"]`` and ``folio_zero_segment(..., size_t start, size_t xend)``
``["folio", "start", "end"]``.  Only the helpers in ``HELPERS`` are read, and
only those whose every parameter gets a role (a prototype without parameter
names is left out).  The built-in tables were read from 6.1 and 6.12 by this
reader (tests/test_facts_ranges.py checks they still match the trees).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from folint.facts.ctext import line_of, strip_comments
from folint.facts.model import FactKind, Reading

FILES = ("include/linux/highmem.h", "include/linux/uio.h", "include/linux/bio.h", "include/linux/bvec.h",
         "include/linux/scatterlist.h", "include/linux/buffer_head.h", "include/linux/mm.h",
         "include/linux/pagemap.h", "include/linux/iomap.h", "include/linux/netfs.h")
HELPERS = ("folio_zero_range", "folio_zero_segment", "folio_zero_segments", "zero_user_segments",
           "zero_user_segment", "zero_user", "memzero_page", "memset_page", "memcpy_from_page", "memcpy_to_page",
           "memcpy_from_folio", "memcpy_to_folio", "folio_fill_tail", "copy_page_from_iter", "copy_page_to_iter",
           "copy_page_from_iter_atomic", "copy_folio_to_iter", "copy_folio_from_iter",
           "copy_folio_from_iter_atomic", "bio_add_page", "__bio_add_page", "bio_add_folio", "bio_add_folio_nofail",
           "sg_set_page", "sg_set_folio", "bvec_set_page", "bvec_set_folio", "folio_invalidate",
           "block_invalidate_folio", "iomap_invalidate_folio", "netfs_invalidate_folio", "folio_zero_new_buffers",
           "page_zero_new_buffers", "block_commit_write")
START = re.compile(r"^(offset|off|start\d?|from|poff)$")
LEN = re.compile(r"^(len|length|size|bytes|count)$")
END = re.compile(r"^(x?end\d?|to)$")
_DECL = re.compile(r"\b(" + "|".join(re.escape(h) for h in HELPERS) + r")\s*\(([^;{}()]*)\)\s*[;{]", re.S)


def _role(param: str) -> str | None:
    param = " ".join(param.split())
    if "struct folio" in param and "*" in param:
        return "folio"
    if "struct page" in param and "*" in param and "**" not in param:
        return "page"
    if "*" in param or "struct" in param or "[" in param:
        return "-"  # a buffer, an iterator, a bio: not a number of the range
    m = re.search(r"(\w+)\s*$", param)
    if m is None:
        return None
    name = m.group(1)
    words = param.split()
    if len(words) < 2:
        return None  # a type without a name: the role is not in the text
    if START.match(name):
        return "start"
    if LEN.match(name):
        return "len"
    if END.match(name):
        return "end"
    return "-"


def read_conventions(files: Mapping[str, bytes]) -> Reading | None:
    found: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for path in FILES:
        raw = files.get(path)
        if raw is None:
            continue
        text = strip_comments(raw.decode("utf-8", "replace"))
        for m in _DECL.finditer(text):
            name = m.group(1)
            if name in found:
                continue
            roles = [_role(p) for p in m.group(2).split(",")]
            if not roles or any(r is None for r in roles) or not any(r in ("start", "len", "end") for r in roles):
                continue
            found[name] = roles
            where[name] = f"{path}:{line_of(text, m.start())}"
    return Reading(dict(sorted(found.items())), where) if found else None


# Read from Debian's linux-source-6.1 and linux-source-6.12 by read_conventions().
BUILTIN: dict[str, dict[str, list[str]]] = {'6.1': {'__bio_add_page': ['-', 'page', 'len', 'start'],
         'bio_add_folio': ['-', 'folio', 'len', 'start'],
         'bio_add_page': ['-', 'page', 'len', 'start'],
         'block_commit_write': ['page', 'start', 'end'],
         'block_invalidate_folio': ['folio', 'start', 'len'],
         'bvec_set_page': ['-', 'page', 'len', 'start'],
         'copy_folio_to_iter': ['folio', 'start', 'len', '-'],
         'copy_page_from_iter': ['page', 'start', 'len', '-'],
         'copy_page_from_iter_atomic': ['page', 'start', 'len', '-'],
         'copy_page_to_iter': ['page', 'start', 'len', '-'],
         'folio_invalidate': ['folio', 'start', 'len'],
         'folio_zero_range': ['folio', 'start', 'len'],
         'folio_zero_segment': ['folio', 'start', 'end'],
         'folio_zero_segments': ['folio', 'start', 'end', 'start', 'end'],
         'iomap_invalidate_folio': ['folio', 'start', 'len'],
         'memcpy_from_page': ['-', 'page', 'start', 'len'],
         'memcpy_to_page': ['page', 'start', '-', 'len'],
         'memset_page': ['page', 'start', '-', 'len'],
         'memzero_page': ['page', 'start', 'len'],
         'page_zero_new_buffers': ['page', 'start', 'end'],
         'sg_set_page': ['-', 'page', 'len', 'start'],
         'zero_user': ['page', 'start', 'len'],
         'zero_user_segment': ['page', 'start', 'end'],
         'zero_user_segments': ['page', 'start', 'end', 'start', 'end']},
 '6.12': {'__bio_add_page': ['-', 'page', 'len', 'start'],
          'bio_add_folio': ['-', 'folio', 'len', 'start'],
          'bio_add_folio_nofail': ['-', 'folio', 'len', 'start'],
          'bio_add_page': ['-', 'page', 'len', 'start'],
          'block_commit_write': ['page', 'start', 'end'],
          'block_invalidate_folio': ['folio', 'start', 'len'],
          'bvec_set_folio': ['-', 'folio', 'len', 'start'],
          'bvec_set_page': ['-', 'page', 'len', 'start'],
          'copy_folio_from_iter': ['folio', 'start', 'len', '-'],
          'copy_folio_from_iter_atomic': ['folio', 'start', 'len', '-'],
          'copy_folio_to_iter': ['folio', 'start', 'len', '-'],
          'copy_page_from_iter': ['page', 'start', 'len', '-'],
          'copy_page_from_iter_atomic': ['page', 'start', 'len', '-'],
          'copy_page_to_iter': ['page', 'start', 'len', '-'],
          'folio_fill_tail': ['folio', 'start', '-', 'len'],
          'folio_invalidate': ['folio', 'start', 'len'],
          'folio_zero_new_buffers': ['folio', 'start', 'end'],
          'folio_zero_range': ['folio', 'start', 'len'],
          'folio_zero_segment': ['folio', 'start', 'end'],
          'folio_zero_segments': ['folio', 'start', 'end', 'start', 'end'],
          'iomap_invalidate_folio': ['folio', 'start', 'len'],
          'memcpy_from_folio': ['-', 'folio', 'start', 'len'],
          'memcpy_from_page': ['-', 'page', 'start', 'len'],
          'memcpy_to_folio': ['folio', 'start', '-', 'len'],
          'memcpy_to_page': ['page', 'start', '-', 'len'],
          'memset_page': ['page', 'start', '-', 'len'],
          'memzero_page': ['page', 'start', 'len'],
          'netfs_invalidate_folio': ['folio', 'start', 'len'],
          'sg_set_folio': ['-', 'folio', 'len', 'start'],
          'sg_set_page': ['-', 'page', 'len', 'start'],
          'zero_user': ['page', 'start', 'len'],
          'zero_user_segment': ['page', 'start', 'end'],
          'zero_user_segments': ['page', 'start', 'end', 'start', 'end']}}


KINDS = [
    FactKind("range_conventions", "argument roles (start, len, end) of the zeroing, copy and I/O range helpers",
             FILES, read_conventions, BUILTIN),
]
