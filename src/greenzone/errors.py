"""One error family for everything a user can get wrong or a solver can refuse.

The CLI prints the message of a :class:`GreenzoneError` and exits with its ``exit_code``; it never shows a
traceback for one. Messages name the file, the field and how to fix the problem.
"""

from __future__ import annotations


class GreenzoneError(Exception):
    """Base class of every error greenzone raises on purpose."""

    exit_code = 1


class ZoneError(GreenzoneError):
    """A zone file (or a file it refers to) is missing, malformed or inconsistent."""

    exit_code = 2


class WeatherError(GreenzoneError):
    """Weather input is missing, malformed, has gaps, or lacks a variable, site or river that is needed."""

    exit_code = 2


class CalibrationError(GreenzoneError):
    """Observed output cannot be read, does not match the zone or its weather, or cannot identify a factor
    within its bounds (``greenzone calibrate``)."""

    exit_code = 2


class OutputError(GreenzoneError):
    """An output location cannot be used: it is, holds or lies inside an input, is a file where a folder is
    meant, holds files greenzone did not write, or cannot be written."""

    exit_code = 2


class InfeasibleError(GreenzoneError):
    """The planning or operation problem has no solution; the message says why in the zone's terms."""

    exit_code = 3


class SolverError(GreenzoneError):
    """The solver failed, hit a time limit or returned something that is not an optimum."""

    exit_code = 4
