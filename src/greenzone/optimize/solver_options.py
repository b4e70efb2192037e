"""How HiGHS should solve: :class:`SolverOptions` (method, threads, limits, tolerances), checked by HiGHS when
created, and which interior point the ``"ipm"`` methods run (:func:`interior_point`: HiPO where it is
available, IPX otherwise)."""

from __future__ import annotations

import difflib
import functools
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import highspy
import numpy as np

log = logging.getLogger("greenzone.solve")

__all__ = [
    "INTERIOR_POINT_METHODS",
    "METHODS",
    "Method",
    "SolverOptions",
    "available_cores",
    "interior_point",
]

# highspy.Highs adds Python callbacks and prints a banner when created; the core class it wraps does neither.
HighsCore = getattr(highspy, "_Highs", highspy.Highs)
_HS = highspy.HighsStatus


Method = Literal[
    "simplex", "dual_simplex", "primal_simplex", "ipm", "ipm_no_crossover", "ipx", "pdlp", "choose"
]
METHODS: tuple[str, ...] = get_args(Method)

# HiGHS options each method sets. simplex_strategy: 0 choose, 1 dual, 4 primal.
_METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "simplex": {"solver": "simplex", "simplex_strategy": 0},
    "dual_simplex": {"solver": "simplex", "simplex_strategy": 1},
    "primal_simplex": {"solver": "simplex", "simplex_strategy": 4},
    "ipm": {"solver": "ipm", "run_crossover": "on"},  # "hipo" where it is available: see interior_point()
    "ipm_no_crossover": {"solver": "ipm", "run_crossover": "off"},
    "ipx": {"solver": "ipx", "run_crossover": "on"},  # the older interior point, for comparison
    "pdlp": {"solver": "pdlp"},
    "choose": {"solver": "choose"},
}

# HiGHS options that SolverOptions' own fields set; `extra` may not set them again.
_TYPED_OPTIONS = frozenset(
    {
        "solver",
        "simplex_strategy",
        "run_crossover",
        "threads",
        "time_limit",
        "primal_feasibility_tolerance",
        "dual_feasibility_tolerance",
        "ipm_optimality_tolerance",
        "presolve",
        "random_seed",
        "output_flag",
        "log_to_console",
    }
)


def new_highs() -> Any:
    """A fresh, silent HiGHS model (the core class: no Python callbacks, no banner)."""
    highs = HighsCore()
    highs.setOptionValue("output_flag", False)
    return highs


INTERIOR_POINT_METHODS = ("ipm", "ipm_no_crossover", "ipx")
"""Methods that run one of HiGHS's interior points: ``ipm`` and ``ipm_no_crossover`` HiPO where it is
available (IPX otherwise), ``ipx`` always IPX."""


@functools.cache
def interior_point() -> str:
    """The interior-point solver the methods ``"ipm"`` and ``"ipm_no_crossover"`` run: ``"hipo"``, HiGHS's new
    interior point (highspy 1.15.1 with highspy-extras 1.15.1, as pyproject pins them), or ``"ipx"`` where HiPO
    is missing (said once in the log). HiPO solved the hourly Karabakh year in 310 s where IPX had not
    converged in 900 s (docs/benchmarks.md)."""
    if new_highs().setOptionValue("solver", "hipo") == _HS.kOk:
        return "hipo"
    version = getattr(highspy, "__version__", None) or new_highs().version()
    log.warning(
        "HiGHS's interior point HiPO is not available in highspy %s (it needs highspy==1.15.1 with "
        "highspy-extras==1.15.1, as greenzone's pyproject pins them): the interior-point methods run IPX",
        version,
    )
    return "ipx"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the system tells it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


