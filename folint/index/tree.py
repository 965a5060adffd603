"""The tree index: every file's summary merged, and the questions rules ask of it.

Name resolution is the C linker's, approximately: a ``static`` function in a
``.c`` file is called only from that file; any other definition (an exported
function, a ``static inline`` in a header, a ``__weak`` generic one and the
``arch_*`` overrides of it) is one *family* per name, called from every file
that does not define a static function of the same name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from folint.index.records import Arg, CallRecord, CallSite, DefSite, FunctionRecord


@dataclass(frozen=True, eq=False)
class Def:
    """A function definition (or prototype) with a ``struct page *`` parameter."""

    path: str
    rec: FunctionRecord

    @property
    def name(self) -> str:
        return self.rec.name

    @property
    def line(self) -> int:
        return self.rec.line

    @property
    def file_local(self) -> bool:
        return self.rec.static and not self.path.endswith(".h")

    def site(self) -> DefSite:
        return DefSite(self.path, self.rec.line)

    def __hash__(self) -> int:
        return hash((self.path, self.rec.name, self.rec.line))

    def __eq__(self, other) -> bool:
        return isinstance(other, Def) and (self.path, self.line, self.name) == (other.path, other.line, other.name)


@dataclass(frozen=True, eq=False)
class Call:
    """A call that passes a page."""

    path: str
    rec: CallRecord

    @property
    def line(self) -> int:
        return self.rec.line

    @property
    def col(self) -> int:
        return self.rec.col

    @property
    def caller(self) -> str:
        return self.rec.caller

    def arg(self, i: int) -> Arg:
        args = self.rec.args
        return args[i] if i < len(args) else None

    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def site(self) -> CallSite:
        return CallSite(self.path, self.rec.line, self.rec.col, self.rec.caller)

    def __hash__(self) -> int:
        return hash((self.path, self.rec.line, self.rec.col))

    def __eq__(self, other) -> bool:
        return isinstance(other, Call) and (self.path, self.rec.line, self.rec.col) == \
            (other.path, other.rec.line, other.rec.col)


class TreeIndex:
    """Definitions, prototypes and page-passing calls of a set of files, by name.

    ``complete`` says whether the files are a whole tree (so "every caller" means
    every caller there is); a fix that changes a non-static signature needs it.
    """

    def __init__(self, summaries: dict[str, dict], *, complete: bool = False, files: list[str] | None = None):
        self.summaries = summaries
        self.complete = complete
        # Whether every caller of a non-static function was looked for: the files are a
        # whole tree, or its rest was searched for the names (folint.index.two_stage).
        self.callers_seen = complete
        # Every file of the run, summarised or not (a fix re-reads those naming a function).
        self.files = files if files is not None else sorted(summaries)
        # How the files were found: (targets, exclude, root), to find them again at fix time.
        self.discovery: tuple | None = None
        self.defs: dict[str, list[Def]] = defaultdict(list)
        self.protos: dict[str, list[Def]] = defaultdict(list)
        self.calls: dict[str, list[Call]] = defaultdict(list)
        self.macro_calls: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.refs: dict[str, set[str]] = defaultdict(set)
        self.exports: dict[str, set[str]] = defaultdict(set)
        for path in sorted(summaries):
            self._add(path, summaries[path])

    def _add(self, path: str, s: dict) -> None:
        for d in s.get("defs", ()):
            self.defs[d["name"]].append(Def(path, FunctionRecord.from_json(d)))
        for p in s.get("protos", ()):
            self.protos[p["name"]].append(Def(path, FunctionRecord.from_json(p)))
        for c in s.get("calls", ()):
            self.calls[c["callee"]].append(Call(path, CallRecord.from_json(c)))
        for name, line in s.get("macro_calls", ()):
            self.macro_calls[name].append((path, line))
        for name in s.get("refs", ()):
            self.refs[name].add(path)
        for name in s.get("exports", ()):
            self.exports[name].add(path)

    _MAPS = ("defs", "protos", "calls", "macro_calls", "refs", "exports")

    def overlay(self, changed: dict[str, dict | None]) -> TreeIndex:
        """A new index with some files' summaries replaced (None: the file is gone).

        Only the entries of the names those files mention are copied; the rest
        is shared with this index, which is left as it was."""
        from folint.index.summary import names_in

        view = TreeIndex.__new__(TreeIndex)
        view.complete, view.discovery, view.callers_seen = self.complete, self.discovery, self.callers_seen
        known = set(self.files)
        view.files = self.files + sorted(p for p in changed if p not in known)
        view.summaries = dict(self.summaries)
        affected: set[str] = set()
        for path, s in changed.items():
            for old_or_new in (self.summaries.get(path), s):
                if old_or_new:
                    affected |= names_in(old_or_new)
        for attr in self._MAPS:
            mine = getattr(self, attr)
            copy = defaultdict(mine.default_factory, mine)
            for name in affected:
                if name not in mine:
                    continue
                entries = mine[name]
                if isinstance(entries, set):
                    copy[name] = {p for p in entries if p not in changed}
                else:
                    copy[name] = [e for e in entries if (e[0] if isinstance(e, tuple) else e.path) not in changed]
            setattr(view, attr, copy)
        for path, s in changed.items():
            if s is None:
                view.summaries.pop(path, None)
            else:
                view.summaries[path] = s
                view._add(path, s)
        return view

    # -- questions -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.summaries)

    def definitions(self) -> Iterator[Def]:
        for name in sorted(self.defs):
            yield from self.defs[name]

    def _local_paths(self, name: str) -> set[str]:
        return {d.path for d in self.defs.get(name, ()) if d.file_local}

    def _scope(self, d: Def):
        """A test: can a use in file ``path`` reach ``d``?"""
        if d.file_local:
            return lambda path: path == d.path
        local = self._local_paths(d.name)
        return lambda path: path not in local

    def family(self, d: Def) -> list[Def]:
        """``d`` and every other definition a call to its name may reach (arch overrides)."""
        if d.file_local:  # the same static function defined twice under #ifdef is one
            return [x for x in self.defs.get(d.name, ()) if x.file_local and x.path == d.path]
        return [x for x in self.defs.get(d.name, ()) if not x.file_local]

    def prototypes(self, d: Def) -> list[Def]:
        reach = self._scope(d)
        return [p for p in self.protos.get(d.name, ()) if reach(p.path) and (not d.file_local or p.rec.static)]

    def callers(self, d: Def) -> list[Call]:
        """Page-passing calls that reach ``d`` (calls passing no page are not indexed)."""
        reach = self._scope(d)
        return [c for c in self.calls.get(d.name, ()) if reach(c.path)]

    def macro_callers(self, d: Def) -> list[tuple[str, int]]:
        """Macros that call ``d``'s name: callers whose arguments are not known."""
        reach = self._scope(d)
        return [(p, line) for p, line in self.macro_calls.get(d.name, ()) if reach(p)]

    def address_taken(self, d: Def) -> list[str]:
        """Files that use ``d``'s name as a value (a callback), so its type is not its own."""
        reach = self._scope(d)
        return sorted(p for p in self.refs.get(d.name, ()) if reach(p))

    def exported(self, d: Def) -> bool:
        return not d.file_local and bool(self.exports.get(d.name))


def covers_whole_tree(targets: list[str], config_root: Path | None = None) -> bool:
    """True when a target is the top of a tree: a kernel (MAINTAINERS and Kbuild or
    Kconfig beside it) or the folder holding the run's .folint.toml."""
    for t in targets:
        p = Path(t)
        if not p.is_dir():
            continue
        if (p / "MAINTAINERS").is_file() and ((p / "Kbuild").is_file() or (p / "Kconfig").is_file()):
            return True
        if config_root is not None and p.resolve() == Path(config_root).resolve():
            return True
    return False
