"""The base class of every rule.

A rule is declarative where it can be: a code, a name that names the pattern,
a one-line summary, the byte needles a file must contain for the rule to
apply, and a ``check`` that yields findings.  Its module docstring is its
documentation (``folint explain CODE``).  A rule that the simulator can
confirm also provides ``oracle`` (see ``folint.sim``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from tree_sitter import Node

from folint import cnodes
from folint.finding import Finding, LoopFacts
from folint.source import SourceFile

if TYPE_CHECKING:
    from folint.sim import Judgement

CODE_RE = re.compile(r"^FOL\d{3}$")


def _builtin_facts():
    from folint.facts.engine import builtin_facts

    return builtin_facts()


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    # A file is parsed for this rule only if it contains one of these byte strings.
    needles: ClassVar[tuple[bytes, ...]] = ()
    # ... and one of these, asked first: short strings that any file the rule can fire on
    # contains (b"folio" for a rule about a folio variable), which other rules ask for
    # anyway, so most files are let go after one cached search instead of one per needle.
    gate: ClassVar[tuple[bytes, ...]] = ()
    # True if the rule looks only inside per-page loops: the file must then also
    # contain a page-loop token (folint.prefilter), checked once for all such rules.
    uses_page_loops: ClassVar[bool] = False
    # True if a finding in a function f depends on f's own definition only (and on what
    # lies outside every function body: declarations, types, macros), and f's code (its
    # header and body, comments and strings left out) then holds one of ``needles`` (or,
    # with none, of ``gate``) and, for a page-loop rule, the page-loop tokens
    # (vocab.may_hold_page_loop).  When every file rule a file needs says so, the bodies
    # of its other functions are blanked before parsing (folint.kernel_c.bodies).  False
    # for a rule that reads other functions of the file: callers, callees, constants.
    function_local: ClassVar[bool] = False
    # For a rule that is not function_local: which of the file's other functions it reads,
    # when it reports only in a function whose code holds one of ``needles`` (or, with
    # none, of ``gate``).  "callers": the functions naming the one it
    # reports in, theirs and so on (caller_context.in_file, small_folio, a lookup's
    # wrappers); "callees": the functions those name, theirs and so on (small_folio's
    # allocating helpers); "constants": ``#define`` and ``enum`` inside any body
    # (file_constants).  The other bodies are then blanked (folint.blanking); empty for a
    # rule that reads anything else: nothing is blanked.
    neighbours: ClassVar[frozenset[str]] = frozenset()
    # Options settable under [rules.CODE] in .folint.toml, with their defaults.
    default_options: ClassVar[dict] = {}
    # "file": check() runs per file in a worker.  "tree": needs the tree index.
    scope: ClassVar[str] = "file"

    def __init__(self, options: dict | None = None, config=None):
        self.options = {**self.default_options, **(options or {})}
        # The run's folint.config.Config (None outside a run): for settings that are
        # not per-rule options, such as the [[page-api]] tables FOL006 reads.
        self.config = config
        # The API facts of the tree being checked (folint.facts.Facts): set by
        # build_rules; the built-in tables until then.
        self.facts = _builtin_facts()

    def check(self, src: SourceFile) -> Iterator[Finding]:
        raise NotImplementedError

    def check_tree(self, index, focus: set[str] | None = None) -> Iterator[Finding]:
        """For ``scope = "tree"``: findings over ``index`` (a ``folint.index.TreeIndex``),
        run in the main process after every file is summarised.  ``focus`` is the set
        of paths a patch touched (check-patch), else None."""
        raise NotImplementedError

    # -- helpers for subclasses --------------------------------------------
    def finding(self, src: SourceFile, node: Node, message: str, function: str | None,
                statement: Node | None = None, loop: LoopFacts | None = None, **data) -> Finding:
        """A finding at ``node``.  ``loop``: the per-page loop it is in (loop rules,
        ``PageLoop.finding_facts()``); ``data``: this rule's private keys."""
        line, col = src.position(node.start_byte)
        end_line, end_col = src.position(node.end_byte)
        stmt = statement if statement is not None else cnodes.enclosing_statement(node)
        return Finding(self.code, self.name, src.path, line, col, end_line, end_col, function,
                       message, statement=cnodes.normalise(src.text(stmt)), loop=loop, data=data)

    def oracle(self, finding: Finding, sim) -> Judgement | None:
        """Confirm or refute ``finding`` by running ``sim`` (a ``folint.sim.Simulation``
        of the finding's function).  Default: no oracle, the verdict stays "unverified".
        See ``folint.sim`` for the API."""
        return None

    def fixes(self, src: SourceFile, finding: Finding) -> list:
        """The certain fixes for ``finding`` (a list of ``folint.fixes.Fix``), computed on
        a fresh parse ``src`` of ``finding.path``.  Default: none.  See ``folint.fixes``."""
        return []

    @classmethod
    def doc(cls) -> str:
        module = inspect.getmodule(cls)
        return inspect.cleandoc(module.__doc__ or "") if module is not None else ""

    @classmethod
    def validate(cls) -> None:
        if not CODE_RE.match(getattr(cls, "code", "")):
            raise ValueError(f"rule {cls.__qualname__}: code must be FOL and 3 digits, got {cls.code!r}")
        for attr in ("name", "summary"):
            if not getattr(cls, attr, ""):
                raise ValueError(f"rule {cls.code}: missing {attr}")