@dataclass(frozen=True)
class SolverOptions:
    """How HiGHS should solve: method, limits, tolerances. Validated when created.

    Parameters
    ----------
    method : {"dual_simplex", "primal_simplex", "simplex", "ipm", "ipm_no_crossover", "ipx", "pdlp", "choose"}
        ``"simplex"`` lets HiGHS choose the simplex variant; ``"ipm"`` is the interior-point method (HiPO where
        it is available, else IPX: :func:`interior_point`) with crossover to a basic solution (vertex prices
        for the report), ``"ipm_no_crossover"`` without (faster where an interior optimum serves, e.g. an
        adequacy or sweep case); ``"ipx"`` is HiGHS's older interior point IPX with crossover, for comparison; ``"pdlp"`` is HiGHS's first-order
        method (loose tolerances, slow on small problems); ``"choose"`` lets HiGHS pick. Default
        ``"dual_simplex"``, the fastest measured on hourly energy-system LPs (docs: "Why a thin LP layer").
    threads : int, optional
        Number of threads; ``None``: every core this process may use for the interior-point methods (HiPO's
        factorisation is parallel), HiGHS's own choice for the others (the simplex is serial).
    time_limit_s : float, optional
        Wall-clock limit [s]; ``None`` for none. Hitting it gives :attr:`Status.TIME_LIMIT`.
    primal_feasibility_tolerance, dual_feasibility_tolerance : float
        HiGHS's absolute feasibility tolerances, in the units of the rows and the costs (default 1e-7).
    ipm_optimality_tolerance : float
        Relative duality gap at which the interior-point method stops (default 1e-8).
    presolve : bool
        Run HiGHS's presolve (default ``True``).
    random_seed : int
        HiGHS's random seed (default 0): same LP, options and seed give the same result.
    log_to_console : bool
        Show HiGHS's log (default ``False``).
    extra : mapping of str to bool, int, float or str
        Other HiGHS options by their HiGHS name (e.g. ``{"simplex_iteration_limit": 1000}``); names that the
        fields above set are refused.

    Raises
    ------
    ValueError
        If a value is out of range, the method is unknown, or HiGHS refuses an option.
    """

    method: Method = "dual_simplex"
    threads: int | None = None
    time_limit_s: float | None = None
    primal_feasibility_tolerance: float = 1e-7
    dual_feasibility_tolerance: float = 1e-7
    ipm_optimality_tolerance: float = 1e-8
    presolve: bool = True
    random_seed: int = 0
    log_to_console: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            close = difflib.get_close_matches(str(self.method), METHODS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown solver method {self.method!r}: choose one of {METHODS}{hint}")
        if self.threads is not None and (not _is_int(self.threads) or self.threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {self.threads!r}")
        if self.time_limit_s is not None and (not _is_real(self.time_limit_s) or not self.time_limit_s > 0):
            raise ValueError(
                f"time_limit_s must be a positive number of seconds or None (no limit), got {self.time_limit_s!r}"
            )
        for name in (
            "primal_feasibility_tolerance",
            "dual_feasibility_tolerance",
            "ipm_optimality_tolerance",
        ):
            value = getattr(self, name)
            if not _is_real(value) or not 0 < value < 1:
                raise ValueError(f"{name} must be a number between 0 and 1 (e.g. 1e-7), got {value!r}")
        for name in ("presolve", "log_to_console"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not _is_int(self.random_seed) or self.random_seed < 0:
            raise ValueError(f"random_seed must be a non-negative integer, got {self.random_seed!r}")
        if not isinstance(self.extra, Mapping):
            raise ValueError(f"extra must be a mapping of HiGHS option names to values, got {self.extra!r}")
        clash = sorted(set(self.extra) & _TYPED_OPTIONS)
        if clash:
            raise ValueError(
                f"extra sets {clash}, which SolverOptions' own fields control; use method=, threads=, "
                "time_limit_s=, the tolerance fields, presolve=, random_seed= or log_to_console= instead"
            )
        object.__setattr__(self, "extra", _FrozenMapping(self.extra))
        apply_options(new_highs(), self)  # HiGHS checks names, types and ranges

    def __hash__(self) -> int:
        fields = tuple(getattr(self, name) for name in self.__dataclass_fields__ if name != "extra")
        return hash((fields, tuple(sorted(self.extra.items()))))

    def resolved_threads(self) -> int | None:
        """The thread count HiGHS is given: ``threads``, or every core for the interior-point methods."""
        if self.threads is not None:
            return int(self.threads)
        return available_cores() if self.method in INTERIOR_POINT_METHODS else None

    def interior_point(self) -> str:
        """``"hipo"`` or ``"ipx"``: the interior point these settings run, ``""`` for the other methods."""
        solver = self.highs_options()["solver"]
        return solver if solver in ("hipo", "ipx") else ""

    def highs_options(self) -> dict[str, bool | int | float | str]:
        """The HiGHS options these settings stand for, by HiGHS name."""
        options: dict[str, Any] = dict(_METHOD_OPTIONS[self.method])
        threads = self.resolved_threads()
        if threads is not None:
            options["threads"] = threads
        if options["solver"] == "ipm":  # ipm and ipm_no_crossover: name the interior point that runs
            options["solver"] = interior_point()
        options["time_limit"] = math.inf if self.time_limit_s is None else float(self.time_limit_s)
        options["primal_feasibility_tolerance"] = float(self.primal_feasibility_tolerance)
        options["dual_feasibility_tolerance"] = float(self.dual_feasibility_tolerance)
        options["ipm_optimality_tolerance"] = float(self.ipm_optimality_tolerance)
        options["presolve"] = "on" if self.presolve else "off"
        options["random_seed"] = int(self.random_seed)
        options["output_flag"] = self.log_to_console
        options["log_to_console"] = self.log_to_console
        options.update(self.extra)
        return options


class _FrozenMapping(Mapping):
    """A read-only, picklable copy of a mapping (SolverOptions.extra)."""

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items())))

    def __repr__(self) -> str:
        return repr(self._items)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def apply_options(highs: Any, options: SolverOptions) -> None:
    """Set ``options`` on a HiGHS model; an option HiGHS does not know, or refuses, is a ValueError."""
    for name, value in options.highs_options().items():
        kind = highs.getOptionType(name)[0]
        if kind != _HS.kOk:
            close = difflib.get_close_matches(name, _known_option_names(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"HiGHS has no option {name!r}{hint}")
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if highs.setOptionValue(name, value) == _HS.kError:
            raise ValueError(f"HiGHS refused option {name}={value!r} (wrong type or out of range)")


def _known_option_names() -> list[str]:
    return [name for name in dir(highspy.HighsOptions) if not name.startswith("_")]
