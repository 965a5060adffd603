"""Inline suppressions for tree findings: the same ``/* folint: ignore[...] */``
marks as file findings, read from the files the findings point at."""

from __future__ import annotations

from collections import defaultdict

from folint.finding import Finding
from folint.index.files import tree_bytes
from folint.source import SourceFile
from folint.suppressions import apply_suppressions


def suppress(findings: list[Finding], sources: dict[str, bytes]) -> list[Finding]:
    """``findings`` less those silenced in their file (``sources`` first, else the disk)."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    out = []
    for path, group in by_path.items():
        raw = sources.get(path)
        if raw is None:
            raw = tree_bytes(path)
            if raw is None:
                out.extend(group)
                continue
        out.extend(apply_suppressions(SourceFile(path, raw), group) if b"folint:" in raw else group)
    return out
