"""Without a tree: the text of the hunks alone, made parseable.

Each hunk's pre-image (kept + removed lines) and post-image (kept + added
lines) is cut out of the patch.  A hunk usually starts inside a function, so
its side is wrapped: the function head comes from the hunk header's section
text (``@@ ... @@ int foo(struct folio *folio)``, what git shows there), and
braces are added to balance the fragment.  Every synthetic line maps back to
None, every real one to its line number in the file, so findings keep true
line numbers.  What lies outside the hunks is unknown: the check is partial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from folint.parsing import parse_kernel_c
from folint.patch.model import ADDED, REMOVED, Hunk, encode

_FUNCTION_HEAD = re.compile(r"^[A-Za-z_][\w\s\*,()\[\]]*?\b([A-Za-z_]\w*)\s*\(")
PLACEHOLDER_NAME = "folint_unknown_function"
PLACEHOLDER_HEAD = f"void {PLACEHOLDER_NAME}(void)"
UNNAMED = "(a function the patch does not name)"
# Node types that only occur inside a function body: a fragment that shows them
# at its top level was cut out of a function and needs one more wrapping.
_STATEMENTS = frozenset({"expression_statement", "for_statement", "if_statement", "return_statement",
                         "while_statement", "do_statement", "labeled_statement", "compound_statement",
                         "switch_statement", "goto_statement", "break_statement", "continue_statement"})


@dataclass
class Fragment:
    text: str = ""
    line_of: list[int | None] = field(default_factory=list)  # fragment line i+1 -> file line (or None)
    added: set[int] = field(default_factory=set)   # fragment lines the patch added
    gaps: set[int] = field(default_factory=set)    # fragment line n: lines removed just before it

    def file_line(self, n: int) -> int | None:
        return self.line_of[n - 1] if 0 < n <= len(self.line_of) else None


def brace_depths(lines: list[str]) -> tuple[int, int]:
    """(lowest running depth, final depth) of ``{``/``}`` outside comments and literals."""
    depth = low = 0
    in_comment = False
    for line in lines:
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if in_comment:
                if line.startswith("*/", i):
                    in_comment = False
                    i += 1
            elif line.startswith("/*", i):
                in_comment = True
                i += 1
            elif line.startswith("//", i):
                break
            elif c in "\"'":
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                i = j
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                low = min(low, depth)
            i += 1
    return low, depth


def function_head(section: str) -> str:
    """A function head from a hunk header's section text, or a placeholder."""
    head = section.strip()
    if head.endswith("{"):
        head = head[:-1].rstrip()
    if head.endswith((";", ":")) or not _FUNCTION_HEAD.match(head):
        return PLACEHOLDER_HEAD
    opened = head.count("(") - head.count(")")
    if opened > 0:
        head = head.rstrip(",") + ")" * opened
    return head


def _inside_function(texts: list[str], opens: int, section: str) -> bool:
    """Does the part of the hunk outside its unbalanced braces hold statements at
    top level, i.e. was the hunk cut out of a function body?"""
    head = [function_head(section) + "\n"] + ["{\n"] * opens if opens else []
    tail = ["}\n"] * max(opens + brace_depths(texts)[1], 0)
    _, tree = parse_kernel_c(encode("".join(head + texts + tail)))
    return any(child.type in _STATEMENTS for child in tree.root_node.children)


def build(hunks: list[Hunk], side: str) -> Fragment:
    """The fragment of one file's side: ``side`` is "old" or "new"."""
    frag = Fragment()
    out: list[str] = []
    skip = ADDED if side == "old" else REMOVED
    for hunk in hunks:
        body = [ln for ln in hunk.lines if ln.kind != skip]
        texts = [ln.text if ln.text.endswith("\n") else ln.text + "\n" for ln in body]
        low, final = brace_depths(texts)
        opens = -low
        if _inside_function(texts, opens, hunk.section):
            opens += 1
        closes = opens + final
        if opens:
            out.append(function_head(hunk.section) + "\n")
            frag.line_of.append(None)
            for _ in range(opens):
                out.append("{\n")
                frag.line_of.append(None)
        n = (hunk.old_start if side == "old" else (hunk.applied_at or hunk.new_start))
        for text in texts:
            out.append(text)
            frag.line_of.append(n)
            n += 1
        _mark_changes(frag, hunk, side, len(frag.line_of) - len(body) + 1)
        for _ in range(max(closes, 0)):
            out.append("}\n")
            frag.line_of.append(None)
        out.append("\n")
        frag.line_of.append(None)
    frag.text = "".join(out)
    return frag


def _mark_changes(frag: Fragment, hunk: Hunk, side: str, first: int) -> None:
    """Record the new side's added lines and removal gaps, in fragment lines."""
    if side != "new":
        return
    k = first
    for ln in hunk.lines:
        if ln.kind == ADDED:
            frag.added.add(k)
            k += 1
        elif ln.kind == REMOVED:
            frag.gaps.add(k)
        else:
            k += 1
