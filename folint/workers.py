"""Worker processes end with their parent: a killed ``folint`` leaves no worker behind.

``die_with_parent()`` is called first thing in every pool initialiser.  On Linux
it asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to kill the worker the
moment its parent dies, even in the middle of a long file; elsewhere (or when
prctl is unavailable) a daemon thread polls ``os.getppid()`` and exits the
worker once it has been re-parented.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0


def _prctl_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int | None = None) -> None:
    """Make this process exit when ``parent`` (default: the current parent) dies.
    Only in a worker (a process multiprocessing started): never the main process."""
    if multiprocessing.parent_process() is None:
        return
    parent = os.getppid() if parent is None else parent
    if not _prctl_pdeathsig():
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="folint-parent-watch").start()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
