"""A scheduled day against what actually happened: the committed schedule settled hour by hour against the
metered hours, and what the forecast error cost, as :func:`greenzone.operate.operate` computes it.

``settle_schedule(zone, capacities, forecast, actual, state)`` makes the schedule from the forecast (the one
:func:`greenzone.operate.schedule.schedule` makes), settles it against ``actual`` with the settlement LP of
:mod:`greenzone.operate.settle`, and makes the schedule it would have been with a perfect forecast (the same
window LP on the actual hours, from the same state). The cost of forecast error is the settled operating cost
minus the perfect-forecast one [USD] (:func:`greenzone.operate.results.operating_cost`: variable and fuel
cost + imports − exports + value of lost load). Both end the day at levels of their own; the result states
both, since stored energy left over is worth something the day's cost does not count.

Metered grid prices (``actual``'s variables ``grid_import_price`` / ``grid_export_price`` (time) [USD/MWh],
read by ``read_forecast_csv(..., prices=True)``) replace the zone's grid prices where given: the settled day's
imports and exports are paid at them, and the perfect-forecast day, which knew the hours, is scheduled and
paid at them too. The committed schedule and its settlement LP (which tracks the schedule) are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.operate.results import hourly_grid_prices, operating_cost, operation_dataset
from greenzone.operate.schedule import PRICE_COLUMNS, Window, schedule_window
from greenzone.operate.settle import Settlement, net_load_error, settle_hours
from greenzone.operate.window import ForecastError
from greenzone.optimize.solve import SolverOptions
from greenzone.zone.schema import Zone

__all__ = ["settle_schedule"]


def settle_schedule(
    zone: Zone,
    capacities: xr.Dataset,
    forecast: xr.Dataset,
    actual: xr.Dataset,
    state: Mapping[str, float] | None = None,
    *,
    options: SolverOptions | None = None,
) -> tuple[xr.Dataset, dict]:
    """The schedule from ``forecast`` settled against ``actual`` (the same hours, profiles-shaped), as an
    Operation (:mod:`greenzone.operate.results`), and its key figures [USD, MWh] (module docstring)."""
    f_time, a_time = pd.DatetimeIndex(forecast.indexes["time"]), pd.DatetimeIndex(actual.indexes["time"])
    if len(a_time) != len(f_time) or not (a_time == f_time).all():
        raise ForecastError(
            f"actuals: they cover {a_time[0]:%Y-%m-%d %H:%M} + {len(a_time)} h, the schedule "
            f"{f_time[0]:%Y-%m-%d %H:%M} + {len(f_time)} h; send actuals for the schedule's hours"
        )
    metered = {k: actual[k].values for k in PRICE_COLUMNS if k in actual}
    actual = actual.drop_vars(list(metered))
    scheduled = schedule_window(zone, capacities, forecast, state, options=options)
    prices = _prices(zone, scheduled.d, actual, metered)
    settlement = Settlement(zone, capacities, actual)
    try:
        settled, storage_end, reservoir_end = settle_hours(
            settlement, scheduled.part, actual, scheduled.storage0, scheduled.reservoir0
        )
    finally:
        settlement.close()
    at = dict(zip(("import_price", "export_price"), prices, strict=True)) if metered else {}
    perfect = schedule_window(zone, capacities, actual, state, options=options, **at)
    error = net_load_error(scheduled.d, scheduled.generation_capacity, scheduled.forecast, actual)
    result = _operation(zone, capacities, actual, scheduled, settled, error, prices)
    best = _operation(zone, capacities, actual, perfect, perfect.part, np.zeros_like(error), prices)
    cost, perfect_cost = operating_cost(result), operating_cost(best)
    d = scheduled.d
    figures = {
        "hours": len(a_time),
        "metered_prices": sorted(metered),
        "operating_cost_usd": cost,
        "perfect_forecast_operating_cost_usd": perfect_cost,
        "cost_of_forecast_error_usd": cost - perfect_cost,
        "unserved_energy_mwh": float(result["unserved"].sum()),
        "perfect_forecast_unserved_energy_mwh": float(best["unserved"].sum()),
        "mean_abs_net_load_error_mw": float(np.abs(error.sum(axis=0)).mean()),
        "storage_end_mwh": dict(zip(d.sto_labels, map(float, storage_end), strict=True)),
        "perfect_forecast_storage_end_mwh": dict(
            zip(d.sto_labels, map(float, _end(perfect.part, "storage_level", len(d.sto_labels))), strict=True)
        ),
    }
    return result, figures


def _prices(zone: Zone, d, actual: xr.Dataset, metered: dict) -> tuple[np.ndarray, np.ndarray]:
    """Import and export prices by hour [USD/MWh]: the metered ones where given, else the zone's."""
    n_t = actual.sizes["time"]
    _, imp, exp = hourly_grid_prices(zone, d, actual, n_t)
    imp = np.asarray(metered.get("grid_import_price", imp), dtype=float)
    exp = np.asarray(metered.get("grid_export_price", exp), dtype=float)
    return imp, exp


def _end(part: dict[str, np.ndarray], key: str, n: int) -> np.ndarray:
    return part[key][:, -1] if key in part and part[key].size else np.zeros(n)


def _operation(
    zone: Zone, capacities, actual: xr.Dataset, window: Window, settled: dict, error: np.ndarray, prices
) -> xr.Dataset:
    """One settled day as an Operation dataset with its hourly grid prices (import, export) [USD/MWh]."""
    d, n_t = window.d, actual.sizes["time"]
    zeros = {
        "dispatch": (len(d.gen_labels), n_t),
        "spill": (d.res_gen.size, n_t),
        "reservoir_level": (d.res_gen.size, n_t),
        "charge": (len(d.sto_labels), n_t),
        "discharge": (len(d.sto_labels), n_t),
        "storage_level": (len(d.sto_labels), n_t),
        "flow_forward": (len(d.link_labels), n_t),
        "flow_backward": (len(d.link_labels), n_t),
        "grid_import": (n_t,),
        "grid_export": (n_t,),
        "unserved": (len(d.nodes), n_t),
    }
    rec = {
        k: np.asarray(settled[k]).reshape(shape) if k in settled else np.zeros(shape)
        for k, shape in zeros.items()
    }
    committed = {
        k: np.asarray(window.part[k]).reshape(shape) if k in window.part else np.zeros(shape)
        for k, shape in zeros.items()
    }
    s = window.solution
    win = {
        "start": [pd.Timestamp(actual.indexes["time"][0])],
        "iterations": [s.iterations.total],
        "solve_s": [s.run_time_s],
        "settle_s": [0.0],
        "objective": [s.objective],
        "shortfall": [0.0],
    }
    ds = operation_dataset(
        zone, capacities, actual, rec, committed, window.part["price"], error, s.run_time_s, win
    )
    imp, exp = prices
    ds["import_price_hourly"] = xr.Variable(("time",), imp, {"units": "USD/MWh"})
    ds["export_price_hourly"] = xr.Variable(("time",), exp, {"units": "USD/MWh"})
    return ds
