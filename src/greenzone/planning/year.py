"""The Plan: least-cost capacities and hourly dispatch, as an xarray Dataset with a unit on every variable.

``plan(zone, profiles)`` builds the LP of docs/formulation.md, solves it with HiGHS, and returns

==================================== ============================ ========== ===================================
variable                             dims                         unit       meaning
==================================== ============================ ========== ===================================
capacity                             (node, technology)           [MW]       generating capacity (AC for solar)
capacity_existing                    (node, technology)           [MW]       of which in service before the plan
storage_discharge_capacity           (node, storage)              [MW]       discharge (or shared) power
storage_charge_capacity              (node, storage)              [MW]       charge power (= discharge unless H2)
storage_energy                       (node, storage)              [MWh]      energy capacity
link_capacity, link_capacity_existing (link)                      [MW]
dispatch                             (time, node, technology)     [MW]
curtailment                          (time, node, technology)     [MW]       cf·P − p for solar, wind, river
storage_charge, storage_discharge    (time, node, storage)        [MW]
storage_level                        (time, node, storage)        [MWh]      at the end of the hour
reservoir_level                      (time, node, technology)     [MWh]      reservoirs (MW equivalent × h)
spill                                (time, node, technology)     [MW]
flow                                 (time, link)                 [MW]       sent from→to minus sent to→from
flow_forward, flow_backward          (time, link)                 [MW]       sent in each direction
link_losses                          (time, link)                 [MW]
grid_import, grid_export             (time)                       [MW]
unserved                             (time, node)                 [MW]
demand                               (time, node)                 [MW]
price                                (time, node)                 [USD/MWh]  balance dual / (α w_t)
weight                               (time)                       [h]        hours each step stands for
cost                                 (node, asset, component)     [USD/yr]   annualised investment, fixed O&M,
                                                                             variable and fuel, by asset
link_cost                            (link, component)            [USD/yr]
co2                                  (time)                       [t CO2/h]  gas turbine and imports
land_value                           (node)                       [USD/km^2  what one more km^2 of usable land
                                                                  /yr]       would save a year (0: not binding)
==================================== ============================ ========== ===================================

Coordinates ``kind`` (technology and storage) say what each technology is. Attributes: the objective
``objective_usd_per_year``, ``alpha`` (8,760 / Σ weight), solver name, status, method, time and
iterations, the zone's name and fingerprint, the year, the weather title and whether it is synthetic.

With ``typical_days=N`` the LP is solved on N representative days (:func:`greenzone.planning.typical_days.typical_days`)
and the plan is expanded back onto the full original time axis: every original day takes the hourly values
of its representative day, ``weight`` is 1 for every hour, and the storage and reservoir levels are the
linked levels of each original day, q^{h+1} E_d + e^{intra}_{k(d),h} (docs/formulation.md, "Typical
periods"), so that report code and key figures work unchanged and equal the aggregated LP's. Such plans
also carry ``demand_original`` (time, node) [MW], the demand before aggregation, and the attributes
``typical_days`` (N), ``typical_days_linking`` (1 or 0) and ``typical_days_dates`` (the representative days,
comma-separated); ``time_resolution`` reads e.g. "16 typical days (Kotzur storage linking)".

Several weather years: profiles over N years (``greenzone.profiles(zone, load_weather(zone, years=N))``, or
a weather file that holds several years) are planned as one horizon: one set of capacities that serves every
hour of every year, storage and reservoirs cyclic over the whole horizon (with typical days: the days of all
years are clustered together and linked in calendar order through every year boundary). Every annual figure
is per average year: operating sums are scaled by ``alpha`` = 8,760 / Σ weight (0.4993 for 2027–2028), so
costs, the fuel budgets and the CO2 cap (which bind the average year, not each year) and the key figures are
per 8,760 hours. Every hour weighs the same, so each year weighs by its hours (a leap year 8,784/8,760).
``time_resolution`` then ends in "over N weather years".

With ``decomposition=`` (:mod:`greenzone.planning.decomposed`) the plan is hourly, solved by temporal
decomposition to a stated gap; ``objective_usd_per_year`` is then the upper bound (the cost of the joined
weekly dispatch), and the attributes ``decomposition_*`` hold the lower bound, gap, iterations and time per
stage (docs/decomposition.md).

A plan is only ever built from an optimal solve: a time limit or numerical failure raises
:class:`~greenzone.errors.SolverError`, an infeasible zone :class:`~greenzone.errors.InfeasibleError` with a
diagnosis in the zone's terms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.optimize.decompose import Decomposition, Progress
from greenzone.optimize.formulation import Model, Periods, build_model
from greenzone.optimize.formulation.policy import FOSSIL_KINDS
from greenzone.optimize.solve import Method, Solution, SolverOptions, Status, require_optimal, solve
from greenzone.planning.typical_days import Aggregation
from greenzone.planning.typical_days import typical_days as cluster_days
from greenzone.zone.fingerprint import zone_fingerprint
from greenzone.zone.schema import VARIABLE_KINDS, Zone

log = logging.getLogger("greenzone.planning.year")

DEFAULT_METHOD: Method = "ipm"
"""Default HiGHS method for planning (see docs/benchmarks.md for the measurement behind it)."""


def plan(
    zone: Zone,
    profiles: xr.Dataset,
    *,
    year: int | None = None,
    weights: np.ndarray | None = None,
    typical_days: int | None = None,
    linking: bool = True,
    method: Method = DEFAULT_METHOD,
    time_limit: float | None = None,
    threads: int | None = None,
    options: SolverOptions | None = None,
    extra_constraints: Callable[[Model], None] | None = None,
    diagnose: bool = True,
    on_solve: Callable[[Model], None] | None = None,
    stress_days: Sequence[int] = (),
    decomposition: Decomposition | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> xr.Dataset:
    """Least-cost capacity expansion and hourly dispatch of ``zone`` on ``profiles``.

    Parameters
    ----------
    year : year whose demand and usable land apply; default the zone's.
    weights : hours each time step stands for [h]; default 1 per hour. Not with ``typical_days``.
    typical_days : plan on this many typical days (extreme days included) instead of every hour; the plan
        comes back on the full original time axis (see this module's docstring).
    linking : with ``typical_days``, link storage and reservoir levels across the year (Kotzur et al. 2018);
        False makes every store cyclic within each typical day (the naive method, for comparison).
    method : HiGHS method: "ipm" (interior point with crossover), "ipm_no_crossover", "dual_simplex",
        "simplex", "primal_simplex", "pdlp" or "choose".
    time_limit : wall-clock limit of the solve [s]; reaching it raises SolverError, never a partial plan.
    threads : HiGHS threads; default HiGHS's choice.
    options : full solver options; overrides ``method``, ``time_limit`` and ``threads``.
    extra_constraints : hook called with the built :class:`~greenzone.optimize.formulation.Model` to add
        constraint blocks of one's own.
    diagnose : on infeasibility, run the diagnosis that names the cause (costs one more solve).
    on_solve : called with the built model just before HiGHS starts (e.g. to show progress).
    stress_days : days of ``profiles`` (index from the first day, 24 hours each) whose load must be served in
        full (no unserved load in their hours); with ``typical_days`` each is kept as a period of its own
        (:mod:`greenzone.planning.reliable` puts the worst days of other weather years there).
    decomposition : plan every hour by temporal decomposition
        (:class:`~greenzone.optimize.decompose.Decomposition`: regularised Benders, one subproblem per week, on
        Dask), starting from the plan on 16 typical days (:mod:`greenzone.planning.decomposed`); not with
        ``typical_days``, ``weights``, ``stress_days`` or ``extra_constraints``.
    on_progress : with ``decomposition``, called with each iteration's bounds and gap.
    """
    options = options or SolverOptions(method=method, time_limit_s=time_limit, threads=threads)
    if decomposition is not None:
        if typical_days is not None or weights is not None or stress_days or extra_constraints is not None:
            raise ValueError(
                "decomposition plans every hour: pass it without typical_days, weights, stress_days or "
                "extra_constraints"
            )
        from greenzone.planning.decomposed import plan_decomposed

        return plan_decomposed(
            zone, profiles, year=year, decomposition=decomposition, options=options, on_progress=on_progress
        )
    stress_days = [int(day) for day in stress_days]
    if typical_days is None:
        hooks = _serve_in_full(_day_hours(stress_days, profiles.sizes["time"]), extra_constraints)
        model = build_model(zone, profiles, year=year, weights=weights, extra_constraints=hooks)
        numerics = _check_numerics(model)
        if on_solve is not None:
            on_solve(model)
        solution = solve(model.lp, options)
        _require_plan(zone, profiles, year, weights, solution, diagnose)
        result = plan_dataset(model, solution, profiles)
        result.attrs["numerics_warnings"] = " | ".join(numerics.warnings)
        return result
    if weights is not None:
        raise ValueError(
            "pass weights or typical_days, not both: typical days take their weights from the clustering"
        )
    renewables = [t for t in zone.generator_ids if zone.technologies[t].kind in VARIABLE_KINDS]
    aggregation = cluster_days(profiles, typical_days, renewables=renewables, keep_days=stress_days)
    periods = Periods(n_hours=aggregation.n_hours_per_period, order=aggregation.day_cluster, linking=linking)
    stress_periods = sorted({int(aggregation.day_cluster[day]) for day in stress_days})
    hooks = _serve_in_full(_day_hours(stress_periods, aggregation.profiles.sizes["time"]), extra_constraints)
    model = build_model(zone, aggregation.profiles, year=year, periods=periods, extra_constraints=hooks)
    numerics = _check_numerics(model)
    if on_solve is not None:
        on_solve(model)
    solution = solve(model.lp, options)
    _require_plan(zone, aggregation.profiles, year, aggregation.weights, solution, diagnose)
    result = expand_plan(
        plan_dataset(model, solution, aggregation.profiles), model, solution, aggregation, profiles
    )
    result.attrs["numerics_warnings"] = " | ".join(numerics.warnings)
    return result


def _day_hours(days: Sequence[int], n_hours: int) -> np.ndarray:
    """Model hours of the given days (24 hours each from the first hour)."""
    hours = (np.asarray(days, dtype=int)[:, None] * 24 + np.arange(24)[None, :]).ravel()
    if hours.size and (hours.min() < 0 or hours.max() >= n_hours):
        raise ValueError(f"stress_days: every day must lie within the profiles' {n_hours // 24} days")
    return hours


def _serve_in_full(hours: np.ndarray, extra_constraints: Callable[[Model], None] | None):
    """An ``extra_constraints`` hook that forbids unserved load in ``hours``, then calls the user's hook."""
    if hours.size == 0:
        return extra_constraints

    def hook(model: Model) -> None:
        d = model.data
        upper = np.array(d.demand if d.zone.policy.allow_unserved else np.zeros_like(d.demand), dtype=float)
        upper[:, hours] = 0.0
        model.lp.update_bounds("unserved", upper=upper)
        if extra_constraints is not None:
            extra_constraints(model)

    return hook


def _check_numerics(model):
    """Check coefficient, bound, right-hand-side and cost ranges before the solve; log each warning, which
    names the constraint family (block) that causes it (capacity factors below 1e-3 are already 0)."""
    from greenzone.optimize.numerics import check_numerics

    report = check_numerics(model.lp)
    for warning in report.warnings:
        log.warning("numerics: %s", warning)
    return report


def _require_plan(zone, profiles, year, weights, solution: Solution, diagnose: bool) -> None:
    """Raise the diagnosis of an infeasible plan, or SolverError for anything that is not an optimum."""
    if solution.status in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED) and diagnose:
        from greenzone.optimize.diagnose import diagnose_infeasibility

        raise diagnose_infeasibility(zone, profiles, year=year, weights=weights)
    require_optimal(solution, what=f"the plan of '{zone.name}'")


