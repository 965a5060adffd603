"""folint: find single-page habits that survive a struct page -> folio conversion."""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("folint")
"""Marker for hook implementations in rule packs: ``@folint.hookimpl``."""

__all__ = ["__version__", "hookimpl"]
