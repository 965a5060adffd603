"""Tiny snapshot helper: compare with tests/snapshots/NAME; FOLINT_UPDATE_SNAPSHOTS=1 rewrites."""

import os
import re
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def scrub(text: str) -> str:
    """Remove what changes from run to run (timings)."""
    text = re.sub(r'"seconds": [0-9.]+', '"seconds": 0', text)
    return re.sub(r"\(\d+ parsed, [0-9.]+s\)", lambda m: re.sub(r"[0-9.]+s", "0.00s", m.group(0)), text)


def assert_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    actual = scrub(actual)
    if os.environ.get("FOLINT_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not os.environ.get("FOLINT_UPDATE_SNAPSHOTS"):
            raise AssertionError(f"snapshot {name} did not exist; written, check it in and run again")
        return
    assert actual == path.read_text(), f"output differs from tests/snapshots/{name} (FOLINT_UPDATE_SNAPSHOTS=1 rewrites)"