def expand_plan(
    plan_ds: xr.Dataset, model: Model, solution: Solution, aggregation: Aggregation, profiles: xr.Dataset
) -> xr.Dataset:
    """A plan on representative days, expanded onto the original time axis (see this module's docstring).

    Every hourly variable takes, on each original day, the values of its cluster's representative day;
    storage and reservoir levels become q^{h+1} E_d + e^{intra}_{k(d),h} with linking. ``weight`` is 1 per
    hour, so weighted sums over the expanded plan equal those of the aggregated LP.
    """
    d = model.data
    periods = d.periods
    out = aggregation.expand(plan_ds)
    out["weight"] = xr.Variable(("time",), np.ones(out.sizes["time"]), {"units": "h"})
    nodes = d.nodes
    if periods.linking:
        lp, x = model.lp, solution.x
        if d.sto_labels:
            level = periods.absolute_level(
                lp.variable_values("storage_level", x),
                lp.variable_values("storage_inter_level", x),
                1.0 - d.sto_standing_loss,
            )
            grid = _to_grid(level, d.sto_labels, nodes, list(out["storage"].values), time=True)
            out["storage_level"] = xr.Variable(("time", "node", "storage"), grid, {"units": "MWh"})
        if d.res_gen.size:
            level = periods.absolute_level(
                lp.variable_values("reservoir_level", x), lp.variable_values("reservoir_inter_level", x)
            )
            labels = [d.gen_labels[g] for g in d.res_gen]
            grid = _to_grid(level, labels, nodes, list(out["technology"].values), time=True)
            out["reservoir_level"] = xr.Variable(("time", "node", "technology"), grid, {"units": "MWh"})
    demand = profiles["demand"].transpose("time", "node").values.astype(float)
    out["demand_original"] = xr.Variable(
        ("time", "node"), demand, {"units": "MW", "long_name": "demand before aggregation into typical days"}
    )
    n = aggregation.n_periods
    out.attrs.update(
        {
            "time_resolution": f"{n} typical days ("
            + ("Kotzur storage linking" if periods.linking else "without storage linking")
            + ")"
            + _over_years(len(aggregation.original_time)),
            "typical_days": int(n),
            "typical_days_linking": int(periods.linking),
            "typical_days_dates": ",".join(f"{t:%Y-%m-%d}" for t in aggregation.cluster_days),
        }
    )
    from greenzone.planning.aggregation_errors import recorded_error

    record = recorded_error(
        out.attrs["zone_fingerprint"],
        n,
        linking=periods.linking,
        weather_seed=profiles.attrs.get("weather_seed", ""),
        weather_years=len(set(pd.DatetimeIndex(profiles.indexes["time"]).year)),
        hours=len(aggregation.original_time),
    )
    if record is not None:
        out.attrs["typical_days_measured_cost_error"] = (
            f"{record['cost_error']:+.2%} against {record['reference']} "
            f"(capacity-mix error {record['capacity_mix_error']:.1%}; measured {record['measured_on']})"
        )
    else:
        out.attrs["typical_days_measured_cost_error"] = (
            "not measured for this zone and weather: run with --check (the plan's fleet dispatched over "
            "every hour), or measure it with benchmarks/aggregation_record.py"
        )
    return out


