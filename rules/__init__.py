"""folint's built-in rules, loaded through the ``folint`` entry-point group
(``builtin = folint_rules``) exactly as a third-party rule pack would be."""

from folint import hookimpl

from folint_rules.fol001_loop_returns_on_first_page import LoopReturnsOnFirstPage
from folint_rules.fol002_swap_entry_not_advanced import SwapEntryNotAdvanced
from folint_rules.fol005_loop_page_index_unused import LoopPageIndexUnused

BUILTIN_RULES = [LoopReturnsOnFirstPage, SwapEntryNotAdvanced, LoopPageIndexUnused]


@hookimpl
def folint_rules():
    return list(BUILTIN_RULES)
