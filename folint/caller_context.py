"""What a function's callers show about the folio it is given: every caller hands it
a page of a hugetlb folio, or of a small one.

A per-page flag tested on the folio is right for a hugetlb folio (hugetlb keeps
hwpoison on the head page) and for a small one.  Inside the function the code may
not show which folio it gets: 6.12's is_raw_hwpoison_page_in_hugepage()
(mm/memory-failure.c) is only ever called from fs/hugetlbfs/.  So the question goes
to the callers: at every call, is the page passed as the parameter a page of a
hugetlb folio (the caller is hugetlb code, ``folint.special_folios.special_code``,
or the call sits where ``hugetlb_at`` holds) or of a small one (``small_at`` on the
folio it is written from: ``f(&folio->page)`` inside ``if (!folio_test_large(folio))``)?

Every mention of the name must be accounted for, or the callers are not all known:
its definition and prototypes, and calls.  Its address taken, a use in a macro's
body, an ``EXPORT_SYMBOL()`` (modules call it), or no call at all: no answer.

A static function of a ``.c`` file is answered from its own file
(``in_file``); any other needs the tree (``in_tree``): the files naming it are
found by ``folint.index.tree_search.grep_tree`` and parsed.  Only callers are
asked, one level up.  In a run (``refute_in_run``) those files come from the run's one
search of the tree (``shared_search``), which the tree phase also takes its part of.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from folint import cnodes
from folint.guard import Failed, run_check
from folint.source import SourceFile
from folint.special_folios import hugetlb_at, special_code
from folint.vocab import page_expr

_DECLARATOR_PARENTS = frozenset({"function_declarator"})
_INERT = frozenset({"comment", "string_literal", "string_content", "char_literal", "system_lib_string"})


@dataclass
class Callers:
    """The answer about one function: ``ok`` when every call passes such a page."""
    ok: bool
    sites: list[str]  # path:line of each call seen
    reason: str       # why (ok) or why not, one sentence


def is_file_local(path: str, fn) -> bool:
    """``fn`` is static in a ``.c`` file: its callers are all in that file."""
    return path.endswith(".c") and cnodes.text(fn.node).lstrip().startswith("static")


def _where(src: SourceFile, node: Node) -> str:
    return f"{src.path}:{src.position(node.start_byte)[0]}"


def _call_context(src: SourceFile, call: Node, index: int) -> str | None:
    """Why the page passed as argument ``index`` of ``call`` is a page of a hugetlb or
    small folio, or None."""
    from folint.small_folio import small_at

    fn = src.function_at(call)
    if special_code(src.path, ("hugetlb",)):
        return "hugetlb code"
    args = cnodes.call_args(call)
    if fn is None or index >= len(args):
        return None
    pe = page_expr(args[index])
    folio = cnodes.normalise(pe.folio) if pe is not None and pe.folio else cnodes.normalise(cnodes.text(args[index]))
    if hugetlb_at(fn, folio, call):
        return "under a hugetlb test"
    if pe is not None and folio.isidentifier() and small_at(fn, folio, call, src):
        return f"'{folio}' is small there"
    return None


def _mention_kind(node: Node) -> str:
    """"decl", "call" or "other" for an identifier naming the function."""
    parent = node.parent
    if parent is not None and parent.type in _DECLARATOR_PARENTS and parent.child_by_field_name("declarator") == node:
        return "decl"
    if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
        return "call"
    return "other"


def judge(name: str, index: int, sources: Iterable[SourceFile | None]) -> Callers:
    """Whether every call of ``name`` in ``sources`` passes, as argument ``index``, a
    page of a hugetlb or small folio (``sources``: every file that names it, None for
    one that cannot be read); it stops at the first call that does not."""
    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")
    sites: list[str] = []
    for src in sources:
        if src is None:
            return Callers(False, sites, f"a file naming {name}() could not be read")
        blanked = src.blanked
        starts = [a for a, _ in blanked]
        for m in word.finditer(src.raw):
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= 0 and m.start() < blanked[i][1]:
                continue  # in a blanked body: a comment or a string (a call keeps its body)
            node = src.tree.root_node.descendant_for_byte_range(m.start(), m.end())
            if node is None or node.type in _INERT or (node.parent is not None and node.parent.type in _INERT):
                continue
            if node.type != "identifier" or cnodes.text(node) != name:
                return Callers(False, sites, f"{name}() is named at {src.path}:{src.position(m.start())[0]} "
                                             f"other than in a call (a macro, an export, a parse it cannot read)")
            kind = _mention_kind(node)
            if kind == "decl":
                continue
            if kind == "other":
                return Callers(False, sites, f"{name}() is used as a value at {_where(src, node)}: "
                                             f"its callers are not all known")
            call = node.parent
            why = _call_context(src, call, index)
            if why is None:
                return Callers(False, sites, f"{_where(src, call)} calls {name}() with a page that can be "
                                             f"of a large non-hugetlb folio")
            caller = src.function_at(call)
            sites.append(f"{_where(src, call)} ({caller.name + '(), ' if caller else ''}{why})")
    if not sites:
        return Callers(False, sites, f"no call of {name}() seen")
    return Callers(True, sites, f"every caller of {name}() passes a page of a hugetlb or small folio: "
                                f"{'; '.join(sites)}")


def in_file(src: SourceFile, fn, index: int) -> Callers | None:
    """The answer for a static function of a ``.c`` file, from its own file; None otherwise."""
    if not is_file_local(src.path, fn):
        return None
    return judge(fn.name, index, [src])


class _Files:
    """The files naming the names asked about, read and parsed when first needed (a
    function called from many files is usually answered "no" by one of the first)
    and once for all the names (``images``: path -> text that replaces the file on
    disk, None for a deleted one)."""

    def __init__(self, images: dict[str, bytes | None]):
        self.images = images
        self._raw: dict[str, bytes | None] = {}
        self._parsed: dict[str, SourceFile] = {}

    def raw(self, path: str) -> bytes | None:
        """The text, b"" for a deleted file, None when it cannot be read."""
        if path not in self._raw:
            from folint.checker import read_source
            from folint.config import DEFAULT_MAX_FILE_SIZE

            if path in self.images:
                self._raw[path] = self.images[path] if self.images[path] is not None else b""
            else:
                self._raw[path] = read_source(path, DEFAULT_MAX_FILE_SIZE)[0]
        return self._raw[path]

    def naming(self, paths: list[str], word: re.Pattern):
        """The parsed files among ``paths`` that name ``word`` (None for one that cannot be read)."""
        for path in paths:
            raw = self.raw(path)
            if raw is None:
                yield None
            elif word.search(raw):
                if path not in self._parsed:
                    self._parsed[path] = SourceFile(path, raw)
                yield self._parsed[path]


def in_tree(root: str, wanted: dict[str, int], *, jobs: int = 1, images: dict[str, bytes | None] | None = None,
            errors: list | None = None, search=None) -> dict[str, Callers]:
    """The answer for each function ``name -> parameter index`` of ``wanted`` from the
    whole tree at ``root`` (``images``: paths under it whose text replaces the disk's);
    a name missing from the result could not be searched or read (``errors`` gets why).
    ``search``: a ``folint.index.tree_search.SharedSearch`` that may hold these names."""
    from folint.index.tree_search import grep_tree

    if not wanted:
        return {}
    part = search.part(root, wanted) if search is not None else set()
    named = search.files(part, strict=True) if part else []
    rest = set(wanted) - part
    if named is not None and rest:
        more = grep_tree(root, rest, jobs=jobs, strict=True)
        named = sorted(set(named) | set(more)) if more is not None else None
    if named is None:
        return {}
    images = {os.path.join(root, p) if not os.path.isabs(p) else p: t for p, t in (images or {}).items()}
    words = {n: re.compile(rb"\b" + re.escape(n.encode()) + rb"\b") for n in wanted}
    extra = [p for p, t in images.items() if t is not None and any(w.search(t) for w in words.values())]
    # hugetlb code last: a caller elsewhere is the likelier "no"
    paths = sorted(set(named) | set(extra), key=lambda p: (bool(special_code(p, ("hugetlb",))), p))
    files = _Files(images)
    out = {}
    for name, index in wanted.items():
        got = run_check(judge, name, index, files.naming(paths, words[name]), path="<tree>",
                        errors=errors if errors is not None else [], what=f"callers of {name}()",
                        too_deep="code nested too deeply to read the callers; the finding stays")
        if not isinstance(got, Failed):
            out[name] = got
    return out


# A finding whose rule would stay quiet for a page of a hugetlb or small folio puts the
# index of the parameter holding that page here (its function is not file-local).
PARAM_KEY = "callers_page_param"
# How the evidence of a finding refuted by its callers begins (the reporters tell it
# from one the simulation refuted by it).
EVIDENCE = "callers: "


def by_callers(f) -> bool:
    """``f``'s verdict was given by its callers, not by the simulation."""
    return f.evidence.startswith(EVIDENCE)


def _asked(findings: list) -> list:
    """The findings whose callers are to be asked."""
    from folint.enums import Verdict

    return [f for f in findings if f.data.get(PARAM_KEY) is not None and f.function
            and f.verdict != Verdict.REFUTED]


def _wanted(asked: list) -> dict[str, int]:
    """name -> index of the page parameter, for the functions of ``asked`` (two of one
    name that disagree on it: no answer, left out)."""
    wanted: dict[str, int] = {}
    for f in asked:
        if wanted.setdefault(f.function, f.data[PARAM_KEY]) != f.data[PARAM_KEY]:
            wanted[f.function] = -1
    return {n: i for n, i in wanted.items() if i >= 0}


def refute_by_callers(findings: list, root: str | None, *, jobs: int = 1,
                      images: dict[str, bytes | None] | None = None, errors: list | None = None,
                      search=None) -> int:
    """Mark refuted (with the callers as evidence) each finding that carries PARAM_KEY
    and whose function's callers across the tree at ``root`` all pass a page of a
    hugetlb or small folio; how many.  Without a tree (``root`` None) nothing changes:
    the callers are not known.  ``search``: as ``in_tree`` takes it."""
    from folint.enums import Verdict

    asked = _asked(findings)
    if root is None or not asked:
        return 0
    answers = in_tree(root, _wanted(asked), jobs=jobs, images=images, errors=errors, search=search)
    done = 0
    for f in asked:
        got = answers.get(f.function)
        if got is not None and got.ok:
            f.verdict, f.evidence, f.trace = Verdict.REFUTED, EVIDENCE + got.reason, []
            done += 1
    return done


def shared_search(findings: list, targets: list[str], *, jobs: int = 1):
    """The run's one search of the kernel tree holding ``targets`` (None when there is
    none): a ``folint.index.tree_search.SharedSearch`` that already wants the names whose
    callers ``refute_in_run`` will ask about among ``findings`` (the file rules'); the
    tree phase adds its own and starts it (``folint.index.phase``)."""
    from folint.config import ConfigError
    from folint.facts.tree import root_for_targets
    from folint.index.tree_search import SharedSearch

    try:
        root = root_for_targets(targets)
    except ConfigError:  # targets in two trees: said where the tree is needed
        return None
    if root is None:
        return None
    search = SharedSearch(str(root), jobs)
    search.want(_wanted(_asked(findings)))
    return search


def refute_in_run(findings: list, targets: list[str], *, jobs: int = 1, images: dict[str, bytes] | None = None,
                  errors: list | None = None, search=None) -> int:
    """``refute_by_callers`` for a run over ``targets``: the tree is the kernel tree
    holding them (``folint.facts.tree``), if any.  ``images``: files whose text is not
    the disk's (C read from stdin under its ``--stdin-filename``).  ``search``: the run's
    ``shared_search``, whose answer is taken for the names it holds."""
    if not any(f.data.get(PARAM_KEY) is not None for f in findings):
        return 0
    from folint.facts.tree import root_for_targets

    root = root_for_targets(targets)
    texts = {os.path.realpath(p): t for p, t in (images or {}).items()}
    return refute_by_callers(findings, str(root) if root is not None else None, jobs=jobs, images=texts,
                             errors=errors, search=search)


def refute_in_patch(result, label: str, tree, images: dict[str, bytes | None], *, show_refuted: bool,
                    jobs: int = 1) -> None:
    """``refute_by_callers`` for the findings check-patch reported for the patch
    ``label``, over its tree (``tree.root`` on disk, with the series' patched texts,
    ``tree.changed`` of an overlay, and ``images`` over it); refuted ones are hidden
    and counted unless ``show_refuted``."""
    from folint.enums import Verdict

    mine = [f for f in result.findings if f.patch == label]
    before = {id(f) for f in mine if f.verdict == Verdict.REFUTED}  # by the simulation, counted already
    texts = {**getattr(tree, "changed", {}), **images}
    if not refute_by_callers(mine, tree.root, jobs=jobs, images=texts, errors=result.errors):
        return
    gone = {id(f) for f in mine if f.verdict == Verdict.REFUTED} - before
    result.refuted += len(gone)
    if not show_refuted:
        result.findings = [f for f in result.findings if id(f) not in gone]
