"""The one place an exception in a rule, an index summariser or an oracle is caught,
and where a file's time and memory budgets are kept (:func:`within_budget`).

Like flake8's ``FileChecker.run_check``: every call into plugin code goes through
:func:`run_check`, which returns the call's value, or a :class:`Failed` after
turning the exception into one ``FileError`` line, so a bug in one rule (or a
file nested deeper than the analysis can follow) never ends the run.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from folint import flow
from folint.config import DEFAULT_MEMORY_BUDGET, DEFAULT_TIME_BUDGET
from folint.finding import FileError


@dataclass
class Failed:
    """What :func:`run_check` returns when the call raised."""

    too_deep: bool  # RecursionError / flow.TooDeep: the code is nested too deeply
    error: BaseException

    @property
    def name(self) -> str:
        return type(self.error).__name__


def run_check(fn: Callable, *args, path: str, errors: list[FileError], what: str,
              too_deep: str | None = None, consequence: str = ""):
    """``fn(*args)``, or a :class:`Failed` when it raised.

    ``what`` names the check in the error line ("FOL004", "tree index", "line 12:
    FOL003 simulation"); ``too_deep``: the line's text when the code is nested too
    deeply (None: no line); ``consequence``: what the failure costs, said before the
    request to report it ("file left out of the index; ")."""
    try:
        return fn(*args)
    except (RecursionError, flow.TooDeep) as e:
        if too_deep is not None:
            errors.append(FileError(path, f"{what}: {too_deep}"))
        return Failed(True, e)
    except Exception as e:  # a plugin bug must not end the run
        errors.append(FileError(path, f"{what}: internal error {type(e).__name__}: {e}; {consequence}"
                                      f"please report it with this file"))
        return Failed(False, e)


# -- per-file budgets ---------------------------------------------------------
#
# A file is checked within a CPU-time budget and an estimated memory budget, so one
# huge or hostile file is one error line and the run goes on.  Memory is estimated
# before parsing from the file's size: the parse tree, the node records and the
# rules' analyses take up to about BYTES_PER_SOURCE_BYTE bytes a byte of source
# (measured: 1 MB and 4 MB of dense generated functions, 100 and 95; mm/memory.c 45).
# Time is CPU time (ITIMER_PROF), not wall time, so a busy machine does not fail a
# file that a quiet one would check.

BYTES_PER_SOURCE_BYTE = 100


class OverBudget(BaseException):
    """Raised in the middle of a check when its time is up.  A BaseException, so no
    ``except Exception`` in a rule or in :func:`run_check` takes it for a bug."""


@dataclass(frozen=True)
class Budget:
    """A file's budget (``file-time-budget``, ``file-memory-budget``; defaults in folint.config)."""

    seconds: float = DEFAULT_TIME_BUDGET
    mebibytes: int = DEFAULT_MEMORY_BUDGET

    @classmethod
    def of(cls, config) -> "Budget":
        return cls(config.file_time_budget, config.file_memory_budget)

    def memory_error(self, size: int) -> str | None:
        """Why a file of ``size`` bytes is not checked, or None when it fits."""
        need = size * BYTES_PER_SOURCE_BYTE
        if not self.mebibytes or need <= self.mebibytes << 20:
            return None
        return (f"skipped: {size} bytes would take about {need >> 20} MiB to check, more than the per-file "
                f"budget of {self.mebibytes} MiB (raise file-memory-budget in .folint.toml to check it)")

    def time_error(self) -> str:
        return (f"stopped after {self.seconds:g} s of CPU time, the per-file budget: no findings for this file "
                f"(raise file-time-budget in .folint.toml to check it)")


def within_budget(budget: Budget, size: int, fn: Callable, *args, over: Callable[[str], object],
                  max_size: int | None = None):
    """``fn(*args)`` when a file of ``size`` bytes fits ``budget`` and the call ends
    within its CPU time; else ``over(message)`` (the one error line's text).
    A file over ``max_size`` (max-file-size) is not estimated: reading it refuses it,
    or skips it silently when it holds none of the rules' needles."""
    why = budget.memory_error(size) if max_size is None or size <= max_size else None
    if why is not None:
        return over(why)
    if not budget.seconds or not _can_time():
        return fn(*args)
    previous = signal.signal(signal.SIGPROF, _time_is_up)
    signal.setitimer(signal.ITIMER_PROF, budget.seconds)
    try:
        return fn(*args)
    except OverBudget:
        return over(budget.time_error())
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _time_is_up(_signum, _frame):
    raise OverBudget()


def _can_time() -> bool:
    """Signals can only be handled in the main thread, and ITIMER_PROF is POSIX."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
