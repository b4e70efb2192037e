"""Regularised Benders over subperiods: the loop, the subproblems as Dask tasks, bounds and progress.

Each iteration solves every subperiod at the current point (grouped into tasks, one group's subproblems
kept live on the worker that first built them, so later iterations start warm), adds their cuts to the
master, solves the master (its optimum is the lower bound LB), and picks as the next point the one nearest
the best so far inside the level set {master cost ≤ LB + γ (UB − LB)} (the level set of Pecci and Jenkins
2025 and MacroEnergySolvers.jl; :mod:`~greenzone.optimize.decompose.master`). The upper
bound UB is the master's fixed cost plus the subperiods' operating cost at a point whose dispatch uses no
penalised slack: a real plan whose capacities dispatch over every hour at that cost. It stops when
(UB − LB) / |UB| ≤ the gap.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from greenzone.errors import SolverError
from greenzone.optimize.decompose.layout import DEFAULT_HOURS, Layout, layout
from greenzone.optimize.decompose.master import Cuts, Master
from greenzone.optimize.decompose.subproblem import SLACK_TOLERANCE, Evaluation, Subproblem
from greenzone.optimize.formulation.data import model_data
from greenzone.zone.schema import Zone

log = logging.getLogger("greenzone.decompose")


@dataclass(frozen=True)
class Decomposition:
    """How to decompose an hourly plan (docs/decomposition.md).

    gap : relative gap (UB − LB) / |UB| at which to stop [-] (default 0.1%).
    hours : hours per subperiod [h] (default a week, 168).
    gamma : level-set parameter γ in (0, 1); 0 turns the stabilisation off (plain Benders).
    max_iterations : iterations before giving up (SolverError, with the bounds reached).
    time_limit_s : wall-clock limit of the loop [s], None for none (SolverError when reached).
    parallel : solve the subperiods as Dask tasks (a local cluster unless ``scheduler`` or ``client``);
        False solves them in this process.
    scheduler, client, workers : as :func:`greenzone.parallel.dask_client`.
    groups_per_worker : subperiod groups (tasks) per worker thread.
    retries : times Dask retries a failed group before the run fails (never dropped).
    """

    gap: float = 1e-3
    hours: int = DEFAULT_HOURS
    gamma: float = 0.5
    max_iterations: int = 200
    time_limit_s: float | None = None
    parallel: bool = True
    scheduler: str | None = None
    client: Any = None
    workers: int | None = None
    groups_per_worker: int = 2
    retries: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.gap < 1:
            raise ValueError(f"decomposition gap must lie in (0, 1), e.g. 0.001; got {self.gap!r}")
        if not 0 <= self.gamma < 1:
            raise ValueError(f"decomposition gamma must lie in [0, 1), got {self.gamma!r}")
        if self.max_iterations < 1 or self.groups_per_worker < 1 or self.retries < 0:
            raise ValueError("max_iterations and groups_per_worker must be positive, retries non-negative")


@dataclass
class Progress:
    """Where the loop stands: iteration, bounds [USD/yr] (UB inf until a real plan is found), gap [-]."""

    iteration: int
    lower: float
    upper: float
    gap: float
    elapsed_s: float

    def line(self) -> str:
        upper = "—" if not np.isfinite(self.upper) else f"{self.upper / 1e6:,.4f}"
        gap = "—" if not np.isfinite(self.gap) else f"{self.gap:.3%}"
        return (
            f"decomposition: iteration {self.iteration}, lower {self.lower / 1e6:,.4f}, upper {upper} "
            f"MUSD/yr, gap {gap} ({self.elapsed_s:.0f} s)"
        )


@dataclass
class DecompositionResult:
    """The decomposed optimum: the best real plan's linking vectors ``points`` (W, m), its cost ``upper``
    [USD/yr], the last lower bound, the gap, the per-iteration history and time per stage [s]; ``hourly``:
    each subperiod's hourly values at that point (see :class:`Evaluation`)."""

    layout: Layout
    points: np.ndarray
    upper: float
    lower: float
    gap: float
    iterations: int
    history: list[Progress]
    times: dict[str, float]
    hourly: list[dict[str, np.ndarray]] = field(default_factory=list)
    subproblem_solve_s: float = 0.0
    subproblem_iterations: int = 0
    land_value: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ subperiod groups
