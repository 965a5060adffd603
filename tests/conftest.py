import json
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


def planted_copy(tmp_path: Path, rel: str, correct: str, wrong: str) -> tuple[Path, Path]:
    """Copies of the kernel tree's file ``rel`` (skipped without a tree): as it is, and
    with its one ``correct`` form replaced by ``wrong``.  The kernel text stays in /tmp."""
    text = (kernel_tree_or_skip() / rel).read_text()
    assert text.count(correct) == 1, f"6.12 {rel} changed shape; update this test"
    name = rel.rsplit("/", 1)[-1]
    (tmp_path / "orig").mkdir()
    (tmp_path / "bug").mkdir()
    (tmp_path / "orig" / name).write_text(text)
    (tmp_path / "bug" / name).write_text(text.replace(correct, wrong))
    return tmp_path / "orig" / name, tmp_path / "bug" / name


def rule_report(capsys, path: Path, code: str, *extra: str) -> tuple[int, dict]:
    """``folint PATH --select CODE --format json``: the exit code and the parsed report."""
    from folint.cli import main

    status = main([str(path), "--select", code, "--format", "json", *extra])
    return status, json.loads(capsys.readouterr().out)