HOURS_PER_AVERAGE_YEAR = 8766.0
"""Mean calendar year (365.25 days) [h]: only to say how many weather years a horizon spans."""


def _over_years(hours: float) -> str:
    """The suffix ' over N weather years' for a horizon longer than a leap year [h], else an empty string."""
    if hours <= 8784 + 1e-9:
        return ""
    return f" over {hours / HOURS_PER_AVERAGE_YEAR:.3g} weather years"


def _split(labels: list[str]) -> tuple[list[str], list[str]]:
    nodes, techs = zip(*(label.split("/", 1) for label in labels), strict=True) if labels else ((), ())
    return list(nodes), list(techs)


def _to_grid(
    values: np.ndarray, labels: list[str], nodes: list[str], techs: list[str], time=None
) -> np.ndarray:
    """Scatter (unit, ...) values onto a (node, technology, ...) grid, zeros where nothing stands; for hourly
    values returns (time, node, technology)."""
    node_of, tech_of = _split(labels)
    shape = (len(nodes), len(techs)) + values.shape[1:]
    out = np.zeros(shape)
    for u, (n, k) in enumerate(zip(node_of, tech_of, strict=True)):
        out[nodes.index(n), techs.index(k)] = values[u]
    if time is not None:
        out = np.moveaxis(out, -1, 0)
    return out


