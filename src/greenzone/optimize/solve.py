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

How HiGHS is asked to solve (:class:`SolverOptions`, the interior-point choice) lives in
:mod:`greenzone.optimize.solver_options`; its names are importable from here too.

:class:`PersistentSolver` keeps one HiGHS model alive: changes to bounds, right-hand sides and costs are pushed
into it and the next solve starts from the previous basis (simplex methods; the interior-point and PDLP
methods start afresh).
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np

from greenzone.errors import InfeasibleError, SolverError
from greenzone.optimize.lp import LinearProgram
from greenzone.optimize.solver_options import (
    INTERIOR_POINT_METHODS,
    METHODS,
    HighsCore,
    Method,
    SolverOptions,
    apply_options,
    available_cores,
    interior_point,
    new_highs,
)

log = logging.getLogger("greenzone.solve")

# SolverOptions and the interior-point choice live in solver_options.py; their names are kept here, where
# every caller has always imported them from.
__all__ = [
    "INTERIOR_POINT_METHODS",
    "METHODS",
    "IterationCounts",
    "Method",
    "PersistentSolver",
    "Solution",
    "SolverOptions",
    "Status",
    "available_cores",
    "interior_point",
    "require_optimal",
    "solve",
]

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
    highs = new_highs()
    apply_options(highs, options)
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
        self._highs = new_highs()
        apply_options(self._highs, self.options)
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
            apply_options(self._highs, replace(self.options, method="ipm"))
            try:
                solution = _run(self._highs, self.lp, replace(self.options, method="ipm"))
            finally:
                apply_options(self._highs, self.options)
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


_SCHEDULER_PER_THREAD = hasattr(HighsCore, "resetThreadScheduler")
_reset_scheduler = getattr(HighsCore, "resetThreadScheduler", None) or HighsCore.resetGlobalScheduler
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
