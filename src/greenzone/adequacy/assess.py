"""Adequacy: does the planned fleet keep the lights on over many weather years, with units failing at random?

``assess(zone, plan, weather_years=30, outages=True)`` dispatches the plan's capacities (fixed) over every
weather year, one year per task, the tasks spread over worker processes:

1. **Profiles of the year.** The weather year's capacity factors and inflows, with the demand of the plan's
   year on that year's calendar (:func:`greenzone.profiles` with ``year=``).
2. **Outages** (``outages=True``): every unit, link circuit and grid circuit is a two-state Markov chain with
   its forced-outage rate and mean time to repair, seeded by (seed, year)
   (:func:`greenzone.adequacy.outages.sample_availability`); the available share scales each asset's limits.
3. **Dispatch.** :func:`greenzone.operate` with the perfect forecast: rolling windows of ``horizon`` hours
   committing ``step`` hours, capacities fixed, storage and reservoirs aiming at the plan's levels at each
   window's end (the plan's trajectory moved onto the weather year by hour of year), load shed at the value
   of lost load only when nothing else can serve it (whatever ``policy.allow_unserved`` says).
4. **Figures.** An hour is a *loss-of-load hour* when the zone's unserved load exceeds
   :data:`LOL_TOLERANCE_MW`. Per year: LOLE_y [h], EUE_y [MWh]; over the years: LOLE = mean LOLE_y [h/yr],
   EUE = mean EUE_y [MWh/yr], LOLP = loss-of-load hours / all hours [-], with their spread and the
   standard error of the mean. *Events* are runs of consecutive loss-of-load hours; each is described by its
   dates (local time), energy, peak and causes read off the dispatch (low wind and sun, units on outage,
   empty stores, links or imports at their limit).

Every year is a pure function of (zone, plan, weather year, seed): the figures do not depend on the number of
workers or the order in which years finish.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time as _time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.adequacy.outages import grid_capacity_mw
from greenzone.adequacy.years import WeatherYear, by_hour_of_year, year_weather
from greenzone.zone.schema import VARIABLE_KINDS, Zone

LOL_TOLERANCE_MW = 1e-3
"""Unserved load above this counts an hour as loss of load [MW] (below it: solver round-off)."""

WORST_EVENTS = 10
"""How many of the largest events (by energy) are kept with their causes."""

STRESS_DAYS_PER_YEAR = 3
"""Days with the most unserved energy kept per year, with their profiles, for reliability-constrained planning."""

CAPACITY_VARIABLES = (
    "capacity",
    "storage_discharge_capacity",
    "storage_charge_capacity",
    "storage_energy",
    "link_capacity",
)


@dataclass(frozen=True)
class _Task:
    zone: Zone
    plan: xr.Dataset
    year: WeatherYear
    plan_year: int
    outages: bool
    outage_seed: int
    horizon: int
    step: int
    guidance: str = "plan"
    guidance_days: int | None = 16


GUIDANCE = ("plan", "year")
"""Where the end-of-window storage and reservoir targets come from (see :func:`assess`)."""


@dataclass
class YearResult:
    """The figures of one weather year."""

    index: int
    label: int
    synthetic: bool
    hours: int
    lole_h: float  # [h]
    eue_mwh: float  # [MWh]
    demand_mwh: float  # [MWh]
    peak_shortfall_mw: float  # [MW]
    operating_cost_usd: float  # [USD]
    curtailment_mwh: float  # [MWh]
    import_mwh: float  # [MWh]
    export_mwh: float  # [MWh]
    mean_outage_mw: float  # mean capacity on forced outage [MW]
    run_time_s: float  # [s]
    shortfall: np.ndarray  # (hours,) zone's unserved load [MW]
    time: pd.DatetimeIndex
    events: list[dict] = field(default_factory=list)
    stress_days: list[xr.Dataset] = field(default_factory=list)

    def row(self) -> dict:
        return {
            "weather_year": self.label,
            "synthetic": self.synthetic,
            "hours": self.hours,
            "lole_h": self.lole_h,
            "eue_mwh": self.eue_mwh,
            "lolp": self.lole_h / self.hours,
            "peak_shortfall_mw": self.peak_shortfall_mw,
            "demand_mwh": self.demand_mwh,
            "operating_cost_usd": self.operating_cost_usd,
            "curtailment_mwh": self.curtailment_mwh,
            "import_mwh": self.import_mwh,
            "export_mwh": self.export_mwh,
            "mean_outage_mw": self.mean_outage_mw,
            "run_time_s": self.run_time_s,
        }


@dataclass
class Adequacy:
    """What :func:`assess` found: the summary, one row per weather year, the worst events and the hourly
    shortfall of every year."""

    summary: dict
    years: list[YearResult]

    @property
    def per_year(self) -> pd.DataFrame:
        return pd.DataFrame([y.row() for y in self.years]).set_index("weather_year")

    @property
    def worst_events(self) -> list[dict]:
        return self.summary["worst_events"]

    def to_json(self) -> dict:
        out = dict(self.summary)
        out["per_year"] = [y.row() for y in self.years]
        return out

    def shortfall(self) -> xr.Dataset:
        """Hourly unserved load of the zone by weather year and hour of the year [MW] (NaN past a year's end)."""
        n = max(y.hours for y in self.years)
        values = np.full((len(self.years), n), np.nan)
        for i, y in enumerate(self.years):
            values[i, : y.hours] = y.shortfall
        return xr.Dataset(
            {
                "shortfall": (
                    ("weather_year", "hour_of_year"),
                    values,
                    {"units": "MW", "long_name": "unserved load of the zone"},
                ),
                "lole_h": (("weather_year",), [y.lole_h for y in self.years], {"units": "h"}),
                "eue_mwh": (("weather_year",), [y.eue_mwh for y in self.years], {"units": "MWh"}),
            },
            coords={
                "weather_year": [y.label for y in self.years],
                "hour_of_year": np.arange(n),
                "start_utc": ("weather_year", [f"{y.time[0]:%Y-%m-%d %H:%M}" for y in self.years]),
            },
            attrs={
                k: int(v) if isinstance(v, bool) else v
                for k, v in self.summary.items()
                if isinstance(v, int | float | str | bool)
            },
        )

    def stress_days(self, count: int) -> list[xr.Dataset]:
        """The ``count`` days with the most unserved energy over all years, each a 24-hour Profiles slice."""
        days = [d for y in self.years for d in y.stress_days]
        days.sort(key=lambda d: -float(d.attrs["unserved_mwh"]))
        return days[:count]


# -------------------------------------------------------------------------------------------------- assess
def assess(
    zone: Zone,
    plan: xr.Dataset,
    years: list[WeatherYear],
    *,
    outages: bool = False,
    seed: int = 0,
    workers: int | None = None,
    horizon: int = 48,
    step: int = 24,
    guidance: str = "plan",
    guidance_days: int | None = 16,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    client: Any = None,
) -> Adequacy:
    """Dispatch ``plan``'s capacities over every weather year in ``years`` (module docstring).

    Parameters
    ----------
    plan : a Plan (:func:`greenzone.plan`) or :func:`greenzone.operate.existing_capacities`.
    years : :func:`greenzone.adequacy.years.synthetic_years` or :func:`~greenzone.adequacy.years.given_years`.
    outages : draw random forced outages of units, link circuits and grid circuits.
    seed : seed of the outages (with the year's index).
    workers : processes; default min(CPU count, years); 1 runs in this process.
    horizon, step : hours per dispatch window and hours committed per window.
    guidance : where each window's end-of-window storage and reservoir targets come from: "plan", the plan's
        levels moved onto the weather year by hour of year (one seasonal strategy for every year, as an
        operator with a fixed rule curve); "year", the levels of that year's own least-cost dispatch with the
        capacities fixed, solved on ``guidance_days`` typical days with linking (None: every hour) before
        the rolling dispatch (a strategy that knows the year's weather in advance; costs one LP per year).
    progress : called with (years done, years in all).
    scheduler : address of a running Dask scheduler (``tcp://HOST:8786``): each year becomes a task there
        instead of a local process (:mod:`greenzone.parallel`); ``workers`` is then the scheduler's threads.
    client : a :class:`distributed.Client` to run the years on (the caller keeps it open); as ``scheduler``.
    """
    if guidance not in GUIDANCE:
        raise ValueError(f"guidance must be one of {GUIDANCE}, got {guidance!r}")
    workers = max(1, min(len(years), workers or os.cpu_count() or 1))
    keep = [v for v in plan.data_vars if v in CAPACITY_VARIABLES or v in _TRAJECTORIES]
    slim = plan[keep]
    tasks = [
        _Task(
            zone,
            slim,
            year,
            int(plan.attrs.get("year", zone.year)),
            outages,
            int(seed),
            horizon,
            step,
            guidance,
            guidance_days,
        )
        for year in years
    ]
    t0 = _time.perf_counter()
    results: list[YearResult] = []
    if scheduler is not None or client is not None:
        results, workers = _on_dask(tasks, scheduler, client, progress)
    elif workers == 1:
        for k, task in enumerate(tasks):
            results.append(assess_year(task))
            if progress is not None:
                progress(k + 1, len(tasks))
    else:
        context = multiprocessing.get_context("spawn")  # HiGHS threads in this process must not be forked
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(assess_year, task) for task in tasks]
            for done, future in enumerate(as_completed(futures), start=1):
                results.append(future.result())
                if progress is not None:
                    progress(done, len(tasks))
    wall = _time.perf_counter() - t0
    results.sort(key=lambda r: r.index)
    summary = summarize(
        zone, plan, results, outages=outages, seed=seed, horizon=horizon, step=step, guidance=guidance
    )
    busy = sum(r.run_time_s for r in results)
    summary.update(
        {
            "workers": workers,
            "run_time_s": wall,
            "year_time_s": busy / len(results),
            "parallel_efficiency": busy / (wall * workers) if wall > 0 else 1.0,
        }
    )
    return Adequacy(summary, results)