def plan_dataset(model: Model, solution: Solution, profiles: xr.Dataset) -> xr.Dataset:
    """Turn an optimal solution into the Plan Dataset described in this module."""
    lp, d = model.lp, model.data
    x, y = solution.x, solution.y
    zone = d.zone
    nodes = d.nodes
    techs = [t for t in zone.generator_ids]
    stores = [t for t in zone.storage_ids]
    time = d.time

    def val(name):
        return lp.variable_values(name, x)

    cap = val("capacity")
    p = val("dispatch")
    curtail = np.where(
        np.array([k in VARIABLE_KINDS for k in d.gen_kind])[:, None],
        np.maximum(d.cf * cap[:, None] - p, 0.0),
        0.0,
    )
    g_grid = dict(nodes=nodes, techs=techs)
    dims_g = ("node", "technology")
    dims_gt = ("time", "node", "technology")
    data_vars: dict[str, tuple] = {
        "capacity": (dims_g, _to_grid(cap, d.gen_labels, **g_grid), {"units": "MW"}),
        "capacity_existing": (dims_g, _to_grid(d.gen_existing, d.gen_labels, **g_grid), {"units": "MW"}),
        "dispatch": (dims_gt, _to_grid(p, d.gen_labels, **g_grid, time=True), {"units": "MW"}),
        "curtailment": (dims_gt, _to_grid(curtail, d.gen_labels, **g_grid, time=True), {"units": "MW"}),
    }
    res_labels = [d.gen_labels[g] for g in d.res_gen]
    level = np.zeros((len(res_labels), len(time)))
    spill = np.zeros_like(level)
    if res_labels:
        level, spill = val("reservoir_level"), val("spill")
    data_vars["reservoir_level"] = (
        dims_gt,
        _to_grid(level, res_labels, **g_grid, time=True),
        {"units": "MWh"},
    )
    data_vars["spill"] = (dims_gt, _to_grid(spill, res_labels, **g_grid, time=True), {"units": "MW"})

    s_grid = dict(nodes=nodes, techs=stores)
    dims_s, dims_st = ("node", "storage"), ("time", "node", "storage")
    n_s = len(d.sto_labels)
    if n_s:
        power, cpower, energy = val("storage_power"), val("storage_charge_power"), val("storage_energy")
        cpower = np.where(d.sto_separate_charge, cpower, power)
        charge, discharge, slevel = val("charge"), val("discharge"), val("storage_level")
    else:
        power = cpower = energy = np.zeros(0)
        charge = discharge = slevel = np.zeros((0, len(time)))
    data_vars.update(
        {
            "storage_discharge_capacity": (dims_s, _to_grid(power, d.sto_labels, **s_grid), {"units": "MW"}),
            "storage_charge_capacity": (dims_s, _to_grid(cpower, d.sto_labels, **s_grid), {"units": "MW"}),
            "storage_energy": (dims_s, _to_grid(energy, d.sto_labels, **s_grid), {"units": "MWh"}),
            "storage_energy_existing": (
                dims_s,
                _to_grid(d.sto_energy_existing, d.sto_labels, **s_grid),
                {"units": "MWh"},
            ),
            "storage_discharge_capacity_existing": (
                dims_s,
                _to_grid(d.sto_power_existing, d.sto_labels, **s_grid),
                {"units": "MW"},
            ),
            "storage_charge": (dims_st, _to_grid(charge, d.sto_labels, **s_grid, time=True), {"units": "MW"}),
            "storage_discharge": (
                dims_st,
                _to_grid(discharge, d.sto_labels, **s_grid, time=True),
                {"units": "MW"},
            ),
            "storage_level": (dims_st, _to_grid(slevel, d.sto_labels, **s_grid, time=True), {"units": "MWh"}),
        }
    )
    n_l = len(d.link_labels)
    if n_l:
        fcap, fwd, bwd = val("link_capacity"), val("flow_forward"), val("flow_backward")
    else:
        fcap, fwd, bwd = np.zeros(0), np.zeros((0, len(time))), np.zeros((0, len(time)))
    data_vars["link_capacity"] = (("link",), fcap, {"units": "MW"})
    data_vars["link_capacity_existing"] = (("link",), d.link_existing, {"units": "MW"})
    data_vars["flow"] = (("time", "link"), (fwd - bwd).T, {"units": "MW", "long_name": "net flow from -> to"})
    data_vars["flow_forward"] = (("time", "link"), fwd.T, {"units": "MW", "long_name": "sent from -> to"})
    data_vars["flow_backward"] = (("time", "link"), bwd.T, {"units": "MW", "long_name": "sent to -> from"})
    data_vars["link_losses"] = (("time", "link"), ((fwd + bwd) * d.link_loss[:, None]).T, {"units": "MW"})
    if d.grid_node is not None:
        imports, exports = val("grid_import"), val("grid_export")
    else:
        imports = exports = np.zeros(len(time))
    data_vars["grid_import"] = (("time",), imports, {"units": "MW"})
    data_vars["grid_export"] = (("time",), exports, {"units": "MW"})
    data_vars["unserved"] = (("time", "node"), val("unserved").T, {"units": "MW"})
    data_vars["demand"] = (("time", "node"), d.demand.T, {"units": "MW"})
    duals = lp.constraint_duals("balance", y)
    data_vars["price"] = (
        ("time", "node"),
        (duals / (d.alpha * d.weights[None, :])).T,
        {"units": "USD/MWh", "long_name": "nodal price"},
    )
    data_vars["weight"] = (("time",), d.weights, {"units": "h"})
    land_value = np.zeros(len(nodes))
    if "land" in lp.constraints:  # the land rows' duals: what one more km^2 would save [USD/km^2/yr]
        rows = [nodes.index(n) for n in lp.constraint_block("land").coords["node"]]
        land_value[rows] = -lp.constraint_duals("land", y)
    data_vars["land_value"] = (("node",), land_value, {"units": "USD/km^2/yr"})
    co2 = (d.gen_emission[:, None] * p).sum(axis=0) + d.import_emission * imports
    data_vars["co2"] = (("time",), co2, {"units": "t CO2/h"})
    cost, link_cost = _costs(d, cap, p, power, cpower, energy, fcap, nodes, techs + stores)
    data_vars["cost"] = (("node", "asset", "component"), cost, {"units": "USD/yr"})
    data_vars["link_cost"] = (("link", "component"), link_cost, {"units": "USD/yr"})
    kinds = {t: zone.technologies[t].kind for t in techs + stores}
    ds = xr.Dataset(
        {name: xr.Variable(*spec) for name, spec in data_vars.items()},
        coords={
            "time": time.values,
            "node": nodes,
            "technology": techs,
            "storage": stores,
            "link": d.link_labels,
            "asset": techs + stores,
            "component": ["investment", "fixed_om", "variable"],
            "kind": ("technology", [kinds[t] for t in techs]),
            "storage_kind": ("storage", [kinds[t] for t in stores]),
            "fossil": ("technology", [kinds[t] in FOSSIL_KINDS for t in techs]),
            "link_from": ("link", [nodes[i] for i in d.link_from]),
            "link_to": ("link", [nodes[i] for i in d.link_to]),
            "lat": ("node", [n.lat for n in zone.nodes]),
            "lon": ("node", [n.lon for n in zone.nodes]),
        },
    )
    ds.attrs.update(
        {
            "title": f"greenzone plan: {zone.name}",
            "objective_usd_per_year": float(solution.objective),
            "alpha": float(d.alpha),
            "year": int(d.year),
            "timezone": zone.timezone,
            "zone": zone.name,
            "zone_fingerprint": zone_fingerprint(zone),
            "grid_node": "" if d.grid_node is None else nodes[d.grid_node],
            "import_renewable_share": float(d.import_renewable_share),
            "value_of_lost_load_usd_per_mwh": float(zone.policy.value_of_lost_load_usd_per_mwh),
            "solver": solution.solver,
            "solver_version": solution.solver_version,
            "solver_status": solution.status.name.lower(),
            "solver_method": solution.method,
            "solver_interior_point": solution.interior_point,
            "solver_time_s": float(solution.run_time_s),
            "solver_iterations": int(solution.iterations.total),
            "num_variables": int(lp.num_variables),
            "num_constraints": int(lp.num_constraints),
            "weather_title": profiles.attrs.get("weather_title", ""),
            "synthetic": int(profiles.attrs.get("synthetic", 0)),
            "time_resolution": ("hourly" if np.all(d.weights == 1) else "weighted (typical periods)")
            + _over_years(float(d.weights.sum())),
            "time_convention": "hourly, timezone-naive UTC, label = start of interval",
        }
    )
    return ds


