"""Every hook folint calls, as typed and documented stubs (pytest style).

A rule pack is a module registered under the ``folint`` entry-point group that
implements some of these with ``@folint.hookimpl``.  The built-in rules are
loaded the same way (entry point ``builtin = folint_rules``).  Hooks are always
called with keyword arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from folint.rule import Rule
    from folint.sim.models import ModelRegistry

hookspec = pluggy.HookspecMarker("folint")


@hookspec
def folint_rules() -> list[type[Rule]]:
    """Return the rule classes this plugin provides.

    Each class subclasses :class:`folint.rule.Rule` and sets ``code``
    (``FOL`` + 3 digits, unique across all plugins), ``name``, ``summary`` and
    ``needles``.  The class's module docstring is the rule's documentation
    shown by ``folint explain CODE``.
    """


@hookspec
def folint_sim_models(registry: ModelRegistry) -> None:
    """Register simulator models of kernel API calls.

    ``registry.add(name, fn)`` teaches the simulator what a call such as
    ``folio_page(folio, n)`` returns: ``fn(call)`` gets a
    :class:`folint.sim.models.ModelCall` (``call.args`` evaluated, ``call.path``
    to make or coerce model values, ``call.scenario``) and returns a value, or
    ``folint.sim.models.NOT_MODELLED`` to leave the call unmodelled.
    ``registry.add_constant(name, value)`` gives an identifier an integer value.
    Calls without a model are recorded as events and return an unknown value
    (or the injected error of the scenario).  The built-in models
    (``folint.sim.builtin_models``) are registered through this same hook.
    """


@hookspec
def folint_page_api_table() -> list[dict]:
    """Return extra page-API -> folio-API pairs (FOL006).

    Each item is ``{"page": "lock_page", "folio": "folio_lock", "form": "call"}``;
    see ``rules/page_api_table.toml`` for the fields.
    """
