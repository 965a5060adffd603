"""FOL003 page-api-with-folio-callers

What it does:
    Flags a function that takes a ``struct page *`` although its callers
    already hold a folio: every caller in the tree (or the share set by
    ``[rules.FOL003] threshold``, default 1.0) passes the first page of a
    folio it holds (``&folio->page``, ``folio_page(folio, 0)``, or a variable
    assigned from one of those; ``folio_page(folio, i)`` for other ``i``
    counts with ``subpages = true``: a helper called for each page of a folio
    takes a page on purpose), or the function turns the page straight back
    into a folio (``page_folio(page)``), uses the page for nothing else, and
    no caller passes it a plain page (compat wrappers such as ``put_page()``
    exist for those callers; ``roundtrip-always = true`` flags them too).  It is
    reported at the definition - each definition when there are several (a
    generic ``__weak`` or ``static inline`` one and its ``arch_*`` overrides)
    - naming the callers (path:line) and the folio signature to use.
    Functions whose name is used as a value (a callback: its type is set by
    someone else) are left alone.  It needs the tree index: the callers are
    found among the files checked, so check the whole tree.

Why it is wrong:
    The caller has the folio, hands over one page of it, and the callee turns
    that page back into the folio (or works on the first page only).  The
    folio -> page -> folio round trip hides which object the function works on:
    it invites page-sized thinking (one page, ``PAGE_SIZE``) in code that now
    sees large folios, and ``page_folio()`` on a tail page costs a lookup the
    caller did not need.

Example:
    int arch_prepare_to_swap(struct page *page)
    {
            struct folio *folio = page_folio(page);
            ...
    }

    /* the only caller */
    ret = arch_prepare_to_swap(&folio->page);

Use instead:
    int arch_prepare_to_swap(struct folio *folio)
    {
            ...
    }

    ret = arch_prepare_to_swap(folio);

Fix:
    ``folint --diff`` / ``--fix`` change the signature when it is certain: the
    function (every definition of it) turns its page straight into a folio
    (``struct folio *folio = page_folio(page);`` as its own declaration) or
    does not use it, it is not exported, not a callback and not called from a
    macro, and every caller is in the checked tree (a ``static`` function in a
    ``.c`` file, or a run over a whole tree: a kernel top folder or the folder
    of ``.folint.toml``).  Definitions, prototypes and callers change together:
    ``&folio->page`` and ``folio_page(folio, n)`` become ``folio``, any other
    page ``p`` becomes ``page_folio(p)``.  Before applying, every file that
    names the function is parsed again; an unexpected use means no fix.

Options:
    [rules.FOL003]
    threshold = 1.0            # share of callers that must pass a folio's page
    subpages = false           # also count callers passing folio_page(folio, i), i != 0
    roundtrip-always = false   # flag page_folio(page)-only functions even when some
                               # callers pass a plain page (compat wrappers: put_page ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from folint import cnodes
from folint.enums import Verdict
from folint.finding import Finding
from folint.index.records import FolioPage, TreeSimPlan
from folint.rule import Rule
from folint_rules.fol003_signature_fix import SignatureFixPlan, files_naming, new_param, signature_change_edits
from folint.sim.kinds import EventKind

MAX_NAMED = 5  # callers named in a message; the rest are counted
UNSEEN = ("callers outside the checked folders were not seen (no kernel tree top found above them; "
          "check the whole tree)")


@dataclass(frozen=True)
class ParamJudgement:
    """Why one page parameter of a function is flagged (``_judge``)."""

    index: int  # the parameter
    callers: list  # every page-passing Call that reaches the function
    derived: list  # those that pass a page of a folio they hold (counted toward the threshold)
    macros: list  # (path, line) of macros calling it: callers whose arguments are not known
    roundtrip: bool  # the body only turns the page back into a folio
    by_callers: bool  # flagged because of its callers' share
    members: list  # the family's definitions that take a page there
    subpages: list  # callers in ``derived`` passing a page other than the first


def _where(items) -> str:
    items = list(items)
    shown = ", ".join(items[:MAX_NAMED])
    return shown + (f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else "")


def _folio_name(defs, i: int) -> str:
    """The name the folio parameter gets: the body's own folio variable if it has one."""
    for d in defs:
        var = d.rec.uses[i].folio_var
        if var:
            return var
    return "folio"


