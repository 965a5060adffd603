"""Finding.data is rule-private: each key a module reads from a finding's ``data`` is one
that module wrote (``self.finding(..., key=...)``).  What several modules share about a
finding's loop is typed: ``Finding.loop`` (``folint.finding.LoopFacts``)."""

import ast
from pathlib import Path

from folint.finding import Finding, LoopFacts

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted([*ROOT.joinpath("folint").rglob("*.py"), *ROOT.joinpath("rules").glob("*.py")])


def _reads_and_writes(tree):
    reads, writes = set(), set()
    for node in ast.walk(tree):
        # x.data.get("k") / x.data["k"]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
                isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "data" and \
                node.args and isinstance(node.args[0], ast.Constant):
            reads.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and \
                node.value.attr == "data" and isinstance(node.slice, ast.Constant):
            reads.add(node.slice.value)
        # self.finding(..., k=...) / Finding(..., data={"k": ...})
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "finding":
            writes |= {k.arg for k in node.keywords if k.arg}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Finding":
            for k in node.keywords:
                if k.arg == "data" and isinstance(k.value, ast.Dict):
                    writes |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
    return reads, writes


def test_no_module_reads_finding_data_it_did_not_write():
    # A rule's helper module (fol004_paths, fol003_signature_fix) counts as its rule.
    by_rule: dict[str, tuple[set, set]] = {}
    for path in MODULES:
        tree = ast.parse(path.read_text())
        reads, writes = _reads_and_writes(tree)
        if not reads and not writes:
            continue
        owner = path.stem[:6] if path.parent.name == "rules" and path.stem.startswith("fol") else str(path)
        r, w = by_rule.setdefault(owner, (set(), set()))
        r |= {k for k in reads if not _other_data(path, k)}
        w |= writes
    stray = {owner: sorted(r - w) for owner, (r, w) in by_rule.items() if r - w}
    assert not stray, f"reads Finding.data keys another module wrote: {stray}"


def _other_data(path, key):
    """Keys read from a ``data`` that is not a Finding's (config and fact tables), and the
    one known seam left: folint/index/verify.py runs FOL003's simulation plan
    (``data["sim"]``, written by rules/fol003_*; the index's to type)."""
    return path.parts[-2] in ("facts",) or path.name in ("config.py",) or \
        (path.name == "verify.py" and path.parent.name == "index" and key == "sim") or \
        (path.name.startswith("fol00") and key in ("pair", "counter", "units"))


def test_loop_facts_is_typed_and_not_compared():
    facts = LoopFacts(10, 20, "i", "folio", "put_page", 12)
    a = Finding("FOL001", "n", "p.c", 1, 1, 1, 2, "f", "m", loop=facts)
    b = Finding("FOL001", "n", "p.c", 1, 1, 1, 2, "f", "m")
    assert a == b and a.loop.call_byte == 12 and b.loop is None
