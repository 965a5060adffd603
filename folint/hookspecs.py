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
    from folint.facts import FactsRegistry
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

    Each item is ``{"page": "lock_page", "folio": "folio_lock", "exact": "any-page"}``
    (optional: ``page-arg``, ``template``, ``fix``, ``note``); see
    ``rules/page_api_table.toml`` for the fields.  The example is checked by a test.
    """


@hookspec
def folint_api_facts(registry: FactsRegistry) -> None:
    """Register kinds of API fact read from the kernel tree being checked.

    ``registry.add(FactKind(name, summary, files, read, builtin))`` (see
    :mod:`folint.facts.model`): ``files`` are paths relative to the tree root;
    ``read(files)`` gets ``{path: bytes}`` for those that exist and returns a
    :class:`folint.facts.Reading` (``value``: plain JSON data; ``where``: item ->
    ``"file:line"``) or None when the files do not say; ``builtin`` maps a kernel
    version ("6.12") to the value to use without a tree.  Rules then read
    ``self.facts.get(name)`` and ``self.facts.source(name)``.  Readings are cached
    by the content hashes of the files read and the reader module's source.  The
    built-in kinds (``folint.facts.page_flags``, ``lookups``, ``helpers``) are
    added before this hook is called; a kind of the same name replaces them.
    """
