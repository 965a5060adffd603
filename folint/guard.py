"""The one place an exception in a rule, an index summariser or an oracle is caught.

Like flake8's ``FileChecker.run_check``: every call into plugin code goes through
:func:`run_check`, which returns the call's value, or a :class:`Failed` after
turning the exception into one ``FileError`` line, so a bug in one rule (or a
file nested deeper than the analysis can follow) never ends the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from folint import flow
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
