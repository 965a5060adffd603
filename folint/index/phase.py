"""The tree phase of a run, in the main process: open the cache before the
workers start, then store the new summaries, build the index and run the rules
whose scope is "tree" over it."""

from __future__ import annotations

import time

from folint.finding import FileError, Finding
from folint.index.cache import CacheError, open_cache
from folint.index.collect import is_deferred  # noqa: F401  (open_cache: was defined here)
from folint.index.tree import TreeIndex, covers_whole_tree


class TreePhase:
    """Everything the runner does for the tree index, in the order it does it."""

    def __init__(self, rules, targets: list[str], config, *, cache: bool, cache_dir: str | None, errors: list,
                 settle: bool = True):
        self.rules = [r for r in rules if r.scope == "tree"]
        # leave out the candidates FOL003 cannot flag (two_stage.unflaggable); not when the
        # conversion planner (--candidates) ranks them all on the same index
        self.settle = settle
        self.targets = targets
        self.config = config
        self.cache = open_cache(cache, cache_dir, targets, errors) if self.rules else None
        self.stats = {"hits": 0, "misses": 0, "files": 0, "deferred": 0, "seconds": 0.0}
        self._new: dict[str, dict] = {}
        self.deferred: list[str] = []  # files stage 1 left to the name search (folint.index.two_stage)

    @property
    def wanted(self) -> bool:
        return bool(self.rules)

    @property
    def cache_folder(self) -> str | None:
        return str(self.cache.folder) if self.cache is not None else None

    @property
    def worker_args(self) -> tuple:
        """``folint.index.collect.IndexWorker``'s arguments: the cache, two-stage on."""
        return self.cache_folder, True

    def collect(self, fr) -> None:
        """Note one file's summary (called for every FileResult as it arrives)."""
        if is_deferred(getattr(fr, "summary_key", None)):
            self.deferred.append(fr.path)
            self.stats["deferred"] += 1
            return
        key = getattr(fr, "summary_key", None)
        if key is None or fr.summary is None:
            return
        self.stats["files"] += 1
        if getattr(fr, "summary_cached", False):
            self.stats["hits"] += 1
        else:
            self.stats["misses"] += 1
            self._new[key] = fr.summary

    def finish(self, result, *, files: list[str] | None = None, simulate: bool = False, jobs: int = 1,
               verdicts=None, search=None) -> None:
        """Store new summaries, build the index and add the tree rules' findings.
        ``verdicts``: the results cache, which keeps the tree findings' verdicts.
        ``search``: the run's ``folint.index.tree_search.SharedSearch`` of the kernel
        tree holding the targets (or None), which wants FOL009's callers: in a folder run,
        the names to look for in the rest of the tree are added to it and it is started
        once they are known (one search of the tree for both).  A run over the whole tree
        adds nothing: FOL009's callers are searched for after this phase, as before (run
        alongside the phase, the greps slowed it more than they saved)."""
        from folint.facts.tree import root_for_targets
        from folint.index.targeted import names_with_outside_callers
        from folint.index.tree_search import record_key
        from folint.index.two_stage import (SecondStage, all_outside_files, candidates, hiding, outside_files,
                                            unflaggable)

        started = time.perf_counter()
        files = files if files is not None else sorted(result.summaries)
        whole = covers_whole_tree(self.targets, self.config.root)
        top = None if whole else root_for_targets(self.targets)
        stage = SecondStage(self.cache, self.config.max_file_size, jobs, result.errors)
        names = candidates(result.summaries.values())
        looked: set[str] = set()
        while names - looked:  # the summaries made of blanked parses that hide a candidate: made whole
            hidden = hiding(result.summaries, names - looked, self.config.max_file_size)
            looked |= names
            if not hidden:
                break
            result.summaries.update(stage.whole_again(hidden))
            self.stats["made_whole"] = self.stats.get("made_whole", 0) + len(hidden)
            names = candidates(result.summaries.values())
        settled = unflaggable(result.summaries, names, self.rules) if self.settle else set()
        names -= settled
        if self.cache is not None:
            try:
                self.cache.put_many(self._new)
            except CacheError as e:
                result.errors.append(FileError(str(self.cache.path), str(e)))
        found = stage.run(names, self.deferred, [])  # the run's own files first ...
        inside = dict(stage.stats)
        # ... then the rest of the tree, for only the names defined here and reachable from it
        wanted = names_with_outside_callers(names, {**result.summaries, **found}) if top is not None else set()
        if wanted and found and self.settle:
            # the deferred files that name a candidate may settle some (a plain-page caller):
            # those need no search of the rest of the tree either
            late = unflaggable({**result.summaries, **found}, wanted, self.rules)
            wanted -= late
            settled |= late
        if search is not None and top is not None:
            # searched for with FOL009's callers, unless the cache answers (tree_search.files_naming_in_tree)
            if wanted and (self.cache is None or self.cache.searched_record(record_key(str(top), wanted)) is None):
                search.want(wanted)
            search.start()
            if simulate and wanted:
                _load_simulator()  # while the tree's greps run
        if wanted:
            outside, outside_named = [], []
            got = outside_files(str(top), wanted, files, self.config, self.cache, jobs, shared=search)
            if got is None:
                outside = all_outside_files(str(top), files, self.config)
            else:
                outside_named = got
            found.update(stage.run(wanted, [], outside, outside_named))
            for k in ("searched", "named"):
                stage.stats[k] += inside[k]
        stage.stats.update(candidates=len(names), outside_names=len(wanted))
        if self.cache is not None:
            self.cache.close()
        mine = set(files)
        result.summaries.update({p: s for p, s in found.items() if p in mine})
        index = TreeIndex({**result.summaries, **found}, complete=whole, files=files)
        index.callers_seen = whole or top is not None
        index.discovery = (list(self.targets), list(self.config.exclude), self.config.root)
        result.index = index
        result.findings.extend(run_tree_rules(self.rules, index, result.errors, simulate=simulate, jobs=jobs,
                                              only=mine if top is not None else None, verdicts=verdicts))
        self.stats.update(stage.stats, settled=len(settled), tree_top=str(top) if top is not None else None,
                          seconds=round(time.perf_counter() - started, 3))
        result.index_stats = dict(self.stats)


