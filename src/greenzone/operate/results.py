"""The Operation dataset: settled and committed values of a rolling operation as a Plan-shaped Dataset,
and its operating cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.operate.window import _Fleet
from greenzone.optimize.formulation import build_model
from greenzone.optimize.solve import IterationCounts, Solution, Status
from greenzone.planning.year import _to_grid, plan_dataset
from greenzone.zone.schema import Zone

__all__ = ["hourly_grid_prices", "operating_cost", "operation_dataset"]


def operating_cost(operation: xr.Dataset) -> float:
    """Variable and fuel cost + imports − exports + value of lost load over the operated hours [USD]."""
    cost = float(operation["cost"].sel(component="variable").sum()) / float(operation.attrs["alpha"])
    cost += float((operation["grid_import"] * operation["import_price_hourly"]).sum())
    cost -= float((operation["grid_export"] * operation["export_price_hourly"]).sum())
    cost += float(operation["unserved"].sum()) * float(operation.attrs["value_of_lost_load_usd_per_mwh"])
    return cost


def operation_dataset(
    zone, capacities, profiles, rec, committed, price, forecast_error, total_s, win
) -> xr.Dataset:
    """The settled values as a Plan-shaped Dataset (through :func:`greenzone.planning.plan_dataset`)."""
    full = build_model(zone, profiles, cyclic=False)
    lp, d = full.lp, full.data
    fleet = _Fleet(d, capacities)
    x = np.zeros(lp.num_variables)

    def put(name, values):
        if name in lp.variables:
            block = lp.variable_block(name)
            x[block.offset : block.offset + block.size] = np.asarray(values, dtype=float).reshape(-1)

    put("capacity", fleet.gen)
    put("storage_power", fleet.power)
    put("storage_charge_power", fleet.charge)
    put("storage_energy", fleet.energy)
    put("link_capacity", fleet.link)
    for name, values in rec.items():
        put(name, values)
    y = np.zeros(lp.num_constraints)
    balance = lp.constraint_block("balance")
    y[balance.offset : balance.offset + balance.size] = (price * d.alpha).reshape(-1)
    objective = float(lp.col_cost @ x + lp.objective_constant)
    solution = Solution(
        Status.OPTIMAL,
        objective,
        x,
        y,
        np.zeros(lp.num_variables),
        solver="highs",
        solver_version="",
        method="dual_simplex",
        run_time_s=total_s,
        iterations=IterationCounts(simplex=int(sum(win["iterations"]))),
        message="rolling-horizon operation",
    )
    ds = plan_dataset(full, solution, profiles)
    nodes, techs, stores = d.nodes, list(zone.generator_ids), list(zone.storage_ids)
    res_labels = [d.gen_labels[g] for g in d.res_gen]
    spec = {
        "committed_dispatch": ("dispatch", d.gen_labels, techs, ("time", "node", "technology"), "MW"),
        "committed_storage_charge": ("charge", d.sto_labels, stores, ("time", "node", "storage"), "MW"),
        "committed_storage_discharge": ("discharge", d.sto_labels, stores, ("time", "node", "storage"), "MW"),
        "committed_storage_level": (
            "storage_level",
            d.sto_labels,
            stores,
            ("time", "node", "storage"),
            "MWh",
        ),
        "committed_reservoir_level": (
            "reservoir_level",
            res_labels,
            techs,
            ("time", "node", "technology"),
            "MWh",
        ),
    }
    for var, (key, labels, units_of, dims, unit) in spec.items():
        ds[var] = xr.Variable(
            dims, _to_grid(committed[key], labels, nodes, units_of, time=True), {"units": unit}
        )
    ds["committed_flow"] = xr.Variable(
        ("time", "link"), (committed["flow_forward"] - committed["flow_backward"]).T, {"units": "MW"}
    )
    ds["committed_grid_import"] = xr.Variable(("time",), committed["grid_import"], {"units": "MW"})
    ds["committed_grid_export"] = xr.Variable(("time",), committed["grid_export"], {"units": "MW"})
    ds["committed_unserved"] = xr.Variable(("time", "node"), committed["unserved"].T, {"units": "MW"})
    ds["forecast_error"] = xr.Variable(
        ("time", "node"),
        forecast_error.T,
        {
            "units": "MW",
            "long_name": "net-load forecast error (forecast − actual demand − renewable availability)",
        },
    )
    ds = ds.assign_coords(window=np.arange(len(win["start"])))
    ds["window_start"] = xr.Variable(("window",), pd.DatetimeIndex(win["start"]).values)
    ds["window_iterations"] = xr.Variable(("window",), np.array(win["iterations"]), {"units": "1"})
    ds["window_solve_s"] = xr.Variable(("window",), np.array(win["solve_s"]), {"units": "s"})
    ds["window_settle_s"] = xr.Variable(("window",), np.array(win["settle_s"]), {"units": "s"})
    ds["window_objective"] = xr.Variable(("window",), np.array(win["objective"]), {"units": "USD/yr"})
    ds["window_terminal_shortfall"] = xr.Variable(
        ("window",),
        np.array(win["shortfall"]),
        {"units": "MWh", "long_name": "terminal level target missed by the window's schedule"},
    )
    return ds


def hourly_grid_prices(zone: Zone, d, actual_ext: xr.Dataset, n_t: int):
    """Hourly grid prices [USD/MWh]: (import, export) over the extended hours where they vary by hour (else
    None), and both over the operated hours."""
    if d.grid_node is None:
        return None, np.zeros(n_t), np.zeros(n_t)
    from greenzone.resources.series import hourly_price

    g = zone.grid
    ext_time = pd.DatetimeIndex(actual_ext.indexes["time"])
    imp = hourly_price(g.import_price_usd_per_mwh, ext_time, zone.timezone, "grid.import_price_usd_per_mwh")
    exp = hourly_price(g.export_price_usd_per_mwh, ext_time, zone.timezone, "grid.export_price_usd_per_mwh")
    varying = (imp, exp) if np.ptp(imp) > 0 or np.ptp(exp) > 0 else None
    return varying, imp[:n_t], exp[:n_t]
