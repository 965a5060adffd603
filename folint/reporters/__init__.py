"""Output formats.  Each reporter module has ``render(result, **options) -> str``."""

from __future__ import annotations

from folint.reporters import github, gitlab, json_report, oneline, review, sarif, text

REPORTERS = {"text": text, "json": json_report, "sarif": sarif, "review": review,
             "oneline": oneline, "github": github, "gitlab": gitlab}


def render(fmt: str, result, **options) -> str:
    return REPORTERS[fmt].render(result, **options)
