"""Patch mode: check what a patch (or a series, a commit range, the staged change) introduces.

The pipeline, one module a step::

    load      input files, stdin, `git format-patch`, `git diff --cached` -> bytes
    mail      split a mailbox into mails; Subject, Message-ID, body (stdlib email)
    diff      a mail body -> files and hunks (unidiff), with line numbers for errors
    paths     refuse absolute, `..` and out-of-tree paths
    trees     where the pre-image comes from: a work tree, a git revision, nothing
    apply     apply hunks to a file's text in memory
    fragments without a tree: the pre- and post-image text of the hunks alone
    touched   which functions a change touches
    compare   findings after but not before, matched by Finding.key
    series    all of the above over a series, in order -> RunResult

``model`` holds the records (Patch -> FileChange -> Hunk -> HunkLine); ``git``
the few read-only git commands (format-patch, diff --cached, cat-file).

Nothing here writes to the tree: patched text lives in memory only.
"""