@dataclass(frozen=True)
class Group:
    """Subperiods solved by one task: the zone, their hours' profiles, and a key naming their live models."""

    key: str
    zone: Zone
    profiles: xr.Dataset
    year: int | None
    layout: Layout
    subperiods: tuple[int, ...]


_LIVE: dict[str, list[Subproblem]] = {}
"""Subproblems kept live in this process (a Dask worker, or the caller's), by group key."""


def solve_group(group: Group, points: np.ndarray, keep_solution: bool = False) -> list[Evaluation]:
    """Evaluate every subperiod of ``group`` at its row of ``points``; builds the group's subproblems the
    first time this process sees it (a restarted worker rebuilds them and starts cold)."""
    live = _LIVE.get(group.key)
    if live is None:
        offset = group.layout.bounds[group.subperiods[0]]
        live = []
        for w in group.subperiods:
            hours = group.layout.hours(w)
            part = group.profiles.isel(time=slice(hours.start - offset, hours.stop - offset))
            live.append(Subproblem(group.zone, part, group.layout, w, year=group.year))
        _LIVE[group.key] = live
    return [sub.evaluate(z, keep_solution=keep_solution) for sub, z in zip(live, points, strict=True)]


def forget_groups(prefix: str) -> None:
    """Drop the live subproblems of one run (keys starting with ``prefix``)."""
    for key in [k for k in _LIVE if k.startswith(prefix)]:
        del _LIVE[key]


def _same(group: Group) -> Group:
    """The group itself: as a task, it keeps the group's data on a worker (see :class:`_Evaluator`)."""
    return group


def _groups(zone, profiles, year, lay: Layout, n_groups: int) -> list[Group]:
    run = uuid.uuid4().hex
    split = np.array_split(np.arange(lay.n_sub), min(n_groups, lay.n_sub))
    out = []
    for i, ws in enumerate(split):
        hours = slice(lay.bounds[ws[0]], lay.bounds[ws[-1] + 1])
        part = profiles.isel(time=hours)
        out.append(Group(f"{run}/{i}", zone, part, year, lay, tuple(int(w) for w in ws)))
    return out


class _Evaluator:
    """Solves every group at a point, in this process or as Dask tasks pinned to the worker that holds the
    group's live models (another worker takes a group whose worker died, and rebuilds it)."""

    def __init__(self, groups: list[Group], client: Any, retries: int):
        self.groups, self.client, self.retries = groups, client, retries
        self.home: list[str | None] = [None] * len(groups)
        self.specs: list[Any] = list(groups)
        if client is not None:
            workers = sorted(client.scheduler_info()["workers"])
            if workers:
                self.home = [workers[i % len(workers)] for i in range(len(groups))]
            # each group's data travels once, as a task whose result stays on its worker; if that worker
            # dies, the scheduler computes it again wherever the group goes next
            self.specs = [
                client.submit(
                    _same,
                    g,
                    key=f"decomposition-group-{g.key}",
                    workers=None if h is None else [h],
                    allow_other_workers=True,
                )
                for g, h in zip(groups, self.home, strict=True)
            ]

    def __call__(self, points: np.ndarray, keep_solution: bool = False) -> list[Evaluation]:
        chunks = [points[list(g.subperiods)] for g in self.groups]
        if self.client is None:
            results = [solve_group(g, z, keep_solution) for g, z in zip(self.groups, chunks, strict=True)]
        else:
            futures = [
                self.client.submit(
                    solve_group,
                    spec,
                    z,
                    keep_solution,
                    pure=False,
                    retries=self.retries,
                    workers=None if home is None else [home],
                    allow_other_workers=True,
                )
                for spec, z, home in zip(self.specs, chunks, self.home, strict=True)
            ]
            results = []
            for g, future in zip(self.groups, futures, strict=True):
                try:
                    results.append(future.result())
                except Exception as exc:  # a group that failed after its retries stops the run
                    raise SolverError(
                        f"decomposition: subperiods {g.subperiods[0]}–{g.subperiods[-1]} failed after "
                        f"{self.retries} retries ({type(exc).__name__}: {exc}); no subperiod is dropped, so "
                        "the run stops here"
                    ) from exc
        return [e for chunk in results for e in chunk]


