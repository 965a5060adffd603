/*
 * folint's bundled example: the three single-page habits from the arm64 MTE
 * review of swapping out large folios, written for folint (not kernel code).
 * `folint examples/` reports each of them.
 */
int arch_prepare_to_swap(struct folio *folio)
{
	long i, nr;

	if (!system_supports_mte())
		return 0;

	nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));	/* only page 0 */

	return 0;
}

void arch_swap_restore(swp_entry_t entry, struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	if (!system_supports_mte())
		return;

	for (i = 0; i < nr; i++)
		mte_restore_tags(entry, folio_page(folio, i));	/* same slot each time */
}

void arch_swap_invalidate_folio(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		mte_invalidate_tags_page(&folio->page);		/* same page each time */
}
