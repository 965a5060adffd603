"""The conversion planner's report (``folint candidates``, ``folint check --candidates``):
text for a person, JSON for a script.  See ``folint.candidates`` for what is ranked."""

from __future__ import annotations

from folint.candidates import Candidate, LeftOut, Plan
from folint.finding import printable

MAX_SHOWN = 10  # callers of each kind shown in text; JSON has them all


def _more(n: int) -> str:
    return f"      ... and {n - MAX_SHOWN} more\n" if n > MAX_SHOWN else ""


def render_candidate(c: Candidate) -> str:
    could = sum(p.could_take_folio for p in c.plain_callers)
    head = (f"{c.name}(): {len(c.folio_callers)} of {c.callers} caller(s) ({c.share:.0%}) pass a folio's page "
            f"as `{c.param}`")
    if c.plain_callers:
        head += f"; {could} of the {len(c.plain_callers)} passing a plain page could pass a folio"
    extra = []
    if c.level == "warning":
        extra.append("every caller holds a folio: FOL003 reports it")
    if c.callback:
        extra.append(f"its name is used as a value in {', '.join(c.callback[:3])}: the member's type changes with it")
    if c.exported:
        extra.append("exported: callers outside the tree are not seen")
    if c.also_defined:
        extra.append(f"also defined at {', '.join(c.also_defined[:3])}")
    out = [f"{c.path}:{c.line}:{c.col}: {c.level}: {head}" + "".join(f"; {e}" for e in extra) + " [FOL003 candidate]\n"]
    for s in c.folio_callers[:MAX_SHOWN]:
        out.append(f"      folio  {s.where()} {s.function}() `{s.argument}`\n")
    out.append(_more(len(c.folio_callers)))
    for p in c.plain_callers[:MAX_SHOWN]:
        verdict = "yes" if p.could_take_folio else "no" if p.judgement != "unknown" else "unknown"
        out.append(f"      plain  {p.site.where()} {p.site.function}() `{p.site.argument}`, could pass a folio? "
                   f"{verdict}: {p.detail}\n")
    out.append(_more(len(c.plain_callers)))
    for where in c.unknown_callers[:MAX_SHOWN]:
        out.append(f"      macro  {where} (its arguments are not known)\n")
    return printable("".join(out))


def render_text(plan: Plan, *, show_left_out: bool = False, scope_note: str = "") -> str:
    out = [render_candidate(c) for c in plan.candidates]
    if show_left_out:
        for e in plan.left_out:
            c = e.candidate
            out.append(printable(f"{c.path}:{c.line}:{c.col}: left out: {c.name}(): {len(c.folio_callers)} of "
                                 f"{c.callers} caller(s) ({c.share:.0%}) pass a folio's page; {e.detail} "
                                 f"[{e.reason}]\n"))
    out.append(summary(plan) + "\n")
    if scope_note:
        out.append(scope_note + "\n")
    return "".join(out)


def summary(plan: Plan) -> str:
    cands = plan.candidates
    warned = sum(c.level == "warning" for c in cands)
    plain = sum(len(c.plain_callers) for c in cands)
    could = sum(p.could_take_folio for c in cands for p in c.plain_callers)
    text = (f"{len(cands)} conversion candidate(s) ({warned} where every caller holds a folio); "
            f"{plain} plain-page caller(s), {could} of which could pass a folio")
    if plan.min_share:
        text += f"; share at least {plan.min_share:.0%}"
    if plan.left_out:
        counts = {r: sum(e.reason == r for e in plan.left_out) for r in LeftOut}
        words = {LeftOut.FOLIO_API: "a folio API exists", LeftOut.WRAPPER: "compat wrappers",
                 LeftOut.PER_PAGE: "per-page helpers"}
        text += ("; left out: " + ", ".join(f"{words[r]} {n}" for r, n in counts.items() if n)
                 + " (--all lists them)")
    return text


def to_json(plan: Plan, *, scope: dict | None = None, errors: list | None = None) -> dict:
    return {
        "min_share": plan.min_share,
        "candidates": [c.to_json() for c in plan.candidates],
        "left_out": [{"function": e.candidate.name, "path": e.candidate.path, "line": e.candidate.line,
                      "share": round(e.candidate.share, 3), "reason": e.reason, "detail": e.detail}
                     for e in plan.left_out],
        "scope": scope or {},
        "errors": [e.to_json() for e in errors or ()],
    }
