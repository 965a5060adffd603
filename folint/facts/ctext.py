"""Small readers of C header text the fact kinds share: line numbers, kerneldoc
blocks by function name, and function definitions by return type.

These read raw text with regular expressions: headers are full of macros a
parser would need configuring for, and a fact needs only a few well-known shapes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _spaces(m: re.Match) -> str:
    return "\n".join(" " * len(line) for line in m.group(0).split("\n"))


@functools.lru_cache(maxsize=64)
def strip_comments(text: str) -> str:
    """Comments blanked to spaces (newlines kept), so offsets and lines do not move.
    Kept per text: the fact kinds read the same headers (mm.h, pagemap.h ...) each."""
    return _COMMENT.sub(_spaces, text)


@dataclass(frozen=True)
class KernelDoc:
    name: str
    text: str      # the comment without its leading " * "
    line: int      # line of the "/**"

    def section(self, title: str) -> str | None:
        """The paragraph after ``Title:`` up to the next blank line or section."""
        m = re.search(rf"^{title}:(.*?)(?=^\s*$|^\w[\w ]*:\s|\Z)", self.text, re.M | re.S)
        return " ".join(m.group(1).split()) if m else None


_DOC = re.compile(r"/\*\*\s*\n\s*\*\s*(\w+)\s*(?:\(\))?\s*-.*?\*/", re.S)


def kerneldocs(text: str) -> dict[str, KernelDoc]:
    """Every ``/** name - ...`` block, by the name it documents."""
    out = {}
    for m in _DOC.finditer(text):
        body = "\n".join(re.sub(r"^\s*\*\s?", "", ln) for ln in m.group(0).splitlines()[1:-1])
        out.setdefault(m.group(1), KernelDoc(m.group(1), body, line_of(text, m.start())))
    return out


@dataclass(frozen=True)
class CFunction:
    name: str
    line: int
    body: str | None  # None for a prototype


def _body_at(code: str, i: int) -> str | None:
    """The braces block starting at ``code[i]`` (which is "{"), or None if unbalanced."""
    depth = 0
    for j in range(i, len(code)):
        c = code[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return code[i:j + 1]
    return None


def functions_returning(text: str, ctype: str) -> dict[str, CFunction]:
    """Functions declared or defined at file level returning ``ctype`` (e.g.
    ``struct folio *``), by name; a definition wins over a prototype."""
    code = strip_comments(text)
    head = r"\s*".join(re.escape(p) for p in ctype.split())
    pat = re.compile(rf"^(?:static\s+|inline\s+|extern\s+|__always_inline\s+)*{head}\s*(\w+)\s*\(", re.M)
    out: dict[str, CFunction] = {}
    for m in pat.finditer(code):
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"(": 1, ")": -1}.get(code[j], 0)
            j += 1
        rest = code[j:j + 200]
        k = len(rest) - len(rest.lstrip())
        body = _body_at(code, j + k) if rest[k:k + 1] == "{" else None
        fn = CFunction(m.group(1), line_of(text, m.start()), body)
        if fn.name not in out or (out[fn.name].body is None and body is not None):
            out[fn.name] = fn
    return out


def declared_names(text: str, pattern: str) -> dict[str, int]:
    """Names matching ``pattern`` that are declared or defined as functions at the
    start of a line (after a return type), with their first line."""
    code = strip_comments(text)
    pat = re.compile(rf"^(?:[A-Za-z_][\w \t\*]*?[ \t\*])?({pattern})\s*\(", re.M)
    out: dict[str, int] = {}
    for m in pat.finditer(code):
        if m.group(0).lstrip().startswith(("#", "return", "if", "while")):
            continue
        out.setdefault(m.group(1), line_of(text, m.start(1)))
    return out