def suggested_signature(d, i: int, name: str) -> str:
    param = d.rec.params[i]
    sig = d.rec.signature
    old = cnodes.normalise(param.text)
    head, sep, tail = sig.rpartition(old)
    return head + new_param(param.text, name) + tail if sep else sig


class PageApiWithFolioCallers(Rule):
    code = "FOL003"
    name = "page-api-with-folio-callers"
    summary = "a function takes a struct page * but its callers hold a folio (or it turns the page back into one)"
    needles = (b"page",)
    function_local = False  # a tree rule: it reads the index, not the file's parse
    scope = "tree"
    default_options = {"threshold": 1.0, "subpages": False, "roundtrip-always": False}

    def check(self, src):  # a tree rule: see check_tree
        return iter(())

    # -- the check ---------------------------------------------------------------
    def check_tree(self, index, focus: set[str] | None = None) -> Iterator[Finding]:
        threshold = self._threshold()
        flagged = {}  # family key -> (param indexes, facts)
        for d in index.definitions():
            fam = index.family(d)
            key = tuple(sorted((x.path, x.line) for x in fam))
            if key not in flagged:
                flagged[key] = self._judge(index, d, fam, threshold)
            judged = flagged[key]
            # once per file: definitions of one function under #ifdef/#else are one report
            if judged and next(x for x in fam if x.path == d.path) == d:
                yield self._definition_finding(index, d, fam, judged)
        if focus:
            yield from self._call_sites(index, focus, flagged)

    def _threshold(self) -> float:
        try:
            t = float(self.options.get("threshold", 1.0))
        except (TypeError, ValueError):
            t = 1.0
        return min(max(t, 0.0), 1.0)

    def _judge(self, index, d, fam, threshold: float) -> list[ParamJudgement]:
        """One entry per flagged page parameter, with the facts the message needs.

        A caller counts as holding a folio when it passes the folio's first page
        (``&folio->page``, ``folio_page(folio, 0)``, a variable set from those); page
        ``i`` of a folio counts too only with ``subpages = true`` (a helper called for
        each page of a folio takes a page on purpose).  A function that only turns
        its page back into a folio is flagged when no caller passes a plain page
        (with ``roundtrip-always = true``: always).
        """
        if index.address_taken(d):
            return []
        callers = index.callers(d)
        macros = index.macro_callers(d)
        subpages_count = bool(self.options.get("subpages"))
        out = []
        for i in d.rec.page_params:
            members = [x for x in fam if i in x.rec.page_params]
            folio_pages = [c for c in callers if isinstance(c.arg(i), FolioPage)]
            subpages = [c for c in folio_pages if not c.arg(i).first_page]
            derived = folio_pages if subpages_count else [c for c in folio_pages if c not in subpages]
            total = len(callers) + len(macros)
            by_callers = bool(derived) and len(derived) / total >= threshold
            uses = [x.rec.uses[i] for x in members]
            roundtrip = all(u.other == 0 for u in uses) and any(u.roundtrip for u in uses)
            if roundtrip and not self.options.get("roundtrip-always"):
                roundtrip = len(derived) == total
            if not (by_callers or roundtrip):
                continue
            out.append(ParamJudgement(i, callers, derived, macros, roundtrip, by_callers, members,
                                      [c for c in derived if c in subpages]))
        return out

    def _definition_finding(self, index, d, fam, judged: list[dict]) -> Finding:
        rec = d.rec
        parts, data_params = [], []
        for j in judged:
            i = j.index
            pname = rec.params[i].name
            fname = _folio_name(j.members, i)
            sig = suggested_signature(d, i, fname)
            callers = [c.where() for c in j.callers]
            own = rec.uses[i]
            if j.roundtrip and not own.roundtrip:
                part = (f"{d.name}() does not use `{pname}`, and the other definitions only turn it back "
                        f"into a folio")
            elif j.roundtrip:
                var = own.folio_var
                how = (f"`{var} = page_folio({pname})`" if var else f"`page_folio({pname})`")
                part = (f"{d.name}() turns `{pname}` straight back into a folio ({how}) and uses the page "
                        f"for nothing else")
            if j.roundtrip:
                if callers:
                    held = "every caller holds the folio" if len(j.derived) == len(callers) else "callers"
                    part += f"; {held}: {_where(callers)}"
                else:
                    part += "; no caller passing a page found in the files checked"
            else:
                n = len(j.callers) + len(j.macros)
                part = (f"{d.name}() takes `struct page *{pname}` but {len(j.derived)} of its {n} caller(s) "
                        f"pass a page of a folio they hold: {_where(c.where() for c in j.derived)}")
                others = [c.where() for c in j.callers if c not in j.derived]
                if others:
                    part += f" (others: {_where(others)})"
                if j.subpages:
                    part += (f"; {len(j.subpages)} pass a page other than the first "
                             f"(if it works on one page on purpose, give it the folio and an index)")
            parts.append(part + f"; take the folio: `{sig}`")
            data_params.append({"index": i, "param": pname, "folio": fname, "roundtrip": j.roundtrip,
                                "callers": [c.site() for c in j.callers]})
        others = [f"{x.path}:{x.line}" for x in fam if x != d]
        if others:
            parts.append(f"also defined at {_where(others)} (change them together)")
        if index.exported(d):
            parts.append("exported: callers outside the tree are not seen")
        unseen = not d.file_local and not index.callers_seen
        if unseen:
            parts.append(UNSEEN)
        return Finding(self.code, self.name, d.path, rec.line, rec.col, rec.end_line, rec.end_col,
                       d.name, "; ".join(parts), statement=rec.signature,
                       data={"params": data_params, "family": [x.site() for x in fam],
                             "fix": self._fix_plan(index, d, fam, judged),
                             "sim": _sim_plan(d, judged[0], judged[0].derived[:1])._replace(unseen_callers=unseen)})

    def _call_sites(self, index, focus: set[str], flagged: dict) -> Iterator[Finding]:
        """In a patch: each call in a touched file that hands a folio's page to a flagged function."""
        for judged in flagged.values():
            for j in judged:
                d = j.members[0]
                for c in j.derived:
                    if c.path not in focus:
                        continue
                    arg = c.arg(j.index)
                    how = "a page of" if arg.form == "var" else f"`{arg.text}` from"
                    yield Finding(self.code, self.name, c.path, c.line, c.col, c.line, c.col, c.caller,
                                  f"passes {how} folio `{arg.folio}` to {d.name}(), which "
                                  + ("turns it straight back into a folio" if j.roundtrip
                                     else "every caller calls with a folio's page")
                                  + f" ({d.path}:{d.line}); pass the folio and change {d.name}() to take it",
                                  statement=f"{d.name}({arg.text})",
                                  data={"call": True, "callee": d.name, "sim": _sim_plan(d, j, [c])})

    # -- the simulator -------------------------------------------------------------
    def oracle(self, finding: Finding, sim):
        """Run a caller into the function (or the function alone when no caller is
        known) on a 4-page folio: confirmed when the caller hands over a page of the
        folio it holds and the function turns it back into that very folio (or, for
        the other definitions of a family, never uses it; for a function flagged by
        its callers, uses it as one page)."""
        plan = finding.data.get("sim")
        if not plan:
            return None
        verdict = judge_round_trip(plan, sim)
        if plan.unseen_callers and verdict.verdict == Verdict.CONFIRMED:
            from folint.sim.oracle import inconclusive

            return inconclusive(f"not confirmed: {UNSEEN}; in the files checked: {verdict.evidence}", verdict.trace)
        return verdict

    # -- the fix -----------------------------------------------------------------
    def _fix_plan(self, index, d, fam, judged) -> SignatureFixPlan | None:
        """What a certain signature change would touch, or None when it is not certain."""
        if len(judged) != 1 or not judged[0].roundtrip or judged[0].macros:
            return None
        j = judged[0]
        i = j.index
        if index.exported(d) or not (d.file_local or index.complete):
            return None
        if any(x.rec.page_params != d.rec.page_params or x not in j.members for x in fam):
            return None
        for x in fam:
            u = x.rec.uses[i]
            if u.other or (u.roundtrip and not u.decl):
                return None
        return SignatureFixPlan(d.name, i, _folio_name(j.members, i), sorted(x.site() for x in fam),
                                sorted(p.site() for p in index.prototypes(d)), sorted(c.site() for c in j.callers),
                                [d.path] if d.file_local else index.files,
                                None if d.file_local else index.discovery)

    def fixes(self, src, finding: Finding) -> list:
        plan = finding.data.get("fix")
        if not plan:
            return []
        from folint.fixes import Fix

        edits = signature_change_edits(plan, self._sources_naming(plan))
        if edits is None:
            return []
        return [Fix(self.code, f"{plan.name}(struct page *) -> {plan.name}(struct folio *{plan.folio})",
                    tuple(edits))]

    def _sources_naming(self, plan: SignatureFixPlan) -> dict:
        """Parsed files of the plan's scope that contain the function's name.  The
        tree is walked again, so a file added since the check is seen too."""
        scope = plan.scope
        if plan.discovery:
            from folint.discovery import discover

            targets, exclude, root = plan.discovery
            scope = discover(targets, exclude, root).files
        return files_naming(plan.name, scope)