_TRAJECTORIES = ("storage_level", "reservoir_level", "dispatch")


def _on_dask(tasks, scheduler, client, progress) -> tuple[list[YearResult], int]:
    """Each year a Dask task (the same pure ``assess_year``); (results, the cluster's worker threads)."""
    from dask.distributed import as_completed as dask_completed

    from greenzone.parallel import dask_client, worker_threads

    results = []
    with dask_client(client=client, scheduler=scheduler) as dask:
        futures = [dask.submit(assess_year, task, pure=False) for task in tasks]
        for done, future in enumerate(dask_completed(futures), start=1):
            results.append(future.result())
            if progress is not None:
                progress(done, len(tasks))
        return results, min(worker_threads(dask), len(tasks))


def assess_year(task: _Task) -> YearResult:
    """One weather year: profiles, outages, dispatch, figures (runs in a worker process)."""
    from greenzone.operate import operate
    from greenzone.optimize.solve import SolverOptions
    from greenzone.resources import profiles as make_profiles

    t0 = _time.perf_counter()
    zone, year = task.zone, task.year
    if year.profiles is not None:
        prof = year.profiles
    else:
        prof = make_profiles(zone, year_weather(zone, year), year=task.plan_year)
    time = pd.DatetimeIndex(prof.indexes["time"])
    caps = by_hour_of_year(task.plan, time)
    if task.guidance == "year":
        caps = year_guidance(zone, caps, prof, typical_days=task.guidance_days)
    availability = None
    if task.outages:
        from greenzone.adequacy.outages import sample_availability

        availability = sample_availability(zone, caps, time, seed=task.outage_seed, year_index=year.index)
    op = operate(
        zone,
        caps,
        prof,
        forecast="perfect",
        horizon=task.horizon,
        step=task.step,
        availability=availability,
        options=SolverOptions(method="dual_simplex", threads=1),
    )
    return _year_result(task, prof, op, caps, availability, _time.perf_counter() - t0)