def _load_simulator() -> None:
    """Load what each worker that judges the tree findings (``folint.index.verify``) would
    load for itself, the simulator's modules and the plugins' model registry: the workers,
    forked after this, start with them."""
    try:
        import folint.sim.oracle  # noqa: F401
        import folint.sim.verify  # noqa: F401
        from folint.plugins import model_registry

        model_registry()
    except Exception:  # noqa: BLE001 - each worker meets it again and says so, as before
        pass


def run_tree_rules(rules, index: TreeIndex, errors: list[FileError], *, simulate: bool = False,
                   focus: set[str] | None = None, sources: dict[str, bytes] | None = None,
                   jobs: int = 1, only: set[str] | None = None, verdicts=None) -> list[Finding]:
    """Each tree rule's findings; a rule bug becomes one error line, not a crash.

    ``focus``: paths a patch touched; rules may then also report at call sites there,
    and only findings in these paths are kept (before suppressions and simulation).
    ``sources``: in-memory text of files (a patch's images) to read suppressions from.
    ``only``: keep the findings in these paths (a run over a folder whose index also
    holds files of the rest of its tree).
    ``verdicts``: where verdicts judged before are kept (``folint.index.verify``).
    """
    from folint.index.suppress import suppress

    out: list[Finding] = []
    for rule in rules:
        if rule.scope != "tree":
            continue
        try:
            out.extend(rule.check_tree(index, focus=focus))
        except Exception as e:  # a rule bug must not end the run
            errors.append(FileError("<tree>", f"{rule.code}: internal error {type(e).__name__}: {e}; "
                                              f"please report it"))
    if focus is not None:
        out = [f for f in out if f.path in focus]
    if only is not None:
        out = [f for f in out if f.path in only]
    out = suppress(out, sources or {})
    if simulate and out:
        from folint.index.verify import verify_tree_findings

        verify_tree_findings(out, {r.code: r for r in rules}, index, errors, sources, jobs=jobs, store=verdicts)
    return out
