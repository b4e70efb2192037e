"""The error of a typical-period plan, measured: its fleet dispatched over every hour of the year, every annual
limit kept.

``check_aggregation(zone, plan, profiles)`` takes a plan solved on typical days (:func:`greenzone.plan` with
``typical_days=N``, expanded back onto the full year) and dispatches its capacities, fixed, over the full
hourly ``profiles``, holding the renewable share, the CO2 cap and the fuel budgets over the year. Two ways
(``method``):

- ``"year"`` (default): the whole hourly year as one LP with the capacities fixed and the annual limits and
  reserve rows kept (:func:`greenzone.plan` with :func:`greenzone.operate.fix_capacities` ``keep_limits=True``,
  HiGHS interior point): the fixed fleet's exact hourly optimum. On the 2040 Karabakh variant (9 nodes,
  8,784 h, HiPO, 2 cores) 30 s against 5 s for the windows, whose cost came out 0.16% of |cost| higher
  (docs/benchmarks.md); both are small beside the 16-day plan itself (184 s there).
- ``"windows"``: with perfect foresight in rolling windows (:func:`greenzone.operate` with
  ``forecast="perfect"``, ``hold_limits=True``), storage and reservoirs aiming at the plan's linked levels at
  each window's end, each annual limit handed to the windows pro rata to the plan's own use of it in their
  hours (what is left after the committed hours, as for fuel budgets). A window that cannot stay within its
  allowance exceeds it at the value of lost load per unit; the excess is reported
  (``aggregation_limit_excess_*``), and the check is then no upper bound. For horizons too large for one LP
  (many weather years) or where only IPX is installed (which made 14 iterations in 900 s on the hourly
  planning LP of this zone).

Either dispatch is feasible for the hourly planning LP with these capacities, so the check's cost bounds the
true hourly optimum from above (tests/test_aggregation_check.py, on zones whose renewable share or CO2 cap
binds). The plan's annualised investment and fixed O&M plus the hourly operating cost is what the plan really
costs at full resolution; against the aggregated objective it gives

- ``aggregation_cost_error`` [-]: (hourly cost − aggregated cost) / |aggregated cost|;
- ``aggregation_unserved_mwh`` [MWh/yr]: load the fleet leaves unserved hour by hour;
- ``aggregation_unserved_difference_mwh`` and ``aggregation_curtailment_difference_mwh`` [MWh/yr]: hourly minus
  aggregated;
- ``aggregation_check_renewable_share`` [-] and ``aggregation_check_co2_t`` [t CO2/yr]: the limits as the
  hourly dispatch meets them, summed over the hours (beside ``aggregation_check_renewable_share_min`` and
  ``aggregation_check_co2_cap_t``, the zone's limits, where it sets them);
- ``aggregation_check_reference``: which reference this is, in words;
- ``aggregation_error_vs_hourly_optimum`` [-]: where the aggregation records
  (:mod:`greenzone.planning.aggregation_errors`) hold the true hourly optimum of this zone, weather and hours, the
  typical-day cost's error against it, (aggregated − optimum) / |optimum|; the reference then names it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from greenzone.kpi import annual_energy
from greenzone.zone.schema import Zone

__all__ = ["CheckMethod", "check_aggregation", "limit_use"]

CheckMethod = Literal["windows", "year"]


def _fixed_cost(plan: xr.Dataset) -> float:
    """Annualised investment and fixed O&M of generators, storage and links [USD/yr]."""
    parts = ["investment", "fixed_om"]
    total = float(plan["cost"].sel(component=parts).sum())
    if "link_cost" in plan:
        total += float(plan["link_cost"].sel(component=parts).sum())
    return total


def limit_use(zone: Zone, hourly: xr.Dataset) -> dict[str, float]:
    """The annual limits as an hourly dispatch (a Plan or an Operation) meets them: the renewable share as
    its row reads it, 1 − (fossil output + non-renewable imports + (1 − R) × unserved load) / demand, with R
    the zone's minimum (or 0) [-], and the CO2 emitted [t CO2/yr]."""
    policy = zone.policy
    demand = annual_energy(hourly, hourly["demand"].sum("node"))
    fossil = annual_energy(
        hourly, hourly["dispatch"].where(hourly["fossil"], 0.0).sum(("node", "technology"))
    )
    rho = float(hourly.attrs.get("import_renewable_share", 0.0))
    imports = annual_energy(hourly, hourly["grid_import"]) * (1.0 - rho)
    unserved = annual_energy(hourly, hourly["unserved"].sum("node"))
    share_min = float(policy.renewable_share_min or 0.0)
    used = fossil + imports + (1.0 - share_min) * unserved
    return {
        "renewable_share": 1.0 - used / demand if demand > 0 else float("nan"),
        "co2_t": annual_energy(hourly, hourly["co2"]),
    }


def _dispatch_windows(zone, plan, profiles, horizon: int, step: int) -> tuple[xr.Dataset, float, dict, str]:
    """The fleet in rolling windows: (Operation, operating cost [USD/yr], limit excess, method in words)."""
    from greenzone.operate import operate

    hourly = operate(
        zone,
        plan,
        profiles,
        forecast="perfect",
        horizon=horizon,
        step=step,
        terminal="plan",
        hold_limits=True,
    )
    operating = hourly.attrs["operating_cost_usd"] * float(hourly.attrs["alpha"])
    excess = {
        key.removeprefix("limit_excess_"): float(value) * float(hourly.attrs["alpha"])
        for key, value in hourly.attrs.items()
        if key.startswith("limit_excess_")
    }
    method = (
        f"capacities fixed; every hour dispatched with perfect foresight in {horizon} h windows committing "
        f"{step} h, storage aiming at the plan's levels, the renewable share, CO2 cap and fuel budgets handed "
        "to the windows pro rata to the plan's use of them"
    )
    return hourly, operating, excess, method


