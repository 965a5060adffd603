"""Writing a report: to ``-o FILE`` atomically, or to standard output; one clear error otherwise.

``write_file`` writes a temporary file beside the target and renames it over
the target, so a reader never sees half a report; when anything fails (a
missing folder, a folder in the way, a full disk) the temporary file is
removed and ``OutputError`` says what happened.  ``write_stdout`` turns a
closed standard output into the same error.  ``folint.cli`` prints it as one
line and exits 2.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile


class OutputError(Exception):
    """The report could not be written; the message says where and why."""


def write_file(path: str, text: str) -> None:
    if os.path.isdir(path):
        raise OutputError(f"-o {path}: is a folder; give a file name")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        _write_special(path, text)  # /dev/null, /dev/stdout, a FIFO: never renamed over
        return
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise OutputError(f"-o {path}: no folder {folder}; create it first or give another path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise OutputError(f"-o {path}: cannot write in {folder}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"-o {path}: cannot write the report: {e.strerror or e}") from None


def _write_special(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
    except OSError as e:
        raise OutputError(f"-o {path}: cannot write the report: {e.strerror or e}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_stdout(text: str) -> None:
    stream = sys.stdout
    if stream is None:
        raise OutputError("standard output is closed; give -o FILE or redirect it")
    encoding = getattr(stream, "encoding", None) or "utf-8"
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:  # any locale: what it cannot encode is escaped, never an error
        stream.flush()
        buffer.write(text.encode(encoding, "backslashreplace"))
        buffer.flush()
    else:
        stream.write(text)
        stream.flush()
