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
