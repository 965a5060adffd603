import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
KERNEL_TREE = Path(os.environ.get("FOLINT_KERNEL_TREE", "/tmp/linux/linux-source-6.12"))


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def kernel_tree_or_skip() -> Path:
    if not (KERNEL_TREE / "mm").is_dir():
        pytest.skip(f"no kernel tree at {KERNEL_TREE} (set FOLINT_KERNEL_TREE, or "
                    f"apt-get install linux-source-6.12 and extract it there)")
    return KERNEL_TREE