# -- the simulator's witness -----------------------------------------------------------

def _sim_plan(d, j, callers) -> TreeSimPlan:
    i = j.index
    own = d.rec.uses[i]
    kind = "roundtrip" if own.roundtrip and not own.other else "unused" if not own.other else "uses"
    caller = [c.site() for c in callers if c.caller]
    return TreeSimPlan(d.name, d.site(), caller[0] if caller else None, i, d.rec.params[i].name, kind)


SIM_KINDS = (EventKind.CALL, EventKind.MODEL, EventKind.FAIL, EventKind.ASSUME, EventKind.RETURN, EventKind.LOOP)


def judge_round_trip(plan: TreeSimPlan, sim):
    """The verdict for one FOL003 finding from ``sim`` (see ``oracle``)."""
    from folint.sim.oracle import inconclusive
    from folint.sim.values import Folio, Page

    name, i, own = plan.callee, plan.index, plan.own
    if sim.sim_function(name) is None and plan.caller is not None:
        return inconclusive(f"simulation: the definition of {name}() was not found")
    inline = frozenset({name})

    def same_page(a, page) -> bool:
        """Provenance, not value: ``a`` is the very page value passed in.  A page the
        function recomputes from the folio (``folio_page(folio, 0)``) equals it but
        came from the folio, so it is not the page "used for more"."""
        return a is page

    def inside(path, k):
        """Events of the callee entered at event k, up to its return (None: not entered)."""
        out = []
        for e in path.events[k + 1:]:
            if e.depth == 0:
                return out if e.kind == EventKind.RETURN and e.name == name else None
            out.append(e)
        return None

    where = plan.definition.path.rsplit("/", 1)[-1]

    def look(path, entered_at, page, who: str):
        inner = inside(path, entered_at)
        if inner is None:
            return None
        nr = page.folio.nr
        back = next((e for e in inner if e.kind == EventKind.MODEL and e.name == "page_folio" and e.args
                     and same_page(e.args[0], page) and isinstance(e.result, Folio) and e.result is page.folio), None)
        used = [e for e in inner if e is not back and any(same_page(a, page) for a in e.args)]
        if own == "roundtrip" and back is not None and not used:
            return (f"{nr}-page folio: {who} page {page.index} of folio '{page.folio.label}' to {name}(), which "
                    f"turns it back into the same folio with page_folio() ({where}:{back.line}) and uses the page "
                    f"for nothing else: folio -> page -> folio")
        if own == "unused" and not used and back is None:
            return f"{nr}-page folio: {who} page {page.index} of folio '{page.folio.label}' to {name}(), which never uses it"
        if own == "uses":
            what = f"works on that one page: {used[0].text} ({where}:{used[0].line})" if used else \
                "takes it as a struct page"
            return f"{nr}-page folio: {who} page {page.index} of folio '{page.folio.label}' to {name}(), which {what}"
        return None

    if plan.caller is None:  # the function alone, its page bound to page 0 of a folio
        def witness(path):
            page = next((e.args[0] for e in path.events if e.kind == EventKind.MODEL and e.name == "page_folio"
                         and e.args and isinstance(e.args[0], Page) and e.result is e.args[0].folio), None)
            if page is None:
                return None
            back = [e for e in path.events if e.kind == EventKind.MODEL and e.name == "page_folio"
                    and e.args and same_page(e.args[0], page)]
            used = [e for e in path.events if e not in back and any(same_page(a, page) for a in e.args)]
            if back and not used:
                return (f"{page.folio.nr}-page folio: {name}() turns its page straight back into the folio with "
                        f"page_folio() ({where}:{back[0].line}) and uses the page for nothing else")
            return None

        return _sizes(sim, None, witness, f"on every path {name}() uses its page for more than page_folio()", None)

    line, col, caller = plan.caller.line, plan.caller.col, plan.caller.function
    byte = sim.src.byte_at(line, col)
    unknown: list[str] = []  # what the page was when the simulation could not tell
    reached: list[bool] = []

    def witness(path):
        for k, e in enumerate(path.events):
            if e.kind == EventKind.CALL and e.depth == 0 and e.name == name and e.byte == byte:
                reached.append(True)
                arg = e.args[i] if i < len(e.args) else None
                if isinstance(arg, Page) and isinstance(arg.folio, Folio):
                    found = look(path, k, arg, f"{caller}() passes")
                    if found:
                        return found
                elif not unknown and not isinstance(arg, (int, Page)):
                    from folint.sim.values import render

                    unknown.append(render(arg))
        return None

    verdict = _sizes(sim, inline, witness, f"on every path {caller}() passes {name}() no page of a folio it "
                                           f"holds, or {name}() does more with the page than the finding says",
                     byte)
    if verdict.verdict == Verdict.REFUTED and not reached:
        from folint.sim.oracle import inconclusive

        return inconclusive(f"no simulated path of {caller}() reaches the call at line {line} (it may sit behind "
                            f"a failure or a state the simulation does not produce)")
    if verdict.verdict == Verdict.REFUTED and unknown:
        from folint.sim.oracle import inconclusive

        return inconclusive(f"the simulation cannot tell which folio the page passed at line {line} belongs to "
                            f"({unknown[0]}): the folio comes from code it does not model")
    return verdict


# Folio sizes tried in turn: code often checks the order (a PMD-sized THP, a single
# page), and the round trip does not depend on the size, so a refutation needs all.
SIM_SIZES = (4, 512, 1)


def _sizes(sim, inline, witness, refute_text, stop_after):
    from folint.sim import Scenario
    from folint.sim.oracle import inconclusive, judge

    verdicts = []
    for nr in SIM_SIZES:
        scenario = Scenario(nr=nr, inline=inline) if inline else Scenario(nr=nr)
        v = judge(sim.run(scenario, until=lambda p: witness(p) is not None, stop_after=stop_after,
                          fewest_flips=True), witness,
                  refute_evidence=refute_text, kinds=SIM_KINDS)
        if v.verdict == Verdict.CONFIRMED:
            return v
        verdicts.append((nr, v))
    if all(v.verdict == Verdict.REFUTED for _nr, v in verdicts):
        return verdicts[0][1]
    nr, v = next((nr, v) for nr, v in verdicts if v.verdict != Verdict.REFUTED)
    return inconclusive(f"{nr}-page folio: {v.evidence}")