def balance_residual(plan_ds: xr.Dataset) -> xr.DataArray:
    """Supply minus use minus demand per node and hour [MW]; zero (to solver tolerance) in every plan."""
    supply = (
        plan_ds["dispatch"].sum("technology")
        + plan_ds["storage_discharge"].sum("storage")
        - plan_ds["storage_charge"].sum("storage")
        + plan_ds["unserved"]
    )
    nodes = list(plan_ds["node"].values)
    net = np.zeros((plan_ds.sizes["time"], len(nodes)))
    for link in plan_ds["link"].values:
        a = nodes.index(str(plan_ds["link_from"].sel(link=link).values))
        b = nodes.index(str(plan_ds["link_to"].sel(link=link).values))
        fwd = plan_ds["flow_forward"].sel(link=link).values
        bwd = plan_ds["flow_backward"].sel(link=link).values
        sent = fwd + bwd
        loss = np.divide(
            plan_ds["link_losses"].sel(link=link).values, sent, out=np.zeros_like(sent), where=sent > 0
        )
        net[:, a] += (1 - loss) * bwd - fwd
        net[:, b] += (1 - loss) * fwd - bwd
    grid = plan_ds.attrs.get("grid_node", "")
    if grid:
        net[:, nodes.index(grid)] += plan_ds["grid_import"].values - plan_ds["grid_export"].values
    residual = supply + xr.DataArray(net, dims=("time", "node"), coords=supply.coords) - plan_ds["demand"]
    residual.attrs["units"] = "MW"
    return residual