def year_guidance(
    zone: Zone, capacities: xr.Dataset, profiles: xr.Dataset, *, typical_days: int | None = 16
) -> xr.Dataset:
    """The least-cost dispatch of ``capacities`` (fixed) over ``profiles``, as a Plan on every hour whose
    storage and reservoir levels guide the rolling dispatch of that year (``guidance="year"``)."""
    from greenzone.operate import fix_capacities
    from greenzone.planning.year import plan

    def fixed(model) -> None:
        fix_capacities(model, capacities)

    n_days = profiles.sizes["time"] // 24
    days = None if typical_days is None or typical_days >= n_days else typical_days
    return plan(zone, profiles, typical_days=days, extra_constraints=fixed, threads=1)


def _outage_mw(zone: Zone, caps: xr.Dataset, availability: xr.Dataset | None) -> dict[str, np.ndarray]:
    """Capacity on forced outage by asset label, hour [MW] (assets with any outage only)."""
    out: dict[str, np.ndarray] = {}
    if availability is None:
        return out
    for share, capacity, dim in (
        ("generator_availability", "capacity", "technology"),
        ("storage_availability", "storage_discharge_capacity", "storage"),
    ):
        lost = ((1.0 - availability[share]) * caps[capacity]).transpose("node", dim, "time")
        for node in lost["node"].values:
            for tech in lost[dim].values:
                values = lost.sel(node=node, **{dim: tech}).values
                if values.max(initial=0.0) > 0:
                    out[f"{node}/{tech}"] = values
    if availability["link_availability"].size:
        for name in availability["link"].values:
            lost = (1.0 - availability["link_availability"].sel(link=name).values) * float(
                caps["link_capacity"].sel(link=name)
            )
            if lost.max() > 0:
                out[f"link {name}"] = lost
    if zone.grid is not None:
        lost = (1.0 - availability["grid_availability"].values) * grid_capacity_mw(zone)
        if lost.max() > 0:
            out["national grid connection"] = lost
    return out


