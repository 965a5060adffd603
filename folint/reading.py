"""Reading input safely: only regular files, never more than a limit, never blocking.

Every place folint opens a file it was pointed at (a source file, a patch, a
``simulate FILE:FUNC`` target, a file named by a patch) goes through
``read_regular``: the file is opened non-blocking (a FIFO cannot hang the
run), checked with ``fstat`` *after* opening (so a link swapped in between
cannot fool the check) to be a regular file, and read up to ``limit + 1``
bytes (a file that grows, or lies about its size, still cannot exhaust
memory).  ``read_stream`` bounds a pipe or standard input the same way.
"""

from __future__ import annotations

import errno
import os
import stat

CHUNK = 1 << 20


class ReadError(OSError):
    """The file cannot be read as input; the message says why (no path in it).
    An OSError, so callers that already handle unreadable files handle these."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def too_big(size: int | str, limit: int) -> str:
    return (f"skipped: {size} bytes is more than the {limit}-byte limit "
            f"(raise max-file-size in .folint.toml to check it)")


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or ReadError.

    OSError from opening is turned into ReadError too, with the system's reason."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise ReadError("is a folder, not a file") from None
    except OSError as e:
        what = "check the path" if e.errno in (errno.ENOENT, errno.ENOTDIR) else "check its permissions"
        raise ReadError(f"cannot read: {e.strerror or e}; {what}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ReadError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise ReadError(f"skipped: {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise ReadError(too_big(st.st_size, limit))
        return _read_fd(fd, limit, lambda: ReadError(too_big(f"more than {limit}", limit)))
    except ReadError:
        raise
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror or e}; check its permissions") from None
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int, over) -> bytes:
    parts, got = [], 0
    while got <= limit:
        chunk = os.read(fd, min(CHUNK, limit + 1 - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    if got > limit:
        raise over()
    return b"".join(parts)


def read_stream(stream, limit: int, name: str = "standard input") -> bytes:
    """At most ``limit`` bytes from a binary stream (``sys.stdin.buffer``), or ReadError."""
    if stream is None:
        raise ReadError(f"{name} is closed; pipe a patch into it or give a file")
    parts, got = [], 0
    try:
        while got <= limit:
            chunk = stream.read(min(CHUNK, limit + 1 - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except OSError as e:
        raise ReadError(f"cannot read {name}: {e.strerror or e}") from None
    except ValueError:  # a closed file object
        raise ReadError(f"{name} is closed; pipe a patch into it or give a file") from None
    if got > limit:
        raise ReadError(f"more than the {limit}-byte limit on {name}; split the input or give a file")
    return b"".join(parts)


def nul_as_space(raw: bytes) -> tuple[bytes, str | None]:
    """``raw`` with every NUL byte read as a space, and the one error line that says so.

    A NUL past the binary sniff (the first 8 KB) is text to us, but tree-sitter
    splits a token at it, so a finding around it could vanish silently.  A space
    keeps every offset, line and column where it was (a compiler warns about the
    byte and reads on, too); the line tells the user the check around it may
    be incomplete.  (None, when the file has no NUL.)"""
    first = raw.find(b"\0")
    if first < 0:
        return raw, None
    count = raw.count(b"\0")
    line = raw.count(b"\n", 0, first) + 1
    col = first - (raw.rfind(b"\n", 0, first) + 1) + 1
    what = f"the first of {count} NUL bytes" if count > 1 else "a NUL byte"
    return raw.replace(b"\0", b" "), (f"line {line}, column {col}: {what} in the text; checked with each "
                                      f"read as a space, so a finding that spans one may be missed")
