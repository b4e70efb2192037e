"""Solve a :class:`~greenzone.optimize.lp.LinearProgram` with HiGHS, and say honestly how it went.

The matrix goes to HiGHS directly (numpy → ``highspy.HighsLp``, no files). HiGHS's model status is converted
once, here, into :class:`Status`; a :class:`Solution` carries primal values, row duals and reduced costs only
when the status is :attr:`Status.OPTIMAL`: a point HiGHS stopped at for any other reason (time limit,
iteration limit, numerical trouble) is never reported as a result. :func:`require_optimal` turns any other
status into a :class:`~greenzone.errors.SolverError` or :class:`~greenzone.errors.InfeasibleError`.

Sign conventions (HiGHS's, for a minimisation):

* ``Solution.y[i]`` (row dual) is the change of the optimal objective per unit increase of row ``i``'s
  right-hand side. The dual of an ``==`` balance row ``generation - ... == demand`` is the marginal cost of one
  more unit of demand: positive when more demand costs more (the nodal price, e.g. [USD/MWh]). A binding
  ``<=`` row has a dual ``<= 0``, a binding ``>=`` row a dual ``>= 0``.
* ``Solution.reduced_costs = c - A.T @ y``: ``>= 0`` for a column at its lower bound, ``<= 0`` at its upper
  bound, ``0`` for a basic column.

:class:`PersistentSolver` keeps one HiGHS model alive: changes to bounds, right-hand sides and costs are pushed
into it and the next solve starts from the previous basis (simplex methods; the interior-point and PDLP
methods start afresh).
"""

from __future__ import annotations

import difflib
import enum
import functools
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import highspy
import numpy as np

from greenzone.errors import InfeasibleError, SolverError
from greenzone.optimize.lp import LinearProgram

log = logging.getLogger("greenzone.solve")

__all__ = [
    "METHODS",
    "IterationCounts",
    "Method",
    "PersistentSolver",
    "Solution",
    "SolverOptions",
    "Status",
    "require_optimal",
    "solve",
]

# highspy.Highs adds Python callbacks and prints a banner when created; the core class it wraps does neither.
_HighsCore = getattr(highspy, "_Highs", highspy.Highs)
_HS = highspy.HighsStatus
_MS = highspy.HighsModelStatus


