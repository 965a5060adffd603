"""String-valued Enums for the words that cross modules (verdicts; the simulator's path
statuses and event kinds live in ``folint.sim.state`` on the same base).

A member is a ``str``: it compares equal to its value, hashes like it, prints and
formats as it and is written to JSON and SARIF as it, so output stays byte-identical
to the plain strings these replace (Python 3.10 has no ``enum.StrEnum``; this base
behaves the same on 3.10 to 3.13).
"""

from __future__ import annotations

from enum import Enum


class StrEnum(str, Enum):
    """A str-valued Enum that reads as its value everywhere."""

    __hash__ = str.__hash__
    __format__ = str.__format__

    def __str__(self) -> str:
        return self.value


class Verdict(StrEnum):
    """What the simulator says of a finding."""

    CONFIRMED = "confirmed"  # a path shows the bug
    REFUTED = "refuted"  # every path was explored and none shows it
    INCONCLUSIVE = "inconclusive"  # the simulation could not decide (the evidence says why)
    UNVERIFIED = "unverified"  # not simulated (no oracle, or --no-simulate)
