"""The tree index: cross-file facts for tree-wide rules (FOL003).

While the workers check files, each file with page or folio code yields a
small summary (``summary``): its page-taking functions and prototypes, its
calls that pass a page and where that page comes from, the names it uses as
callbacks, the names it exports.  Summaries are cached on disk by content
hash (``cache``), merged into a :class:`TreeIndex` (``tree``), and the rules
with ``scope = "tree"`` run over it in the main process (``phase``).
``build`` makes an index without running the file rules (check-patch, the
hook); ``patch`` runs the tree rules for in-memory files.
"""

from folint.index.tree import Call, Def, TreeIndex

__all__ = ["Call", "Def", "TreeIndex"]