def _year_result(task, prof, op, caps, availability, run_time_s) -> YearResult:
    zone = task.zone
    time = pd.DatetimeIndex(prof.indexes["time"])
    n_t = len(time)
    unserved = op["unserved"].transpose("time", "node").values
    shortfall = np.where(unserved > LOL_TOLERANCE_MW, unserved, 0.0).sum(axis=1)
    lol = shortfall > LOL_TOLERANCE_MW
    outage = _outage_mw(zone, caps, availability)
    total_out = sum(outage.values()) if outage else np.zeros(n_t)
    result = YearResult(
        index=task.year.index,
        label=task.year.label,
        synthetic=task.year.synthetic,
        hours=n_t,
        lole_h=float(lol.sum()),
        eue_mwh=float(shortfall.sum()),
        demand_mwh=float(prof["demand"].sum()),
        peak_shortfall_mw=float(shortfall.max(initial=0.0)),
        operating_cost_usd=float(op.attrs["operating_cost_usd"]),
        curtailment_mwh=float(op["curtailment"].sum()),
        import_mwh=float(op["grid_import"].sum()),
        export_mwh=float(op["grid_export"].sum()),
        mean_outage_mw=float(np.mean(total_out)),
        run_time_s=float(run_time_s),
        shortfall=shortfall,
        time=time,
    )
    result.events = _events(zone, task, prof, op, caps, availability, outage, unserved, shortfall, lol)
    result.stress_days = _stress_days(zone, task, prof, shortfall, availability)
    return result


# -------------------------------------------------------------------------------------------------- events
def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in ``mask`` (stop exclusive)."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _events(zone, task, prof, op, caps, availability, outage, unserved, shortfall, lol) -> list[dict]:
    time = pd.DatetimeIndex(prof.indexes["time"])
    local = time.tz_localize("UTC").tz_convert(zone.timezone).tz_localize(None)
    runs = _runs(lol)
    runs.sort(key=lambda r: -float(shortfall[r[0] : r[1]].sum()))
    nodes = list(prof["node"].values)
    out = []
    for start, stop in runs[:WORST_EVENTS]:
        sl = slice(start, stop)
        short_nodes = [str(nodes[j]) for j in np.flatnonzero(unserved[sl].max(axis=0) > LOL_TOLERANCE_MW)]
        out.append(
            {
                "weather_year": task.year.label,
                "start_utc": f"{time[start]:%Y-%m-%d %H:%M}",
                "start_local": f"{local[start]:%Y-%m-%d %H:%M}",
                "end_local": f"{local[stop - 1] + pd.Timedelta(hours=1):%Y-%m-%d %H:%M}",
                "hours": int(stop - start),
                "energy_mwh": float(shortfall[sl].sum()),
                "peak_mw": float(shortfall[sl].max()),
                "nodes": short_nodes,
                "causes": _causes(zone, prof, op, caps, outage, start, stop),
            }
        )
    return out