def _costs(d, cap, p, power, cpower, energy, fcap, nodes, assets):
    """Annualised investment in new capacity, fixed O&M and variable + fuel cost per (node, asset) [USD/yr]."""
    cost = np.zeros((len(nodes), len(assets), 3))
    energy_by_gen = d.alpha * (p * d.weights[None, :]).sum(axis=1)
    for g, label in enumerate(d.gen_labels):
        n, t = label.split("/", 1)
        i, k = nodes.index(n), assets.index(t)
        cost[i, k] += [
            d.gen_capex[g] * (cap[g] - d.gen_existing[g]),
            d.gen_fom[g] * cap[g],
            d.gen_marginal[g] * energy_by_gen[g],
        ]
    for s, label in enumerate(d.sto_labels):
        n, t = label.split("/", 1)
        i, k = nodes.index(n), assets.index(t)
        charge_new = (cpower[s] - d.sto_charge_existing[s]) if d.sto_separate_charge[s] else 0.0
        charge_fom = cpower[s] if d.sto_separate_charge[s] else 0.0
        cost[i, k] += [
            d.sto_power_capex[s] * (power[s] - d.sto_power_existing[s])
            + d.sto_charge_capex[s] * charge_new
            + d.sto_energy_capex[s] * (energy[s] - d.sto_energy_existing[s]),
            d.sto_power_fom[s] * power[s] + d.sto_charge_fom[s] * charge_fom,
            0.0,
        ]
    link_cost = np.zeros((len(d.link_labels), 3))
    if len(d.link_labels):
        link_cost[:, 0] = d.link_capex * (fcap - d.link_existing)
        link_cost[:, 1] = d.link_fom * fcap
    return cost, link_cost


__all__ = ["DEFAULT_METHOD", "balance_residual", "expand_plan", "plan", "plan_dataset"]
