"""The error of a typical-period plan, measured: its fleet dispatched over every hour of the year.

``check_aggregation(zone, plan, profiles)`` takes a plan solved on typical days (:func:`greenzone.plan` with
``typical_days=N``, expanded back onto the full year) and dispatches its capacities, fixed, over the full
hourly ``profiles`` with perfect foresight in rolling windows (:func:`greenzone.operate` with
``forecast="perfect"``), storage and reservoirs aiming at the plan's linked levels at each window's end. The
plan's annualised investment and fixed O&M plus this hourly operating cost is what the plan really costs at
full resolution; against the aggregated objective it gives

- ``aggregation_cost_error`` [-]: (hourly cost − aggregated cost) / |aggregated cost|;
- ``aggregation_unserved_mwh`` [MWh/yr]: load the fleet leaves unserved hour by hour;
- ``aggregation_unserved_difference_mwh`` and ``aggregation_curtailment_difference_mwh`` [MWh/yr]: hourly minus
  aggregated.

The rolling dispatch is itself a restriction of the full-year dispatch LP (it sees 48 hours ahead, guided by
the plan's levels), so its cost bounds the hourly optimum of these capacities from above; on a plan solved
hourly it reproduces the plan's cost (tests/test_aggregation_check.py).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from greenzone.kpi import annual_energy
from greenzone.zone.schema import Zone

__all__ = ["check_aggregation"]


def _fixed_cost(plan: xr.Dataset) -> float:
    """Annualised investment and fixed O&M of generators, storage and links [USD/yr]."""
    parts = ["investment", "fixed_om"]
    total = float(plan["cost"].sel(component=parts).sum())
    if "link_cost" in plan:
        total += float(plan["link_cost"].sel(component=parts).sum())
    return total


def check_aggregation(
    zone: Zone, plan: xr.Dataset, profiles: xr.Dataset, *, horizon: int = 48, step: int = 24
) -> tuple[dict, xr.Dataset]:
    """Dispatch ``plan``'s fleet hour by hour over ``profiles`` and compare (module docstring).

    Returns the key figures (``aggregation_*``) and the hourly Operation.
    """
    from greenzone.operate import operate

    time = plan.indexes["time"]
    if plan.sizes["time"] != profiles.sizes["time"] or not np.array_equal(time, profiles.indexes["time"]):
        raise ValueError(
            "check_aggregation needs the plan on the profiles' hours (a typical-day plan is expanded onto them)"
        )
    hourly = operate(zone, plan, profiles, forecast="perfect", horizon=horizon, step=step, terminal="plan")
    aggregated = float(plan.attrs["objective_usd_per_year"])
    cost = _fixed_cost(plan) + hourly.attrs["operating_cost_usd"] * float(hourly.attrs["alpha"])
    unserved = annual_energy(hourly, hourly["unserved"].sum("node"))

    def curtailed(ds: xr.Dataset) -> float:
        return annual_energy(ds, ds["curtailment"].sum(("node", "technology")))

    figures = {
        "aggregation_cost_error": (cost - aggregated) / abs(aggregated) if aggregated else 0.0,
        "aggregation_unserved_mwh": unserved,
        "aggregation_unserved_difference_mwh": unserved - annual_energy(plan, plan["unserved"].sum("node")),
        "aggregation_curtailment_difference_mwh": curtailed(hourly) - curtailed(plan),
        "aggregation_check_cost_usd_per_year": cost,
        "aggregation_check_method": (
            f"capacities fixed; every hour dispatched with perfect foresight in {horizon} h windows committing "
            f"{step} h, storage aiming at the plan's levels"
        ),
    }
    return figures, hourly
