"""Give findings a verdict by simulation.  Placeholder until the interpreter lands:
findings stay "unverified"."""


def verify_findings(src, findings, rules, errors) -> None:
    return None