def _causes(zone, prof, op, caps, outage, start: int, stop: int) -> list[str]:
    """Plain-language reasons for one event, read off the dispatch and the outages."""
    sl = slice(start, stop)
    causes: list[str] = []
    demand = prof["demand"].sum("node").values
    causes.append(
        f"demand {demand[sl].max():,.1f} MW at its highest ({demand[sl].max() / demand.max():.0%} of the "
        "year's peak)"
    )
    kinds = {t: zone.technologies[t].kind for t in prof["technology"].values}
    variable = [t for t, k in kinds.items() if k in VARIABLE_KINDS]
    if variable:
        cap = caps["capacity"].sel(technology=variable)
        available = (
            (prof["capacity_factor"].sel(technology=variable) * cap).sum(("node", "technology")).values
        )
        mean = float(available.mean())
        if mean > 0:
            share = float(available[sl].mean()) / mean
            verb = "could give only" if share < 1 else "were not short: they could give"
            causes.append(
                f"wind, sun and rivers {verb} {available[sl].mean():,.1f} MW on average, {share:.0%} of their "
                "mean for the year"
            )
    if outage:
        lost = {label: float(v[sl].max()) for label, v in outage.items() if v[sl].max() > 0}
        if lost:
            worst = sorted(lost.items(), key=lambda kv: -kv[1])[:4]
            causes.append("on forced outage: " + ", ".join(f"{label} {mw:,.1f} MW" for label, mw in worst))
    if "storage_level" in op and float(caps["storage_energy"].sum()) > 0:
        energy = float(caps["storage_energy"].sum())
        level = op["storage_level"].sum(("node", "storage")).values
        begin = level[start - 1] if start > 0 else level[0]
        causes.append(
            f"storage held {begin:,.1f} of {energy:,.1f} MWh ({begin / energy:.0%}) when it began and "
            f"{level[stop - 1]:,.1f} MWh at its end"
        )
    if "reservoir_level" in op and float(op["reservoir_level"].max()) > 0:
        res = op["reservoir_level"].sum(("node", "technology")).values
        begin = res[start - 1] if start > 0 else res[0]
        causes.append(f"reservoirs held {begin:,.0f} MWh when it began")
    if zone.grid is not None and zone.grid.import_max_mw > 0:
        imports = op["grid_import"].values[sl]
        if imports.max() >= zone.grid.import_max_mw * (1 - 1e-6):
            causes.append(f"imports at their {zone.grid.import_max_mw:g} MW limit")
        elif imports.min() < zone.grid.import_max_mw * (1 - 1e-6):
            causes.append(
                f"imports {imports.min():,.1f}–{imports.max():,.1f} MW of {zone.grid.import_max_mw:g} MW "
                "(the rest on outage)"
                if outage.get("national grid connection") is not None
                and outage["national grid connection"][sl].max() > 0
                else f"imports {imports.max():,.1f} MW at most"
            )
    if "link_capacity" in caps and caps.sizes.get("link", 0):
        links = [str(name) for name in op["link"].values]
        sent = np.maximum(op["flow_forward"].values[sl], op["flow_backward"].values[sl])  # (hour, link) [MW]
        full = []
        for j, name in enumerate(links):
            capacity = float(caps["link_capacity"].sel(link=name))
            if capacity <= 0:
                continue
            available = capacity - outage.get(f"link {name}", np.zeros(len(demand)))[sl]  # [MW]
            if (sent[:, j] >= available * (1 - 1e-6) - 1e-6).any():
                full.append(name + (" (circuits on outage)" if (available < capacity).any() else ""))
        if full:
            causes.append("links at their limit: " + ", ".join(full))
    return causes