class Status(enum.Enum):
    """Outcome of a solve, converted once from HiGHS's model status."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible or unbounded"
    TIME_LIMIT = "time limit"
    ITERATION_LIMIT = "iteration limit"
    NUMERICAL_ERROR = "numerical error"
    OTHER = "other"


_STATUS = {
    _MS.kOptimal: Status.OPTIMAL,
    _MS.kInfeasible: Status.INFEASIBLE,
    _MS.kUnbounded: Status.UNBOUNDED,
    _MS.kUnboundedOrInfeasible: Status.INFEASIBLE_OR_UNBOUNDED,
    _MS.kTimeLimit: Status.TIME_LIMIT,
    _MS.kIterationLimit: Status.ITERATION_LIMIT,
    _MS.kSolveError: Status.NUMERICAL_ERROR,
    _MS.kPostsolveError: Status.NUMERICAL_ERROR,
    _MS.kPresolveError: Status.NUMERICAL_ERROR,
}

_RETRY = frozenset({Status.OTHER, Status.NUMERICAL_ERROR})
"""Outcomes of a warm-started solve worth a second attempt (see :meth:`PersistentSolver.solve`)."""

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


def _new_core() -> Any:
    highs = _HighsCore()
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
    if _new_core().setOptionValue("solver", "hipo") == _HS.kOk:
        return "hipo"
    version = getattr(highspy, "__version__", None) or _new_core().version()
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
        _apply_options(_new_core(), self)  # HiGHS checks names, types and ranges

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


def _apply_options(highs: Any, options: SolverOptions) -> None:
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


@dataclass(frozen=True)
class IterationCounts:
    """Iterations of each HiGHS algorithm in one solve."""

    simplex: int = 0
    ipm: int = 0
    crossover: int = 0
    pdlp: int = 0

    @property
    def total(self) -> int:
        """Sum over all algorithms."""
        return self.simplex + self.ipm + self.crossover + self.pdlp


@dataclass(frozen=True, eq=False)
class Solution:
    """What one solve produced. Values are there only when :attr:`status` is :attr:`Status.OPTIMAL`.

    Attributes
    ----------
    status : Status
        Outcome of the solve.
    objective : float
        Optimal objective value, including the LP's constant (e.g. [USD/yr]); NaN unless optimal.
    x : numpy.ndarray or None
        Primal values of all columns (read-only); ``None`` unless optimal. Read one block with
        :meth:`LinearProgram.variable_values`.
    y : numpy.ndarray or None
        Row duals (read-only; sign convention in the module docstring); ``None`` unless optimal. Read one
        block with :meth:`LinearProgram.constraint_duals`.
    reduced_costs : numpy.ndarray or None
        Column duals ``c - A.T @ y`` (read-only); ``None`` unless optimal.
    solver : str
        ``"highs"``.
    solver_version : str
        HiGHS version, e.g. ``"1.16.0"``.
    method : str
        The :class:`SolverOptions` method used.
    interior_point : str
        ``"hipo"`` or ``"ipx"`` for an interior-point method (:func:`interior_point`), ``""`` otherwise.
    run_time_s : float
        Wall-clock time of the solve [s].
    iterations : IterationCounts
        Simplex, interior-point, crossover and PDLP iterations.
    message : str
        HiGHS's own words for the outcome, with the limit that stopped it if any.
    """

    status: Status
    objective: float
    x: np.ndarray | None
    y: np.ndarray | None
    reduced_costs: np.ndarray | None
    solver: str
    solver_version: str
    method: str
    run_time_s: float
    iterations: IterationCounts
    message: str
    interior_point: str = ""

    @property
    def ok(self) -> bool:
        """True only when the solve reached a proven optimum."""
        return self.status is Status.OPTIMAL

    def __repr__(self) -> str:
        return (
            f"Solution(status={self.status.name}, objective={self.objective:.10g}, method={self.method!r}, "
            f"run_time_s={self.run_time_s:.3g}, iterations={self.iterations.total})"
        )


def require_optimal(solution: Solution, what: str = "the linear program") -> Solution:
    """Return ``solution`` if it is optimal, else raise an error that says what happened.

    Parameters
    ----------
    solution : Solution
        Result of :func:`solve` or :meth:`PersistentSolver.solve`.
    what : str
        What was solved, for the message (e.g. ``"the plan for zone 'karabakh'"``).

    Returns
    -------
    Solution
        The same solution.

    Raises
    ------
    InfeasibleError
        If the problem is infeasible, unbounded, or one of the two.
    SolverError
        If HiGHS stopped before proving optimality (time or iteration limit, numerical trouble, other).
    """
    status = solution.status
    if status is Status.OPTIMAL:
        return solution
    stats = (
        f"(HiGHS {solution.solver_version}, method {solution.method!r}: {solution.message}; "
        f"{solution.iterations.total} iterations in {solution.run_time_s:.3g} s)"
    )
    others = ", ".join(repr(m) for m in ("dual_simplex", "ipm", "primal_simplex") if m != solution.method)
    if status is Status.INFEASIBLE:
        raise InfeasibleError(
            f"{what} has no feasible solution: its constraints contradict each other {stats}."
        )
    if status is Status.UNBOUNDED:
        raise InfeasibleError(
            f"{what} is unbounded: its cost can be lowered without limit, so a variable with a negative cost "
            f"lacks an upper bound {stats}."
        )
    if status is Status.INFEASIBLE_OR_UNBOUNDED:
        raise InfeasibleError(
            f"{what} is infeasible or unbounded; HiGHS could not tell which {stats}. Solving again with "
            "presolve=False and method='dual_simplex' tells them apart."
        )
    if status in (Status.TIME_LIMIT, Status.ITERATION_LIMIT):
        if status is Status.TIME_LIMIT:
            limit, raise_it = "time limit", "SolverOptions(time_limit_s=...)"
        else:
            limit, raise_it = "iteration limit", "the *_iteration_limit option in SolverOptions(extra=...)"
        raise SolverError(
            f"{what} was not solved: HiGHS reached its {limit} {stats}. The point it stopped at is not an "
            f"optimum and is not reported. Increase {raise_it}, or try another method ({others})."
        )
    if status is Status.NUMERICAL_ERROR:
        raise SolverError(
            f"{what} was not solved: HiGHS ran into numerical trouble {stats}. Check the coefficient ranges "
            f"with greenzone.optimize.numerics.check_numerics, or try another method ({others})."
        )
    raise SolverError(
        f"{what} was not solved: HiGHS ended without an optimum {stats}. Try another method ({others}), or "
        "log_to_console=True to see HiGHS's log."
    )


def solve(lp: LinearProgram, options: SolverOptions | None = None) -> Solution:
    """Solve ``lp`` once with HiGHS.

    Parameters
    ----------
    lp : LinearProgram
        The problem (a minimisation).
    options : SolverOptions, optional
        Method, limits and tolerances; default ``SolverOptions()``.

    Returns
    -------
    Solution
        Check it with :attr:`Solution.ok` or :func:`require_optimal` before using its values.
    """
    options = SolverOptions() if options is None else options
    highs = _new_core()
    _apply_options(highs, options)
    _pass_model(highs, lp)
    return _run(highs, lp, options)


class PersistentSolver:
    """One live HiGHS model of an LP, re-solved after changes to bounds, right-hand sides and costs.

    Changes go through the LP (so the LP always describes what is solved) and are pushed into HiGHS at the
    next :meth:`solve`, which starts from the previous basis. Changes made directly with
    :meth:`LinearProgram.update_bounds`, :meth:`~LinearProgram.update_rhs` or
    :meth:`~LinearProgram.update_costs` are picked up the same way. If blocks are added to the LP, the next
    solve passes the whole model again and starts cold.

    Parameters
    ----------
    lp : LinearProgram
        The problem.
    options : SolverOptions, optional
        As for :func:`solve`. Warm starts help the simplex methods; the interior-point and PDLP methods
        start afresh each time.

    Examples
    --------
    ::

        solver = PersistentSolver(lp)
        first = require_optimal(solver.solve())
        solver.change_rhs("balance", demand_next_window)
        second = require_optimal(solver.solve())
    """

    def __init__(self, lp: LinearProgram, options: SolverOptions | None = None) -> None:
        self.lp = lp
        self.options = SolverOptions() if options is None else options
        self._highs = _new_core()
        _apply_options(self._highs, self.options)
        self._load()

    def _load(self) -> None:
        _pass_model(self._highs, self.lp)
        self._structure_version = self.lp._structure_version
        self._synced = len(self.lp._changes)

    def change_col_bounds(
        self,
        block: str,
        lower: float | np.ndarray | None = None,
        upper: float | np.ndarray | None = None,
    ) -> None:
        """Change a variable block's bounds (see :meth:`LinearProgram.update_bounds`)."""
        self.lp.update_bounds(block, lower=lower, upper=upper)

    def change_rhs(self, block: str, rhs: float | np.ndarray) -> None:
        """Change a constraint block's right-hand side (see :meth:`LinearProgram.update_rhs`)."""
        self.lp.update_rhs(block, rhs)

    def change_costs(self, block: str, cost: float | np.ndarray) -> None:
        """Change a variable block's costs (see :meth:`LinearProgram.update_costs`)."""
        self.lp.update_costs(block, cost)

    def solve(self) -> Solution:
        """Push pending changes into HiGHS and solve, warm-starting from the last basis.

        A warm start that ends without a verdict (HiGHS's "unknown" status or a numerical error, which a
        stale basis can cause after large bound changes) is retried once from scratch and then, for simplex
        methods, once with the interior-point method; an infeasible, unbounded or time-limited solve is
        returned as it is."""
        self._sync()
        solution = _run(self._highs, self.lp, self.options)
        if solution.status in _RETRY:
            log.info("warm-started solve ended %s; solving again from scratch", solution.status.value)
            self._highs.clearSolver()
            solution = _run(self._highs, self.lp, self.options)
        if solution.status in _RETRY and self.options.method not in INTERIOR_POINT_METHODS:
            log.info(
                "the solve from scratch ended %s; trying the interior-point method", solution.status.value
            )
            _apply_options(self._highs, replace(self.options, method="ipm"))
            try:
                solution = _run(self._highs, self.lp, replace(self.options, method="ipm"))
            finally:
                _apply_options(self._highs, self.options)
        return solution

    def _sync(self) -> None:
        lp = self.lp
        if lp._structure_version != self._structure_version:
            self._load()
            return
        pending = dict.fromkeys(lp._changes[self._synced :])  # ordered, without repeats
        for kind, name in pending:
            if kind == "objective_constant":
                _check(self._highs.changeObjectiveOffset(lp.objective_constant), "changeObjectiveOffset")
                continue
            block = lp.variable_block(name) if kind in ("col_bounds", "cost") else lp.constraint_block(name)
            sl = slice(block.offset, block.offset + block.size)
            index = block.index.ravel().astype(np.int32)
            if kind == "col_bounds":
                status = self._highs.changeColsBounds(
                    block.size, index, _inf(lp.col_lower[sl]), _inf(lp.col_upper[sl])
                )
            elif kind == "cost":
                status = self._highs.changeColsCost(block.size, index, np.ascontiguousarray(lp.col_cost[sl]))
            else:
                status = self._highs.changeRowsBounds(
                    block.size, index, _inf(lp.row_lower[sl]), _inf(lp.row_upper[sl])
                )
            _check(status, f"changing {kind.replace('_', ' ')} of block {name!r}")
        self._synced = len(lp._changes)

    def close(self) -> None:
        """Free HiGHS's memory; the solver cannot be used afterwards."""
        self._highs.clear()

    def __enter__(self) -> PersistentSolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------- internals
