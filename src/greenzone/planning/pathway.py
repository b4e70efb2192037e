"""The pathway: what to build in which investment period, with perfect foresight or period by period.

``pathway(zone, profiles)`` plans the zone's ``pathway.periods`` (docs/zone-file.md, ``pathway``):

- ``myopic=False`` (default): perfect foresight, one LP over every period
  (:func:`greenzone.optimize.formulation.pathway.build_pathway_model`; docs/formulation.md, "Pathway");
- ``myopic=True``: period by period, each LP seeing only its own period (its own build pays its annuities in
  that period only), the capacity it builds handed forward to the next periods while it lives, as a ministry
  deciding year by year would.

Each period runs on its own profiles (its year's demand, interpolated between the given years) hourly or, with
``typical_days=N``, on N typical days of its own (:func:`greenzone.planning.typical_days.typical_days`) with storage and
reservoirs linked across the year. The result is the Pathway dataset of :mod:`greenzone.planning.pathway_output`.

``stochastic=True`` plans the zone's clearance scenarios (``pathway.scenarios``) two-stage: the first period
once for every scenario, each later period per scenario, the expected discounted cost as objective (one LP,
:func:`~greenzone.optimize.formulation.pathway.build_pathway_model` with branches). Against the same LPs
solved per scenario it reports the value of the stochastic solution, VSS = EEV − SP (EEV: the expected cost
with the first period's builds fixed to the mean-value solution's, the mean-value problem planned on each
period's expected cleared land) and the expected value of perfect information, EVPI = SP − Σ_s π_s WS_s (WS_s:
scenario s planned knowing it is s). Both are ≥ 0 up to the solver's tolerance.
A zone without a pathway section is planned as one period of one year, its ``year``: the same LP as
:func:`greenzone.planning.plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import InfeasibleError, ZoneError
from greenzone.optimize.diagnose_pathway import diagnose_pathway
from greenzone.optimize.formulation.data import Periods
from greenzone.optimize.formulation.pathway import (
    Branch,
    PathwayModel,
    build_pathway_model,
    discounted_years,
)
from greenzone.optimize.formulation.vintages import Vintage
from greenzone.optimize.solve import Method, Solution, SolverOptions, Status, require_optimal, solve
from greenzone.planning.pathway_output import PeriodResult, pathway_dataset, stochastic_dataset
from greenzone.planning.typical_days import typical_days as cluster_days
from greenzone.planning.year import DEFAULT_METHOD, _check_numerics
from greenzone.zone.scenarios import mean_value_zone, scenario_zone
from greenzone.zone.schema import VARIABLE_KINDS, Zone


@dataclass(frozen=True)
class Horizon:
    """The periods planned: first years, years each stands for [yr], discounted years W_p [yr]."""

    periods: list[int]
    years: list[int]
    discounted: np.ndarray


def horizon(zone: Zone) -> Horizon:
    """The zone's periods (one period of one year, the zone's ``year``, without a pathway section)."""
    if zone.pathway is None:
        periods, years = [zone.year], [1]
    else:
        periods, years = list(zone.pathway.periods), zone.pathway.years
    return Horizon(periods, years, discounted_years(zone.economics.discount_rate, periods, years))


def pathway_weather(
    zone: Zone,
    weather: xr.Dataset | None = None,
    *,
    source: str | None = None,
    path=None,
    seed: int | None = None,
) -> dict[int, xr.Dataset]:
    """The Weather each period runs on, by period.

    Without ``pathway.weather_years``, every period on the same weather: ``weather`` as given, else
    :func:`greenzone.weather.load_weather` (``source``, ``path``, ``seed``). With it, each period on its own
    calendar years: SYNTHETIC weather made for those years with the seed (the zone's source, no file, no
    ``weather`` given), else the whole years cut from ``weather`` or the weather file, in the zone's time zone
    (synthetic weather given as ``weather`` in UTC, the calendar its years were made in); a year the weather
    does not hold is an error naming the period.
    """
    from greenzone.weather import load_weather
    from greenzone.weather.years import synthetic_years, whole_years

    periods = horizon(zone).periods
    wanted = zone.pathway.weather_years if zone.pathway is not None else None
    if wanted is None:
        if weather is None:
            weather = load_weather(zone, source=source, path=path, seed=seed)
        return {p: weather for p in periods}
    if weather is None and (source or zone.weather.source) == "synthetic" and path is None:
        made: dict[tuple[int, ...], xr.Dataset] = {}
        for p in periods:
            key = tuple(sorted(wanted[p]))
            if key not in made:
                made[key] = synthetic_years(zone, key, seed=seed)
        return {p: made[tuple(sorted(wanted[p]))] for p in periods}
    if weather is None:
        weather = load_weather(zone, source=source, path=path, seed=seed)
    synthetic = weather.attrs.get("generator") == "greenzone.weather.synthetic"
    origin = str(path or zone.weather.path or weather.attrs.get("title") or "the weather")
    whole = whole_years(
        weather,
        origin=origin,
        timezone="UTC" if synthetic else zone.timezone,
        purpose="pathway.weather_years",
    )
    out = {}
    for p in periods:
        missing = [y for y in wanted[p] if y not in whole]
        if missing:
            held = ", ".join(str(y) for y in whole)
            raise ZoneError(
                f"{zone.zone_file or zone.name}: pathway.weather_years.{p}: weather year(s) "
                f"{', '.join(str(y) for y in missing)} are not in {origin}, which holds {held}; "
                "list years it holds, or give weather that holds these"
            )
        parts = [whole[y] for y in sorted(wanted[p])]
        out[p] = parts[0] if len(parts) == 1 else xr.concat(parts, dim="time", combine_attrs="override")
    return out


def first_hours(weather: Mapping[int, xr.Dataset], hours: int | None) -> dict[int, xr.Dataset]:
    """Each period's weather cut to its first ``hours`` hours (None: whole), periods that share a Weather
    still sharing one (so that its profiles are made once)."""
    if hours is None:
        return dict(weather)
    cut: dict[int, xr.Dataset] = {}
    for w in weather.values():
        cut.setdefault(id(w), w.isel(time=slice(0, hours)))
    return {p: cut[id(w)] for p, w in weather.items()}


def weather_title(weather: Mapping[int, xr.Dataset]) -> str:
    """What the periods' weather is, in one line: the Weather's title, and each period's years where the
    periods run on weather of their own."""
    first = next(iter(weather.values()))
    title = str(first.attrs.get("title", ""))
    if len({id(w) for w in weather.values()}) == 1:
        return title
    years = "; ".join(
        f"{p}: " + ", ".join(str(y) for y in sorted(set(pd.DatetimeIndex(w.indexes["time"]).year.tolist())))
        for p, w in weather.items()
    )
    return f"each period on weather years of its own ({years}); first period: {title}"


def pathway_profiles(zone: Zone, weather: xr.Dataset | Mapping[int, xr.Dataset]) -> dict[int, xr.Dataset]:
    """Each period's profiles: capacity factors and inflows of its weather (:func:`pathway_weather`: one
    Weather for every period, or each period's own years when the zone gives ``pathway.weather_years``), the
    period's demand (interpolated between the years the zone gives).

    ``weather`` is one Weather (cut into each period's years where the zone asks for them) or the Weather of
    each period, keyed by its first year."""
    from greenzone.resources import profiles as make_profiles
    from greenzone.resources.demand import demand_profiles

    periods = horizon(zone).periods
    by_period = pathway_weather(zone, weather) if isinstance(weather, xr.Dataset) else dict(weather)
    missing = [p for p in periods if p not in by_period]
    if missing:
        raise ValueError(f"weather lacks period(s) {missing}; give one Weather per period (pathway_weather)")
    base: dict[int, xr.Dataset] = {}  # the profiles of each distinct weather, by id
    out = {}
    for p in periods:
        w = by_period[p]
        if id(w) not in base:
            base[id(w)] = make_profiles(zone, w, year=periods[0])
        prof = base[id(w)].copy()
        demand = demand_profiles(zone, w, year=p)
        prof["demand"] = demand.transpose(*prof["demand"].dims)
        prof.attrs["year"] = p
        out[p] = prof
    return out


def pathway(
    zone: Zone,
    profiles: Mapping[int, xr.Dataset] | xr.Dataset,
    *,
    myopic: bool = False,
    stochastic: bool = False,
    typical_days: int | None = None,
    linking: bool = True,
    method: Method = DEFAULT_METHOD,
    time_limit: float | None = None,
    threads: int | None = None,
    options: SolverOptions | None = None,
    extra_constraints: Callable[[PathwayModel], None] | None = None,
    on_solve: Callable[[PathwayModel], None] | None = None,
) -> xr.Dataset:
    """Plan the zone's pathway (see this module's docstring).

    Parameters
    ----------
    profiles : each period's profiles keyed by its first year (:func:`pathway_profiles`), or one profiles
        dataset used as it is for every period.
    myopic : plan period by period instead of all periods at once.
    stochastic : plan the zone's clearance scenarios two-stage (a ``scenario`` dimension on the result).
    typical_days : plan each period on this many typical days instead of every hour.
    linking : with ``typical_days``, link storage across each period's year (Kotzur et al. 2018).
    method, time_limit, threads, options : as for :func:`greenzone.planning.plan`.
    extra_constraints : hook called with the built :class:`PathwayModel` (each myopic step's).
    on_solve : called with the built model just before HiGHS starts.
    """
    if myopic and stochastic:
        raise ValueError("a pathway is myopic or stochastic, not both")
    options = options or SolverOptions(method=method, time_limit_s=time_limit, threads=threads)
    hz = horizon(zone)
    by_period = _profiles_by_period(hz, profiles)
    model_profiles, typical = {}, {}
    for p in hz.periods:
        model_profiles[p], typical[p] = _resolution(zone, by_period[p], typical_days, linking)
    warnings: list[str] = []

    def build(z: Zone, periods, years, discounted, vintages, scenarios=()) -> PathwayModel:
        model = build_pathway_model(
            z,
            model_profiles,
            periods=periods,
            years=years,
            discounted=discounted,
            typical=typical,
            vintages=vintages,
            scenarios=scenarios,
            extra_constraints=extra_constraints,
        )
        warnings.extend(_check_numerics(model).warnings)
        return model

    def run(model: PathwayModel, what: str, diagnose: bool = True) -> Solution:
        if on_solve is not None:
            on_solve(model)
        solution = solve(model.lp, options)
        if diagnose and solution.status in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED):
            raise diagnose_pathway(model, zone.name, what) from None
        require_optimal(solution, what=f"the pathway of '{zone.name}' ({what})")
        return solution

    if stochastic:
        ds = _stochastic(zone, hz, build, run)
    elif not myopic:
        model = build(zone, hz.periods, hz.years, hz.discounted, ())
        solution = run(model, "period " + ", ".join(str(p) for p in hz.periods))
        results = [PeriodResult.of(model, solution, p) for p in hz.periods]
        ds = pathway_dataset(zone, hz, results, mode="perfect_foresight")
        ds.attrs["objective_usd"] = float(solution.objective) * model.cost_scale
    else:
        handed: list[Vintage] = []
        results = []
        for k, p in enumerate(hz.periods):
            model = build(zone, [p], [hz.years[k]], [hz.discounted[k]], handed)
            result = PeriodResult.of(model, run(model, f"period {p}"), p)
            results.append(result)
            handed += result.vintages(zone)
        ds = pathway_dataset(zone, hz, results, mode="myopic")
    ds.attrs["numerics_warnings"] = " | ".join(warnings)
    ds.attrs["time_resolution"] = (
        "hourly"
        if typical_days is None
        else f"{typical_days} typical days per period"
        + (" (Kotzur storage linking)" if linking else " (without storage linking)")
    )
    return ds


def _stochastic(zone: Zone, hz: Horizon, build, run) -> xr.Dataset:
    """The two-stage pathway of the zone's clearance scenarios, with VSS and EVPI (this module's docstring)."""
    scenarios = zone.pathway.scenarios if zone.pathway is not None else []
    if not scenarios:
        raise ZoneError(
            f"{zone.zone_file or zone.name}: pathway.scenarios: the zone names no clearance scenarios; add "
            "some (name, probability, clearance_pace or usable_land_km2) or plan without --stochastic"
        )
    branches = [Branch(s.name, s.probability, scenario_zone(zone, s.name)) for s in scenarios]
    args = (hz.periods, hz.years, hz.discounted, ())
    model = build(zone, *args, branches)
    solution = run(model, "stochastic, scenarios " + ", ".join(b.name for b in branches))
    paths = {b.name: [PeriodResult.of(model, solution, p, b.name) for p in hz.periods] for b in branches}
    expected = float(solution.objective) * model.cost_scale
    mean = build(mean_value_zone(zone), *args)
    mean_solution = run(mean, "the mean-value problem, on each period's expected cleared land")
    first = {f: np.maximum(mean.build_values(f, mean_solution.x)[:, 0], 0.0) for f in mean.builds}
    wait_and_see, fixed = {}, {}
    for b in branches:
        own = build(b.zone, *args)
        wait_and_see[b.name] = float(run(own, f"scenario {b.name} alone").objective) * own.cost_scale
        for family, block in own.builds.items():
            lower = np.zeros(block.shape)
            lower[:, 0] = first[family]
            upper = np.full(block.shape, np.inf)
            upper[:, 0] = first[family]
            own.lp.update_bounds(block.name, lower=lower, upper=upper)
        fixed[b.name] = _fixed_first_cost(own, run, b.name)
    probability = {b.name: b.probability for b in branches}
    eev = sum(probability[s] * fixed[s] for s in fixed)
    ws = sum(probability[s] * wait_and_see[s] for s in wait_and_see)
    values = {
        "objective_usd": expected,
        "mean_value_cost_usd": float(mean_solution.objective) * mean.cost_scale,
        "eev_usd": eev,
        "wait_and_see_usd": ws,
        "vss_usd": eev - expected,
        "evpi_usd": expected - ws,
    }
    return stochastic_dataset(zone, hz, paths, probability, values, wait_and_see, fixed)


def _fixed_first_cost(model: PathwayModel, run, name: str) -> float:
    """A scenario's discounted cost with the first period's builds fixed [USD]; inf where that fleet cannot
    be completed to a feasible path in the scenario."""
    try:
        solution = run(model, f"scenario {name} with the mean-value first period", diagnose=False)
    except InfeasibleError:
        return float("inf")
    return float(solution.objective) * model.cost_scale


def _profiles_by_period(hz: Horizon, profiles) -> dict[int, xr.Dataset]:
    if isinstance(profiles, xr.Dataset):
        return {p: profiles for p in hz.periods}
    missing = [p for p in hz.periods if p not in profiles]
    if missing:
        raise ValueError(
            f"profiles lack period(s) {missing}; pass one profiles dataset per period of the zone's pathway "
            "(greenzone.planning.pathway.pathway_profiles), or one dataset for every period"
        )
    return {p: profiles[p] for p in hz.periods}


def _resolution(zone: Zone, prof: xr.Dataset, typical_days: int | None, linking: bool):
    """A period's model profiles and typical periods: the profiles as given (hourly) or N typical days."""
    if typical_days is None:
        return prof, None
    renewables = [t for t in zone.generator_ids if zone.technologies[t].kind in VARIABLE_KINDS]
    aggregation = cluster_days(prof, typical_days, renewables=renewables)
    periods = Periods(n_hours=aggregation.n_hours_per_period, order=aggregation.day_cluster, linking=linking)
    return aggregation.profiles, periods


__all__ = [
    "Horizon",
    "first_hours",
    "horizon",
    "pathway",
    "pathway_profiles",
    "pathway_weather",
    "weather_title",
]
