// FOL001 for Coccinelle (a peer for bench/speed.py): a loop over a folio's pages
// whose body returns on its first iteration.
@fol001@
identifier i;
expression folio, nr, E;
@@
(
  for (i = 0; i < folio_nr_pages(folio); i++)
*   return E;
|
  for (i = 0; i < nr; i++)
*   return folio_page(folio, i);
|
  for (i = 0; i < nr; i++)
*   return E(..., folio_page(folio, i), ...);
)
