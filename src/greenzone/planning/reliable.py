"""Reliability-constrained planning: plan → adequacy → add the worst stress days → re-plan, until LOLE holds.

``plan_reliable(zone, profiles, years, lole_max=3)``:

1. plan on ``profiles`` (typical days or hourly, as :func:`greenzone.plan`);
2. assess the plan's adequacy over the weather ``years`` (:func:`greenzone.adequacy.assess`, optionally with
   random outages);
3. if LOLE ≤ ``lole_max`` [h/yr], stop; otherwise take the ``days_per_iteration`` days with the most unserved
   energy over all years not taken yet (their profiles, with the capacity factors of the generators scaled by
   the share of their units in service that day when outages are drawn), put each into the planning
   profiles at its own calendar date (replacing that day of the planning year, or the nearest free day) and
   re-plan with those *stress days* kept as periods of their own and their load required to be served in full
   (``plan(..., stress_days=...)``);
4. repeat until the target holds, no new stress day turns up, or ``max_iterations`` plans have been made.

With ``decomposition`` (:class:`~greenzone.optimize.decompose.Decomposition`) the plan is hourly by temporal
decomposition and the stress days become whole hourly weather years: each iteration appends the
``years_per_iteration`` weather years with the most unserved energy not yet in the horizon (their profiles as
the adequacy made them, without outages, on the hours after the horizon's end) and re-plans over all of them,
every year weighing the same and its unserved load costing the value of lost load (not forbidden, as on
stress days: a whole year served in full would ask for more than the LOLE target).

Every iteration is logged and returned (LOLE, EUE, cost, new capacity by technology, stress days added).
Outages of storage, links and the grid connection cannot be carried into a planning day's profiles and are
left out of the stress days (they still count in every adequacy assessment).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from greenzone.adequacy import Adequacy, WeatherYear, assess
from greenzone.errors import InfeasibleError
from greenzone.zone.schema import Zone

log = logging.getLogger("greenzone.planning.reliable")

__all__ = ["ReliablePlan", "plan_reliable", "place_stress_days"]


@dataclass
class ReliablePlan:
    """The last plan, its adequacy, and one record per iteration."""

    plan: xr.Dataset
    adequacy: Adequacy
    iterations: list[dict] = field(default_factory=list)
    met: bool = False
    stopped: str = ""  # why the loop ended


def place_stress_days(
    profiles: xr.Dataset, stress: list[xr.Dataset], taken: list[int] | None = None
) -> tuple[xr.Dataset, list[int]]:
    """``profiles`` with each 24-hour stress day written over a day of the planning year: the day of the same
    date, or the nearest day not yet taken. Returns the profiles and the indices of the days written."""
    time = pd.DatetimeIndex(profiles.indexes["time"])
    n_days = len(time) // 24
    taken = list(taken or [])
    out = profiles.copy(deep=True)
    days = []
    for day in stress:
        start = pd.Timestamp(day.indexes["time"][0])
        wanted = min(start.day_of_year - 1, n_days - 1)
        free = [d for d in range(n_days) if d not in taken]
        if not free:
            raise ValueError("every day of the planning year is already a stress day")
        chosen = min(free, key=lambda d: (abs(d - wanted), d))
        hours = slice(24 * chosen, 24 * chosen + 24)
        for name in ("capacity_factor", "inflow", "min_release", "demand"):
            if name in day and name in out:
                target = out[name].isel(time=hours)
                values = day[name].transpose(*target.dims).values
                out[name][{"time": hours}] = values
        taken.append(chosen)
        days.append(chosen)
    return out, days


def _new_capacity(plan: xr.Dataset) -> dict[str, float]:
    """New generating capacity and storage power by technology [MW] (:func:`greenzone.kpis`), where any."""
    from greenzone.kpi import kpis

    figures = kpis(plan)
    new = {**figures["new_capacity_mw"], **figures["new_storage_power_mw"]}
    return {tech: mw for tech, mw in new.items() if mw > 1e-6}


def plan_reliable(
    zone: Zone,
    profiles: xr.Dataset,
    years: list[WeatherYear],
    *,
    lole_max: float | None = None,
    outages: bool = False,
    seed: int = 0,
    typical_days: int | None = 16,
    max_iterations: int = 5,
    days_per_iteration: int = 3,
    workers: int | None = None,
    horizon: int = 48,
    step: int = 24,
    guidance: str = "plan",
    on_iteration: Callable[[dict], None] | None = None,
    decomposition=None,
    years_per_iteration: int = 1,
    **plan_options,
) -> ReliablePlan:
    """Plan ``zone`` so that its LOLE over ``years`` is at most ``lole_max`` [h/yr] (module docstring).

    ``lole_max`` defaults to the zone's ``policy.lole_target_h_per_year``; ``plan_options`` go to
    :func:`greenzone.plan` (method, time limit, ...); ``guidance`` goes to :func:`greenzone.adequacy.assess`;
    ``on_iteration`` is called with each iteration's record. With ``decomposition``, whole stress years
    (module docstring) instead of stress days; ``typical_days`` is then not used.
    """
    from greenzone.planning.year import plan

    target = zone.policy.lole_target_h_per_year if lole_max is None else float(lole_max)
    if target is None:
        raise ValueError(
            "no reliability target: set policy.lole_target_h_per_year in the zone or pass lole_max"
        )
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be at least 1, got {max_iterations}")
    stress: list[xr.Dataset] = []
    seen: set[tuple[int, str]] = set()
    records: list[dict] = []
    current = profiles
    days: list[int] = []
    added_years: list[tuple[int, xr.Dataset]] = []
    result = assessed = None
    stopped = ""
    for iteration in range(1, max_iterations + 1):
        n_typical = None if typical_days is None else typical_days + len(days)
        try:
            if decomposition is not None:
                planned = plan(zone, current, decomposition=decomposition, **plan_options)
            else:
                planned = plan(zone, current, typical_days=n_typical, stress_days=days, **plan_options)
        except InfeasibleError as exc:
            if result is None:
                raise
            why = (
                f"iteration {iteration}: serving the {len(days)} stress days in full is infeasible within the "
                f"zone's limits ({exc}); the last feasible plan is kept"
            )
            log.warning("reliability: %s", why)
            records.append({"iteration": iteration, "infeasible": str(exc)})
            return ReliablePlan(result, assessed, records, met=False, stopped=why)
        result = planned
        assessed = assess(
            zone,
            result,
            years,
            outages=outages,
            seed=seed,
            workers=workers,
            horizon=horizon,
            step=step,
            guidance=guidance,
        )
        s = assessed.summary
        record = {
            "iteration": iteration,
            "lole_h_per_year": s["lole_h_per_year"],
            "eue_mwh_per_year": s["eue_mwh_per_year"],
            "cost_usd_per_year": float(result.attrs["objective_usd_per_year"]),
            "new_capacity_mw": _new_capacity(result),
            "stress_days": [
                {"weather_year": int(d.attrs["weather_year"]), "day_start_utc": d.attrs["day_start_utc"]}
                for d in stress
            ],
        }
        if decomposition is not None:
            record["stress_years"] = [label for label, _ in added_years]
        records.append(record)
        log.info(
            "reliability iteration %d: LOLE %.2f h/yr (target %g), EUE %.1f MWh/yr, cost %.4g USD/yr, %d stress days",
            iteration,
            record["lole_h_per_year"],
            target,
            record["eue_mwh_per_year"],
            record["cost_usd_per_year"],
            len(stress),
        )
        if on_iteration is not None:
            on_iteration(record)
        if s["lole_h_per_year"] <= target:
            return ReliablePlan(result, assessed, records, met=True, stopped="the target holds")
        if decomposition is not None:
            fresh_years = _stress_years(zone, assessed, years, added_years, years_per_iteration, result)
            if not fresh_years:
                stopped = "no new stress year: every year with loss of load is in the horizon already"
                break
            if iteration == max_iterations:
                stopped = f"iteration limit ({max_iterations}) reached"
                break
            added_years.extend(fresh_years)
            current = _append_years(current, [prof for _, prof in fresh_years])
            continue
        fresh = [
            d
            for d in assessed.stress_days(len(seen) + days_per_iteration * 4)
            if (int(d.attrs["weather_year"]), d.attrs["day_start_utc"]) not in seen
        ][:days_per_iteration]
        if not fresh:
            stopped = (
                "no new stress day: the loss of load left is on days the plan already serves in full (outages "
                "of storage, links or the grid, or the shorter sight of the rolling dispatch)"
            )
            break
        if iteration == max_iterations:
            stopped = f"iteration limit ({max_iterations}) reached"
            break
        for d in fresh:
            seen.add((int(d.attrs["weather_year"]), d.attrs["day_start_utc"]))
        current, added = place_stress_days(current, fresh, taken=days)
        stress.extend(fresh)
        days.extend(added)
    assert result is not None and assessed is not None
    log.warning("reliability: LOLE target %g h/yr not met: %s", target, stopped)
    return ReliablePlan(result, assessed, records, met=False, stopped=stopped)


def _stress_years(zone: Zone, assessed: Adequacy, years: list[WeatherYear], added, count: int, plan_ds):
    """The ``count`` weather years with the most unserved energy not yet added, as (label, Profiles)."""
    from greenzone.adequacy.years import year_weather
    from greenzone.resources import profiles as make_profiles

    taken = {label for label, _ in added}
    ranked = sorted(
        (y for y in assessed.years if y.eue_mwh > 0 and y.label not in taken), key=lambda y: -y.eue_mwh
    )
    out = []
    for result in ranked[:count]:
        year = next(y for y in years if y.index == result.index)
        if year.profiles is not None:
            prof = year.profiles
        else:
            prof = make_profiles(zone, year_weather(zone, year), year=int(plan_ds.attrs["year"]))
        out.append((int(result.label), prof))
    return out


def _append_years(profiles: xr.Dataset, extra: list[xr.Dataset]) -> xr.Dataset:
    """``profiles`` followed by each of ``extra`` on the hours after its end (one gap-free hourly axis)."""
    parts, end = [profiles], pd.DatetimeIndex(profiles.indexes["time"])[-1]
    for part in extra:
        n = part.sizes["time"]
        time = pd.date_range(end + pd.Timedelta(hours=1), periods=n, freq="h")
        parts.append(part.assign_coords(time=time))
        end = time[-1]
    return xr.concat(parts, dim="time", data_vars="minimal", coords="minimal", compat="override")
