// FOL002 for Coccinelle (a peer for bench/speed.py): a swap entry passed with each
// page of a per-page loop and never advanced.
@fol002@
identifier i, f;
expression folio, nr, E;
swp_entry_t entry;
@@
  for (i = 0; i < nr; i++) {
    ... when != entry.val++
        when != entry = E
*   f(entry, folio_page(folio, i));
    ... when != entry.val++
  }
