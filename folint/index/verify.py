"""Verdicts for tree findings: run a caller into the callee on a model folio."""


def verify_tree_findings(findings, rules, index, errors) -> None:
    return None
