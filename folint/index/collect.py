"""Summaries while checking, in the worker processes: from the cache when the
file's content hash is known, else from the parse the file rules share."""

from __future__ import annotations

from folint.checker import FileResult, check_source, read_source
from folint.index.cache import CacheError, SummaryCache, content_hash
from folint.index.summary import NEEDLES, summarise
from folint.prefilter import ByteScan


def wants_summary(scan: ByteScan) -> bool:
    return scan.any(NEEDLES)


# Stage 1 of the two-stage index (folint.index.two_stage): only files with these bytes are
# summarised while checking; the other files with the index needles are deferred.
STAGE1_NEEDLES = (b"folio",)
# A deferred file's FileResult.summary_key: the prefix, then its content hash (nothing
# when the grep pre-pass stood in for reading it, folint.grep_prepass; no one reads the
# hash).  Kept in the key so a result stored by the results cache (folint.results) stays deferred.
DEFERRED = "deferred:"


# A summary made of a parse with bodies blanked (folint.blanking; it lists them under
# "blanked"): its key is the prefix, then the content hash, so that only a tree run's
# two-stage index, which summarises the file whole again when a candidate's name lies in
# a blanked body (two_stage.hiding), ever reads it; check-patch and the full index ask
# for the content hash alone.
PARTIAL = "partial:"


def is_deferred(summary_key: str | None) -> bool:
    return summary_key is not None and summary_key.startswith(DEFERRED)


class IndexWorker:
    """One per worker process; reads the cache, never writes it (the main process does).

    ``two_stage``: summarise only the files stage 1 needs (or whose summary the cache
    holds); the other files with the index needles get a ``DEFERRED`` summary key."""

    def __init__(self, cache_folder: str | None, two_stage: bool = False):
        self.two_stage = two_stage
        self.cache = None
        if cache_folder:
            try:
                self.cache = SummaryCache(cache_folder, readonly=True)
            except CacheError:
                self.cache = None  # the main process already reported it

    def summary_for(self, scan: ByteScan) -> tuple[str | None, dict | None]:
        """(content hash, cached summary or None); (None, None) when the file needs none."""
        raw = scan.raw
        if not wants_summary(scan):
            return None, None
        digest = content_hash(raw)
        if self.cache is None:
            return digest, None
        whole = self.cache.get(digest)
        if whole is not None or not self.two_stage:
            return digest, whole
        partial = self.cache.get(PARTIAL + digest)
        return (digest, None) if partial is None else (PARTIAL + digest, partial)

    def check_path(self, path: str, rules, max_size: int, **kw) -> FileResult:
        raw, err = read_source(path, max_size)
        if err is not None:
            return FileResult(path, errors=[err])
        scan = ByteScan(raw)
        digest, cached = self.summary_for(scan)
        deferred = digest is not None and cached is None and self.two_stage and not scan.any(STAGE1_NEEDLES)
        build = summarise if digest is not None and cached is None and not deferred else None
        fr = check_source(path, raw, rules, summarise=build, scan=scan, summary_keep=NEEDLES if self.two_stage else (),
                          **kw)
        fr.summary_key = DEFERRED + digest if deferred else PARTIAL + digest if fr.summary_partial else digest
        if cached is not None:
            fr.summary, fr.summary_cached = cached, True
        return fr
