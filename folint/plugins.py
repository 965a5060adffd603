"""Build the plugin manager: hookspecs + everything under the ``folint`` entry-point group."""

from __future__ import annotations

import functools

import pluggy

from folint import hookspecs

PROJECT = "folint"


def make_plugin_manager(extra_plugins: tuple = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(PROJECT)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


@functools.lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager (each worker process builds its own)."""
    return make_plugin_manager()


@functools.lru_cache(maxsize=1)
def model_registry():
    """The process-wide simulator model registry (``folint.sim.models.ModelRegistry``) filled
    by every plugin's ``folint_sim_models``: what callers pass to the simulator."""
    from folint.sim.models import build_registry

    return build_registry(plugin_manager())