def _dispatch_year(zone, plan, profiles) -> tuple[xr.Dataset, float, dict, str]:
    """The fleet's exact hourly optimum: one LP over every hour with the capacities fixed and the limits
    kept (Plan, operating cost [USD/yr], no excess, method in words)."""
    from greenzone.operate import fix_capacities
    from greenzone.planning.year import plan as solve_plan

    hourly = solve_plan(
        zone,
        profiles,
        year=int(plan.attrs["year"]) if "year" in plan.attrs else None,
        extra_constraints=lambda model: fix_capacities(model, plan, keep_limits=True),
    )
    operating = float(hourly.attrs["objective_usd_per_year"]) - _fixed_cost(hourly)
    method = (
        f"capacities fixed; all {profiles.sizes['time']:,} hours dispatched as one LP (HiGHS "
        f"{hourly.attrs.get('solver_method', 'ipm')} {hourly.attrs.get('solver_interior_point', '')}) with the renewable share, CO2 cap, fuel budgets and "
        "reserve kept"
    )
    return hourly, operating, {}, method


def check_aggregation(
    zone: Zone,
    plan: xr.Dataset,
    profiles: xr.Dataset,
    *,
    method: CheckMethod = "year",
    horizon: int = 48,
    step: int = 24,
) -> tuple[dict, xr.Dataset]:
    """Dispatch ``plan``'s fleet hour by hour over ``profiles``, every annual limit kept, and compare (module
    docstring). ``horizon`` and ``step`` [h] shape the windows of ``method="windows"``.

    Returns the key figures (``aggregation_*``) and the hourly dispatch (an Operation, or a Plan for
    ``method="year"``).
    """
    time = plan.indexes["time"]
    if plan.sizes["time"] != profiles.sizes["time"] or not np.array_equal(time, profiles.indexes["time"]):
        raise ValueError(
            "check_aggregation needs the plan on the profiles' hours (a typical-day plan is expanded onto them)"
        )
    if method == "windows":
        hourly, operating, excess, described = _dispatch_windows(zone, plan, profiles, horizon, step)
    elif method == "year":
        hourly, operating, excess, described = _dispatch_year(zone, plan, profiles)
    else:
        raise ValueError(f"check_aggregation: method must be 'windows' or 'year', got {method!r}")
    aggregated = float(plan.attrs["objective_usd_per_year"])
    cost = _fixed_cost(plan) + operating
    unserved = annual_energy(hourly, hourly["unserved"].sum("node"))

    def curtailed(ds: xr.Dataset) -> float:
        return annual_energy(ds, ds["curtailment"].sum(("node", "technology")))

    met = limit_use(zone, hourly)
    figures = {
        "aggregation_cost_error": (cost - aggregated) / abs(aggregated) if aggregated else 0.0,
        "aggregation_unserved_mwh": unserved,
        "aggregation_unserved_difference_mwh": unserved - annual_energy(plan, plan["unserved"].sum("node")),
        "aggregation_curtailment_difference_mwh": curtailed(hourly) - curtailed(plan),
        "aggregation_check_cost_usd_per_year": cost,
        "aggregation_check_method": described,
        "aggregation_check_reference": (
            ("the fixed-fleet hourly dispatch" if method == "year" else "the plan's fleet in rolling windows")
            + " over every hour with the annual limits kept (an upper bound of the true hourly optimum, not the "
            "optimum itself)"
        ),
        "aggregation_check_renewable_share": met["renewable_share"],
        "aggregation_check_co2_t": met["co2_t"],
    }
    if zone.policy.renewable_share_min is not None:
        figures["aggregation_check_renewable_share_min"] = float(zone.policy.renewable_share_min)
    if zone.policy.co2_cap_t is not None:
        figures["aggregation_check_co2_cap_t"] = float(zone.policy.co2_cap_t)
    for row, value in excess.items():
        figures[f"aggregation_limit_excess_{row}"] = value
    figures |= _against_recorded_optimum(plan, profiles, aggregated, figures["aggregation_check_reference"])
    return figures, hourly


def _against_recorded_optimum(plan: xr.Dataset, profiles: xr.Dataset, aggregated: float, check: str) -> dict:
    """The typical-day cost against the true hourly optimum where a record of this plan holds it."""
    import pandas as pd

    from greenzone.planning.aggregation_errors import recorded_error

    if "typical_days" not in plan.attrs:
        return {}
    record = recorded_error(
        str(plan.attrs.get("zone_fingerprint")),
        int(plan.attrs["typical_days"]),
        linking=bool(plan.attrs.get("typical_days_linking", 1)),
        weather_seed=profiles.attrs.get("weather_seed", ""),
        weather_years=len(set(pd.DatetimeIndex(profiles.indexes["time"]).year)),
        hours=int(profiles.sizes["time"]),
    )
    optimum = None if record is None else record.get("hourly_optimum_usd_per_year")
    if optimum is None:
        return {}
    return {
        "aggregation_error_vs_hourly_optimum": (aggregated - optimum) / abs(optimum),
        "aggregation_check_reference": (
            f"the true hourly optimum from the aggregation records ({optimum / 1e6:.3f} MUSD/yr, measured "
            f"{record.get('measured_on', '')}); beside it {check}"
        ),
    }