def _inf(values: np.ndarray) -> np.ndarray:
    """Map ±numpy.inf to HiGHS's infinity (the same value in highspy 1.16, 1e30 in some builds)."""
    out = np.array(values, dtype=np.float64)
    if highspy.kHighsInf != np.inf:
        out[np.isposinf(out)] = highspy.kHighsInf
        out[np.isneginf(out)] = -highspy.kHighsInf
    return out


def _check(status: Any, operation: str) -> None:
    if status == _HS.kError:
        raise SolverError(f"HiGHS refused {operation}; run with log_to_console=True to see why.")


def _pass_model(highs: Any, lp: LinearProgram) -> None:
    matrix = lp.to_csc()
    model = highspy.HighsLp()
    model.num_col_ = lp.num_variables
    model.num_row_ = lp.num_constraints
    model.sense_ = highspy.ObjSense.kMinimize
    model.offset_ = lp.objective_constant
    model.col_cost_ = np.ascontiguousarray(lp.col_cost, dtype=np.float64)
    model.col_lower_ = _inf(lp.col_lower)
    model.col_upper_ = _inf(lp.col_upper)
    model.row_lower_ = _inf(lp.row_lower)
    model.row_upper_ = _inf(lp.row_upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_ = lp.num_variables
    model.a_matrix_.num_row_ = lp.num_constraints
    model.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    model.a_matrix_.index_ = matrix.indices.astype(np.int32)
    model.a_matrix_.value_ = np.ascontiguousarray(matrix.data, dtype=np.float64)
    _check(highs.passModel(model), "the LP")


_SCHEDULER_PER_THREAD = hasattr(_HighsCore, "resetThreadScheduler")
_reset_scheduler = getattr(_HighsCore, "resetThreadScheduler", None) or _HighsCore.resetGlobalScheduler
_scheduler_threads: dict[int, int] = {}
"""Thread count of HiGHS's scheduler, by the Python thread that started it."""


def _use_threads(threads: int | None) -> None:
    """Start HiGHS's thread scheduler afresh when a solve asks for another thread count than it was started
    with (run() fails otherwise). HiGHS 1.16 keeps one scheduler per calling thread, 1.15 one per process."""
    if threads is None:
        return
    key = threading.get_ident() if _SCHEDULER_PER_THREAD else 0
    if _scheduler_threads.get(key) != threads:
        _reset_scheduler(True)
        _scheduler_threads[key] = threads


def _run(highs: Any, lp: LinearProgram, options: SolverOptions) -> Solution:
    _use_threads(options.resolved_threads())
    start = time.perf_counter()
    run_status = highs.run()
    run_time = time.perf_counter() - start
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    iterations = IterationCounts(
        simplex=max(int(info.simplex_iteration_count), 0),
        ipm=max(int(info.ipm_iteration_count), 0),
        crossover=max(int(info.crossover_iteration_count), 0),
        pdlp=max(int(info.pdlp_iteration_count), 0),
    )
    message = highs.modelStatusToString(model_status)
    status = _STATUS.get(model_status, Status.OTHER)
    if model_status == _MS.kModelEmpty:
        status, message = _empty_model(lp)
    elif model_status == _MS.kNotset and run_status == _HS.kError:
        message = "HiGHS refused to run (see its log with log_to_console=True)"
    if status is Status.TIME_LIMIT:
        message += f" (time_limit_s={options.time_limit_s})"
    common = {
        "solver": "highs",
        "solver_version": highs.version(),
        "method": options.method,
        "interior_point": options.interior_point(),
        "run_time_s": run_time,
        "iterations": iterations,
    }
    if status is not Status.OPTIMAL:
        return Solution(status, math.nan, None, None, None, message=message, **common)
    if model_status == _MS.kModelEmpty:
        x, y, reduced_costs = np.zeros(0), np.zeros(lp.num_constraints), np.zeros(0)
        objective = lp.objective_constant
    else:
        result = highs.getSolution()
        if not (result.value_valid and result.dual_valid):
            message = f"HiGHS reported {message!r} without a primal and dual solution"
            return Solution(Status.OTHER, math.nan, None, None, None, message=message, **common)
        x = np.asarray(result.col_value, dtype=np.float64)
        y = np.asarray(result.row_dual, dtype=np.float64)
        reduced_costs = np.asarray(result.col_dual, dtype=np.float64)
        objective = float(info.objective_function_value)
    for array in (x, y, reduced_costs):
        array.flags.writeable = False
    return Solution(status, objective, x, y, reduced_costs, message=message, **common)


def _empty_model(lp: LinearProgram) -> tuple[Status, str]:
    """HiGHS calls an LP without columns 'empty' even when a row bound excludes 0; decide here."""
    if lp.num_variables:
        return Status.OTHER, "HiGHS reported an empty model for an LP with columns"
    feasible = bool(np.all(lp.row_lower <= 0.0) and np.all(lp.row_upper >= 0.0))
    if feasible:
        return Status.OPTIMAL, "Optimal (no variables)"
    return Status.INFEASIBLE, "Infeasible (no variables, and a row's bounds exclude 0)"