def _stress_days(
    zone: Zone, task, prof: xr.Dataset, shortfall: np.ndarray, availability: xr.Dataset | None
) -> list[xr.Dataset]:
    """The year's days (UTC) with the most unserved energy, as 24-hour Profiles slices; with outages, each
    generator's capacity factor is scaled by the share of its units in service."""
    n_days = len(shortfall) // 24
    if n_days == 0:
        return []
    daily = shortfall[: n_days * 24].reshape(n_days, 24).sum(axis=1)
    order = [int(d) for d in np.argsort(-daily, kind="stable")[:STRESS_DAYS_PER_YEAR] if daily[d] > 0]
    days = []
    for d in order:
        part = prof.isel(time=slice(24 * d, 24 * d + 24)).copy(deep=True).load()
        if availability is not None:
            share = availability["generator_availability"].isel(time=slice(24 * d, 24 * d + 24))
            cf = part["capacity_factor"]
            part["capacity_factor"] = cf * share.transpose(*cf.dims).values
        part.attrs = {
            **prof.attrs,
            "weather_year": task.year.label,
            "unserved_mwh": float(daily[d]),
            "day_start_utc": f"{pd.Timestamp(prof.indexes['time'][24 * d]):%Y-%m-%d %H:%M}",
        }
        days.append(part)
    return days


# ------------------------------------------------------------------------------------------------- summary
def _spread(values: np.ndarray) -> dict:
    n = len(values)
    return {
        "mean": float(values.mean()),
        "min": float(values.min()),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "max": float(values.max()),
        "std": float(values.std(ddof=1)) if n > 1 else 0.0,
        "standard_error": float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
    }


def summarize(zone: Zone, plan: xr.Dataset, results: list[YearResult], **method) -> dict:
    """The adequacy figures over all years (module docstring)."""
    lole = np.array([r.lole_h for r in results])
    eue = np.array([r.eue_mwh for r in results])
    hours = np.array([r.hours for r in results], dtype=float)
    demand = np.array([r.demand_mwh for r in results])
    events = sorted((e for r in results for e in r.events), key=lambda e: -e["energy_mwh"])[:WORST_EVENTS]
    target = zone.policy.lole_target_h_per_year
    lole_mean = float(lole.mean())
    return {
        "zone": zone.name,
        "zone_fingerprint": str(plan.attrs.get("zone_fingerprint", "")),
        "plan_year": int(plan.attrs.get("year", zone.year)),
        "weather_years": len(results),
        "weather_year_labels": [r.label for r in results],
        "synthetic_weather": bool(all(r.synthetic for r in results)),
        "outages": bool(method["outages"]),
        "outage_seed": int(method["seed"]),
        "horizon_h": int(method["horizon"]),
        "step_h": int(method["step"]),
        "guidance": method["guidance"],
        "lol_tolerance_mw": LOL_TOLERANCE_MW,
        "lole_h_per_year": lole_mean,
        "eue_mwh_per_year": float(eue.mean()),
        "lolp": float(lole.sum() / hours.sum()),
        "eue_share_of_demand": float(eue.sum() / demand.sum()) if demand.sum() > 0 else 0.0,
        "lole_target_h_per_year": target,
        "meets_target": None if target is None else bool(lole_mean <= target),
        "years_with_loss_of_load": int((lole > 0).sum()),
        "lole_spread": _spread(lole),
        "eue_spread": _spread(eue),
        "operating_cost_usd_per_year": float(np.mean([r.operating_cost_usd for r in results])),
        "worst_events": events,
        "method": (
            "capacities fixed at the plan's; each weather year dispatched with perfect foresight in rolling "
            f"{method['horizon']} h windows committing {method['step']} h, storage aiming at "
            + (
                "the plan's levels; "
                if method["guidance"] == "plan"
                else "the levels of the year's own optimum; "
            )
            + "load shed at the value of lost load only when nothing else serves it"
            + ("; random forced outages (two-state Markov per unit)" if method["outages"] else "")
        ),
    }
