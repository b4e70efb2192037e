"""``plan(..., decomposition=Decomposition())``: the hourly plan by temporal decomposition, as a Plan.

The typical-day plan gives the first point (capacities, and store levels at every subperiod's start from
its linked levels); :func:`greenzone.optimize.decompose.decompose` iterates to the gap; the subperiods'
dispatch at the best point, joined hour by hour, is the Plan's dispatch, whose cost is the upper bound (a
real plan over every hour). Prices are each subperiod's balance duals; the land value is the last master's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from greenzone.optimize.decompose import (
    CAPACITY_BLOCKS,
    Decomposition,
    DecompositionResult,
    Progress,
    decompose,
    layout,
    start_points,
)
from greenzone.optimize.formulation import Model, build_model
from greenzone.optimize.formulation.data import ModelData, model_data
from greenzone.optimize.solve import IterationCounts, Solution, SolverOptions, Status
from greenzone.zone.schema import Zone

START_TYPICAL_DAYS = 16
"""Typical days of the plan the decomposition starts from (the default of ``greenzone run``; fewer on a
shorter horizon)."""


def plan_decomposed(
    zone: Zone,
    profiles: xr.Dataset,
    *,
    year: int | None,
    decomposition: Decomposition,
    options: SolverOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> xr.Dataset:
    """The hourly plan of ``zone`` on ``profiles`` by temporal decomposition (module docstring)."""
    from greenzone.planning.year import _over_years, plan, plan_dataset

    days = min(START_TYPICAL_DAYS, profiles.sizes["time"] // 24)
    if days < 1:
        raise ValueError("decomposition needs at least one whole day of hours to start from")
    start_plan = plan(zone, profiles, year=year, typical_days=days, options=options)
    d = model_data(zone, profiles, year=year)
    lay = layout(d, decomposition.hours)
    caps = _capacities(d, start_plan)
    storage, reservoirs = _boundary_levels(d, lay.bounds, start_plan)
    start = start_points(d, lay, caps, storage_levels=storage, reservoir_levels=reservoirs)
    result = decompose(zone, profiles, start, year=year, options=decomposition, on_progress=on_progress)
    model = build_model(zone, profiles, year=year)
    solution = _solution(model, result, start_plan)
    out = plan_dataset(model, solution, profiles)
    for node, value in result.land_value.items():
        out["land_value"].loc[{"node": node}] = value
    out.attrs.update(_attrs(result, start_plan))
    out.attrs["time_resolution"] = f"hourly by temporal decomposition (gap {result.gap:.3%})" + _over_years(
        float(d.weights.sum())
    )
    return out


def _capacities(d: ModelData, start: xr.Dataset) -> np.ndarray:
    """The typical-day plan's capacities as the linking vector's capacity part, within their bounds."""

    def by_label(var, labels, dim):
        return np.array(
            [
                float(start[var].sel(node=lab.split("/", 1)[0], **{dim: lab.split("/", 1)[1]}))
                for lab in labels
            ]
        )

    parts = [np.clip(by_label("capacity", d.gen_labels, "technology"), d.gen_existing, d.gen_max)]
    if d.sto_labels:
        power = by_label("storage_discharge_capacity", d.sto_labels, "storage")
        charge = np.where(
            d.sto_separate_charge, by_label("storage_charge_capacity", d.sto_labels, "storage"), 0.0
        )
        energy = by_label("storage_energy", d.sto_labels, "storage")
        parts += [
            np.clip(power, d.sto_power_existing, d.sto_power_max),
            np.clip(charge, d.sto_charge_existing, np.where(d.sto_separate_charge, d.sto_charge_max, 0.0)),
            np.clip(energy, d.sto_energy_existing, d.sto_energy_max),
        ]
    parts.append(np.clip(start["link_capacity"].values, d.link_existing, d.link_max))
    return np.concatenate(parts)


def _boundary_levels(d: ModelData, bounds, start: xr.Dataset):
    """Each store's level at the start of every subperiod in the typical-day plan (the level at the end of
    the hour before; the first subperiod's: at the end of the horizon) [MWh]."""
    before = np.asarray(bounds[:-1]) - 1  # -1: the last hour (cyclic)
    storage = reservoirs = None
    if d.sto_labels:
        storage = np.array(
            [
                start["storage_level"].sel(node=lab.split("/")[0], storage=lab.split("/")[1]).values[before]
                for lab in d.sto_labels
            ]
        )
    if d.res_gen.size:
        reservoirs = np.array(
            [
                start["reservoir_level"]
                .sel(node=d.gen_labels[g].split("/")[0], technology=d.gen_labels[g].split("/")[1])
                .values[before]
                for g in d.res_gen
            ]
        )
    return storage, reservoirs


def _solution(model: Model, result: DecompositionResult, start: xr.Dataset) -> Solution:
    """The full horizon's columns and balance duals joined from the subperiods' at the best point."""
    lp = model.lp
    x = np.zeros(lp.num_variables)
    y = np.zeros(lp.num_constraints)
    caps = result.points[0, : result.layout.n_capacity]
    sizes = result.layout.capacity_sizes()
    at = 0
    for name in CAPACITY_BLOCKS:
        if name in lp.variables:
            x[lp.variable_block(name).index.ravel()] = caps[at : at + sizes[name]]
        at += sizes[name]
    for name, block in lp.variables.items():
        if name in CAPACITY_BLOCKS:
            continue
        if "time" not in block.dims:
            raise ValueError(f"decomposition: the hourly LP's block {name!r} has no hours to join")
        axis = block.dims.index("time")
        values = np.concatenate([part[name] for part in result.hourly], axis=axis)
        x[block.index] = values
    balance = lp.constraint_block("balance")
    y[balance.index] = np.concatenate([part["balance_dual"] for part in result.hourly], axis=-1)
    for array in (x, y):
        array.flags.writeable = False
    return Solution(
        Status.OPTIMAL,
        result.upper,
        x,
        y,
        None,
        solver="highs",
        solver_version=start.attrs.get("solver_version", ""),
        method="decomposition",
        run_time_s=result.times["total_s"],
        iterations=IterationCounts(simplex=result.subproblem_iterations),
        message=f"decomposed to a gap of {result.gap:.3%} in {result.iterations} iterations",
    )


def _attrs(result: DecompositionResult, start: xr.Dataset) -> dict:
    """The decomposition's bounds, iterations and time per stage, as Plan attributes."""
    out = {
        "decomposition_lower_usd_per_year": float(result.lower),
        "decomposition_upper_usd_per_year": float(result.upper),
        "decomposition_gap": float(result.gap),
        "decomposition_iterations": int(result.iterations),
        "decomposition_subperiods": int(result.layout.n_sub),
        "decomposition_start": f"{start.attrs['typical_days']} typical days, "
        f"{float(start.attrs['objective_usd_per_year']):.6g} USD/yr in {float(start.attrs['solver_time_s']):.3g} s",
        "decomposition_subproblem_solve_s": float(result.subproblem_solve_s),
    }
    for stage, seconds in result.times.items():
        out[f"decomposition_{stage}"] = float(seconds)
    return out
