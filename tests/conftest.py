import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
KERNEL_TREE = Path(os.environ.get("FOLINT_KERNEL_TREE", "/tmp/linux/linux-source-6.12"))


@pytest.fixture(autouse=True)
def _no_colour_and_private_cache(monkeypatch, tmp_path_factory):
    """Plain output, and a tree-index cache that no test shares with the user's."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def kernel_tree_or_skip() -> Path:
    if not (KERNEL_TREE / "mm").is_dir():
        pytest.skip(f"no kernel tree at {KERNEL_TREE} (set FOLINT_KERNEL_TREE, or "
                    f"apt-get install linux-source-6.12 and extract it there)")
    return KERNEL_TREE
