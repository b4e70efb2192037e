"""Key figures of a Plan (or an Operation, which has the same shape).

Definitions (annual values: sums over the horizon weighted by ``weight`` and scaled by ``alpha`` =
8,760 / Σ weight):

- ``total_cost_usd_per_year``: the objective: annualised investment in new capacity + fixed O&M on all
  capacity + variable and fuel costs + import cost − export revenue + value of lost load [USD/yr].
- ``lcoe_usd_per_mwh``: the levelised cost of the zone's own supply: (annualised investment + fixed O&M +
  variable O&M and fuel) of its generation and storage, per MWh its generators produce [USD/MWh]; investment
  counts what the plan adds at its annuity and, with the zone, the capacity in service at its technology's
  capex and lifetime (its replacement cost). Trade and lost load are not in it (greenzone/costs.py).
- ``lcoe_by_technology_usd_per_mwh``: the same per technology: a generator's costs per MWh it produces, a
  store's per MWh it discharges [USD/MWh]; ``supply_cost_usd_per_year`` [USD/yr] and ``generation_mwh``
  [MWh/yr], its numerator and denominator.
- ``net_cost_usd_per_mwh``: the net cost that counts trade: (system cost − export revenue + import cost) /
  local demand served, the lost-load penalty excluded [USD/MWh] (the figure reported as LCOE before);
  negative when exports earn more than the zone's plants and lines cost. ``export_revenue_usd_per_year`` and
  ``import_cost_usd_per_year`` [USD/yr] (with the zone) and ``trade_net_usd_per_year`` (import cost − export
  revenue, from the objective) show the trade apart.
- ``renewable_share``: 1 − (fossil generation + imports × (1 − their renewable share)) / local demand served [-].
- ``unserved_energy_mwh``: demand not served [MWh/yr].
- ``curtailment_share``: curtailed / (curtailed + generated) energy of solar, wind and run-of-river [-].
- ``co2_t``: gas turbine and imports at their emission factors [t CO2/yr].
- ``grid_import_mwh``, ``grid_export_mwh`` [MWh/yr]; ``land_used_km2`` [km^2] (needs the zone).
- ``capacity_mw``: per technology, summed over nodes [MW]; ``storage_power_mw``, ``storage_energy_mwh``;
  ``new_capacity_mw`` and ``new_storage_power_mw``: what the plan adds to the capacity in service [MW].
- ``investment_usd``: overnight cost of new capacity [USD] (needs the zone).
- ``mean_price_usd_per_mwh``: demand-weighted mean nodal price [USD/MWh].
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from greenzone.costs import cost_figures
from greenzone.zone.schema import STORAGE_KINDS, VARIABLE_KINDS, Zone


def annual_energy(plan: xr.Dataset, da: xr.DataArray) -> float:
    """Σ_t weight_t · value_t · alpha: an hourly [MW] quantity as annual energy [MWh/yr] (alpha from the plan's
    attributes, else 8,760 / Σ weight)."""
    alpha = plan.attrs.get("alpha", 8760.0 / float(plan["weight"].sum()))
    return float((da * plan["weight"]).sum()) * float(alpha)


def kpis(plan: xr.Dataset, zone: Zone | None = None) -> dict[str, Any]:
    """Key figures of ``plan`` as a JSON-ready dict (definitions in this module's docstring)."""
    demand = annual_energy(plan, plan["demand"].sum("node"))
    unserved = annual_energy(plan, plan["unserved"].sum("node"))
    served = demand - unserved
    imports = annual_energy(plan, plan["grid_import"])
    exports = annual_energy(plan, plan["grid_export"])
    fossil = annual_energy(plan, plan["dispatch"].where(plan["fossil"], 0.0).sum(("node", "technology")))
    rho = float(plan.attrs.get("import_renewable_share", 0.0))
    variable = plan["kind"].isin(list(VARIABLE_KINDS))
    curtailed = annual_energy(plan, plan["curtailment"].where(variable, 0.0).sum(("node", "technology")))
    generated = annual_energy(plan, plan["dispatch"].where(variable, 0.0).sum(("node", "technology")))
    total = float(plan.attrs["objective_usd_per_year"])
    figures: dict[str, Any] = {
        "total_cost_usd_per_year": total,
        **cost_figures(plan, zone),
        "renewable_share": 1.0 - (fossil + imports * (1.0 - rho)) / served if served > 0 else float("nan"),
        "demand_mwh": demand,
        "unserved_energy_mwh": unserved,
        "curtailment_share": curtailed / (curtailed + generated) if curtailed + generated > 0 else 0.0,
        "co2_t": annual_energy(plan, plan["co2"]),
        "grid_import_mwh": imports,
        "grid_export_mwh": exports,
        "capacity_mw": {str(k): float(v) for k, v in plan["capacity"].sum("node").to_series().items()},
        "new_capacity_mw": {
            str(k): float(v)
            for k, v in (plan["capacity"] - plan["capacity_existing"]).sum("node").to_series().items()
        },
        "new_storage_power_mw": {
            str(k): float(v)
            for k, v in (plan["storage_discharge_capacity"] - plan["storage_discharge_capacity_existing"])
            .sum("node")
            .to_series()
            .items()
        },
        "storage_power_mw": {
            str(k): float(v) for k, v in plan["storage_discharge_capacity"].sum("node").to_series().items()
        },
        "storage_energy_mwh": {
            str(k): float(v) for k, v in plan["storage_energy"].sum("node").to_series().items()
        },
        "cost_usd_per_year": {
            str(c): float(v) for c, v in plan["cost"].sum(("node", "asset")).to_series().items()
        },
        "peak_demand_mw": float(plan["demand"].sum("node").max()),
        "mean_price_usd_per_mwh": float(
            (plan["price"] * plan["demand"] * plan["weight"]).sum() / (plan["demand"] * plan["weight"]).sum()
        )
        if float(plan["demand"].sum()) > 0
        else float("nan"),
        "solver": plan.attrs.get("solver", ""),
        "solver_status": plan.attrs.get("solver_status", ""),
        "solver_method": plan.attrs.get("solver_method", ""),
        "solver_interior_point": plan.attrs.get("solver_interior_point", ""),
        "solver_time_s": plan.attrs.get("solver_time_s", float("nan")),
        "time_resolution": plan.attrs.get("time_resolution", ""),
        "hours": int(plan.sizes["time"]),
        "synthetic_weather": bool(plan.attrs.get("synthetic", 0)),
    }
    if zone is not None:
        figures["land_used_km2"] = land_used(plan, zone)
        figures["investment_usd"] = investment(plan, zone)
    return figures


def land_used(plan: xr.Dataset, zone: Zone) -> float:
    """Land taken by all capacity, existing included [km^2]."""
    total = 0.0
    for node in zone.nodes:
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            use = spec.land_use_km2_per_mw if nt.land_use_km2_per_mw is None else nt.land_use_km2_per_mw
            if spec.kind in STORAGE_KINDS:
                mw = float(plan["storage_discharge_capacity"].sel(node=node.id, storage=tech_id))
            else:
                mw = float(plan["capacity"].sel(node=node.id, technology=tech_id))
            total += use * mw
    return total


def investment(plan: xr.Dataset, zone: Zone) -> float:
    """Overnight cost of new capacity: capex × (capacity − existing), storage and links included [USD].

    Existing is what the plan counted as in service before it (its ``*_existing`` variables: the zone's
    existing capacity and the dated assets in service in the plan's year), the zone's own figures where the
    plan does not carry them."""
    total = 0.0

    def existing(name: str, fallback: float, **where) -> float:
        return float(plan[name].sel(**where)) if name in plan else fallback

    for node in zone.nodes:
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            if spec.kind in STORAGE_KINDS:
                at = {"node": node.id, "storage": tech_id}
                power = float(plan["storage_discharge_capacity"].sel(**at))
                charge = float(plan["storage_charge_capacity"].sel(**at))
                energy = float(plan["storage_energy"].sel(**at))
                power_ex = existing("storage_discharge_capacity_existing", nt.existing_mw, **at)
                energy_ex = existing("storage_energy_existing", nt.existing_energy_mwh, **at)
                total += 1000 * spec.capex_usd_per_kw * max(power - power_ex, 0.0)
                total += 1000 * spec.capex_usd_per_kwh * max(energy - energy_ex, 0.0)
                if spec.separate_charge_rating:
                    total += 1000 * spec.charge_capex_usd_per_kw * max(charge - nt.existing_charge_mw, 0.0)
            else:
                mw = float(plan["capacity"].sel(node=node.id, technology=tech_id))
                mw_ex = existing("capacity_existing", nt.existing_mw, node=node.id, technology=tech_id)
                total += 1000 * spec.capex_usd_per_kw * max(mw - mw_ex, 0.0)
    for link in zone.links:
        mw = float(plan["link_capacity"].sel(link=link.name))
        mw_ex = existing("link_capacity_existing", link.existing_mw, link=link.name)
        total += link.capex_usd_per_mw_km * link.length_km * max(mw - mw_ex, 0.0)
    return float(np.round(total, 6))
