"""API facts: what the kernel tree being checked says about its own API.

Rules need facts that change between kernel versions: which folio lookups
return an error pointer (``lookup_returns``), which page flags are kept per
page inside a large folio (``per_page_flags``), which folio helpers exist
(``folio_helpers``, ``mapped_shared_helper``).  They live here, once, read from
the tree's own headers and sources (one module per kind: ``page_flags``,
``lookups``, ``helpers``), cached beside the tree index keyed by the content
hashes of the files read (``cache``), with built-in tables (``tables``) for a
check without a tree.

A rule reads them from ``self.facts`` (set when rules are built, passed to the
worker processes once)::

    returns = self.facts.get("lookup_returns")      # {"filemap_lock_folio": "err_ptr", ...}
    self.facts.source("lookup_returns")             # "include/linux/pagemap.h, mm/filemap.c"
                                                    # or "built-in table for 6.12"
    self.facts.where("lookup_returns", "filemap_lock_folio")   # "include/linux/pagemap.h:783 (kerneldoc Return:)"

A rule pack adds kinds through the ``folint_api_facts(registry)`` hook
(``folint.hookspecs``), with ``registry.add(FactKind(...))``.
"""

from folint.facts.model import Fact, FactKind, Facts, FactsRegistry, Reading

__all__ = ["Fact", "FactKind", "Facts", "FactsRegistry", "Reading", "builtin_facts", "facts_for_root",
           "facts_for_targets"]


def __getattr__(name):  # the engine imports the readers: only when a run asks
    if name in ("builtin_facts", "facts_for_root", "facts_for_targets", "build_registry", "find_tree_root"):
        from folint.facts import engine

        return getattr(engine, name)
    raise AttributeError(name)