# ------------------------------------------------------------------------------------------- the loop
def decompose(
    zone: Zone,
    profiles: xr.Dataset,
    start: np.ndarray,
    *,
    year: int | None = None,
    options: Decomposition | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> DecompositionResult:
    """Plan ``zone`` hourly over ``profiles`` by regularised Benders (module docstring).

    Parameters
    ----------
    start : the first linking vectors (W, m) (:func:`start_points`), e.g. from a typical-day plan.

    Raises
    ------
    SolverError
        when the gap is not reached within ``max_iterations`` or ``time_limit_s``, or a subperiod fails.
    """
    from greenzone.parallel import dask_client

    options = options or Decomposition()
    d = model_data(zone, profiles, year=year)
    lay = layout(d, options.hours)
    if start.shape != (lay.n_sub, lay.size):
        raise ValueError(f"start must have shape {(lay.n_sub, lay.size)}, got {start.shape}")
    if not options.parallel:
        return _loop(zone, profiles, year, d, lay, start, options, None, on_progress)
    with dask_client(client=options.client, scheduler=options.scheduler, workers=options.workers) as client:
        from greenzone.parallel import worker_threads

        result = _loop(
            zone, profiles, year, d, lay, start, options, client, on_progress, worker_threads(client)
        )
    return result


def _loop(zone, profiles, year, d, lay, start, options, client, on_progress, threads=1):
    begin = time.perf_counter()
    master = Master(d, lay)
    groups = _groups(zone, profiles, year, lay, threads * options.groups_per_worker)
    evaluate = _Evaluator(groups, client, options.retries)
    cuts = Cuts()
    times = {"subproblems_s": 0.0, "master_s": 0.0, "level_set_s": 0.0}
    history: list[Progress] = []
    best, upper, upper_penalised, lower = None, np.inf, np.inf, -np.inf
    point, gap, cheapest = start, np.inf, start
    solve_s, solve_iterations = 0.0, 0
    try:
        for iteration in range(1, options.max_iterations + 1):
            t0 = time.perf_counter()
            evals = evaluate(point)
            times["subproblems_s"] += time.perf_counter() - t0
            solve_s += sum(e.run_time_s for e in evals)
            solve_iterations += sum(e.iterations for e in evals)
            cost = master.fixed_cost(point[0, : lay.n_capacity]) + sum(e.value for e in evals)
            if cost < upper_penalised:
                cheapest, upper_penalised = point, cost
            if sum(e.slack for e in evals) <= SLACK_TOLERANCE * lay.n_sub and cost < upper:
                best, upper = point, cost
            cuts.add([e.value for e in evals], np.stack([e.slope for e in evals]), point)
            t0 = time.perf_counter()
            solution, unstabilised, master_lp = master.solve(cuts)
            times["master_s"] += time.perf_counter() - t0
            lower = max(lower, float(solution.objective))
            gap = (upper - lower) / abs(upper) if np.isfinite(upper) else np.inf
            progress = Progress(iteration, lower, upper, gap, time.perf_counter() - begin)
            history.append(progress)
            log.info(progress.line())
            if on_progress is not None:
                on_progress(progress)
            if gap <= options.gap:
                break
            if options.time_limit_s is not None and time.perf_counter() - begin > options.time_limit_s:
                raise SolverError(_unfinished(progress, f"its time limit of {options.time_limit_s:g} s"))
            point = unstabilised
            if options.gamma > 0 and np.isfinite(upper_penalised):
                t0 = time.perf_counter()
                # the stability centre: the best real plan, else the cheapest point with penalties
                centre, top = (best, upper) if best is not None else (cheapest, upper_penalised)
                inside = master.level_point(cuts, lower + options.gamma * (top - lower), centre)
                times["level_set_s"] += time.perf_counter() - t0
                if inside is not None:
                    point = inside[1]
        else:
            raise SolverError(_unfinished(history[-1], f"{options.max_iterations} iterations"))
        t0 = time.perf_counter()
        final = evaluate(best, keep_solution=True)
        times["final_dispatch_s"] = time.perf_counter() - t0
    finally:
        if client is not None and groups:
            prefix = groups[0].key.split("/")[0]
            client.run(forget_groups, prefix)
        elif groups:
            forget_groups(groups[0].key.split("/")[0])
    times["total_s"] = time.perf_counter() - begin
    land = {}
    if "land" in master_lp.constraints:  # the last master's land duals [USD/km^2/yr]
        rows = master_lp.constraint_block("land").coords["node"]
        land = dict(zip(rows, -master_lp.constraint_duals("land", solution.y), strict=True))
    return DecompositionResult(
        layout=lay,
        points=best,
        upper=upper,
        lower=lower,
        gap=gap,
        iterations=len(history),
        history=history,
        times=times,
        hourly=[e.hourly for e in final],
        subproblem_solve_s=solve_s,
        subproblem_iterations=solve_iterations,
        land_value={str(k): float(v) for k, v in land.items()},
    )


def _unfinished(progress: Progress, limit: str) -> str:
    return (
        f"the decomposed plan did not reach its gap within {limit}: {progress.line()}. Raise the limit, "
        "loosen the gap (--gap), or plan on typical days."
    )


def start_points(
    d,
    lay: Layout,
    capacities: np.ndarray,
    *,
    storage_levels: np.ndarray | None = None,
    reservoir_levels: np.ndarray | None = None,
) -> np.ndarray:
    """The first linking vectors (W, m): ``capacities`` (the layout's capacity part, e.g. a typical-day
    plan's) in every subperiod; store levels at each subperiod's start, ``storage_levels`` (s, W) and
    ``reservoir_levels`` (r, W) [MWh] (default half full); each annual limit shared pro rata (the renewable
    share by the subperiod's demand). ``d``: the full horizon's model data."""
    n_w = lay.n_sub
    parts = [np.broadcast_to(capacities, (n_w, capacities.size))]
    nxt = np.roll(np.arange(n_w), -1)
    if lay.n_sto:
        energy = capacities[lay.slices()["storage_energy"]]
        levels = 0.5 * energy[:, None] * np.ones(n_w) if storage_levels is None else storage_levels
        levels = np.minimum(np.maximum(levels, 0.0), energy[:, None])
        parts += [levels.T, levels[:, nxt].T]
    if lay.n_res:
        levels = 0.5 * d.res_storage[:, None] * np.ones(n_w) if reservoir_levels is None else reservoir_levels
        levels = np.minimum(np.maximum(levels, 0.0), d.res_storage[:, None])
        parts += [levels.T, levels[:, nxt].T]
    if lay.n_allocation:
        share = []
        if lay.renewable_share:
            r = d.zone.policy.renewable_share_min
            share.append([(1.0 - r) * float(d.demand[:, lay.hours(w)].sum()) for w in range(n_w)])
        if lay.co2_cap:
            share.append([float(d.zone.policy.co2_cap_t)] * n_w)
        for g in lay.fuel_generators:
            share.append([float(d.fuel_budget[g])] * n_w)
        parts.append(np.array(share).T)
    return np.concatenate(parts, axis=1)
