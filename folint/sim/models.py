"""The registry of kernel API models, filled through the ``folint_sim_models`` hook.

A model is ``fn(call) -> value``: it sees the evaluated arguments and returns
what the kernel function would return for them (``folio_page(folio, 2)`` ->
page 2 of that folio).  It may return :data:`NOT_MODELLED` when it cannot say
(an argument it does not understand); the call is then treated like any
unmodelled call: an event that returns an unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from folint.sim.kinds import EventKind


class _NotModelled:
    def __repr__(self) -> str:
        return "NOT_MODELLED"


NOT_MODELLED = _NotModelled()


@dataclass
class ModelCall:
    """What a model sees: the callee ``name``, evaluated ``args``, the source
    ``line``, the running ``path`` (``path.unknown(desc)``,
    ``path.unknown_in(desc, lo, hi)``, ``path.as_folio(v)``, ``path.as_page(v)``,
    ``path.new_folio(label)``, ``path.new_entry()``) and the
    ``scenario`` (``scenario.nr``); ``fork(...)`` forks the path on the call's outcome."""

    name: str
    args: list
    line: int
    path: object
    scenario: object
    arg_text: list = field(default_factory=list)  # source text of each argument
    node: object = None  # the call's lowered node

    def fork(self, *outcomes: str) -> int:
        """Fork the path on what the call does: returns the index of the outcome this
        path takes (each one is explored as a path of its own) and records an "assume"
        event "assume NAME() OUTCOME"."""
        k = self.path.choose(len(outcomes))
        self.path.event(EventKind.ASSUME, self.node, f"assume {self.name}() {outcomes[k]}")
        return k


class ModelRegistry:
    def __init__(self):
        self.models: dict[str, list[Callable]] = {}
        self.constants: dict[str, int] = {}

    def add(self, name: str, fn: Callable[[ModelCall], object]) -> None:
        """Model calls to ``name``.  Models added later are tried first."""
        self.models.setdefault(name, []).insert(0, fn)

    def add_constant(self, name: str, value: int) -> None:
        """An identifier with a known integer value (``PAGE_SHIFT``, ``ENOMEM`` ...)."""
        self.constants[name] = value

    def call(self, call: ModelCall):
        for fn in self.models.get(call.name, ()):
            out = fn(call)
            if out is not NOT_MODELLED:
                return out
        return NOT_MODELLED

    def __contains__(self, name: str) -> bool:
        return name in self.models


def build_registry(plugin_manager) -> ModelRegistry:
    """A registry filled by every plugin of ``plugin_manager`` implementing
    ``folint_sim_models``.  The simulator never builds one itself: whoever runs it passes
    the registry in (``folint.plugins.model_registry()`` for the process-wide one), so the
    simulator does not import the plugins that import it."""
    registry = ModelRegistry()
    plugin_manager.hook.folint_sim_models(registry=registry)
    return registry
