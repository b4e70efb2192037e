"""The cost of electricity two ways: the levelised cost of the zone's own supply, and the net cost per MWh of
local demand that counts trade.

- Levelised cost of supply [USD/MWh]: (annualised investment + fixed O&M + variable O&M and fuel) of the
  zone's generation and storage, per MWh its generators produce. Investment counts all capacity: what the plan
  adds at its annuity, and what is in service at its technology's capex and lifetime in the base year's money
  (its replacement cost; it needs the zone), so the figure is what the supply costs, not only what the plan
  adds. Per technology: a generator's costs per MWh it produces; a store's per MWh it discharges.
- Net cost per MWh of local demand [USD/MWh]: (system cost − export revenue + import cost, without the
  lost-load penalty) / local demand served: the plan's objective as it was reported before, which turns
  negative when exports earn more than the zone's plants and lines cost.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.optimize.formulation.data import annuity
from greenzone.zone.schema import STORAGE_KINDS, Zone


def _annual(plan: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    """Σ_t weight_t · value_t · alpha of an hourly [MW] quantity: annual energy [MWh/yr], other dims kept."""
    alpha = float(plan.attrs.get("alpha", 8760.0 / float(plan["weight"].sum())))
    return (da * plan["weight"]).sum("time") * alpha


def existing_annuity(zone: Zone, plan: xr.Dataset | None = None) -> dict[str, float]:
    """Annualised investment of the capacity in service, by technology, at each technology's capex and
    lifetime and the zone's discount rate [USD/yr].

    The capacity in service is what ``plan`` counted as existing (its ``*_existing`` variables: each
    ``existing_mw`` and the pathway's dated assets in service in the plan's year); without a plan, the zone's
    fleet in its year (:func:`greenzone.operate.window.existing_capacities`' figures)."""
    from greenzone.optimize.formulation.vintages import dated_in_service

    dated = dated_in_service(zone, zone.year)

    def existing(name: str, family: str, fallback: float, label: str, **where) -> float:
        if plan is not None and name in plan:
            return float(plan[name].sel(**where))
        return fallback + dated.get((family, label), 0.0)

    rate = zone.economics.discount_rate
    out: dict[str, float] = {}
    for node in zone.nodes:
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            label = f"{node.id}/{tech_id}"
            if spec.kind in STORAGE_KINDS:
                at = {"node": node.id, "storage": tech_id}
                power = existing(
                    "storage_discharge_capacity_existing", "storage_power", nt.existing_mw, label, **at
                )
                energy = existing(
                    "storage_energy_existing", "storage_energy", nt.existing_energy_mwh, label, **at
                )
                usd = 1000.0 * (spec.capex_usd_per_kw * power + spec.capex_usd_per_kwh * energy)
                usd += 1000.0 * spec.charge_capex_usd_per_kw * nt.existing_charge_mw
            else:
                mw = existing(
                    "capacity_existing", "generator", nt.existing_mw, label, node=node.id, technology=tech_id
                )
                usd = 1000.0 * spec.capex_usd_per_kw * mw
            out[tech_id] = out.get(tech_id, 0.0) + annuity(rate, spec.lifetime_years) * usd
    return out


def cost_figures(plan: xr.Dataset, zone: Zone | None = None) -> dict[str, Any]:
    """The cost figures of ``plan`` (this module's docstring): ``lcoe_usd_per_mwh``,
    ``lcoe_by_technology_usd_per_mwh``, ``supply_cost_usd_per_year``, ``generation_mwh``,
    ``net_cost_usd_per_mwh``, ``import_cost_usd_per_year``, ``export_revenue_usd_per_year`` and
    ``trade_net_usd_per_year`` (import cost − export revenue). Without the zone, capacity in service counts
    only its fixed O&M, and import cost and export revenue are not split."""
    by_asset = plan["cost"].sum(("node", "component")).to_series()
    if zone is not None:
        for tech, usd in existing_annuity(zone, plan).items():
            by_asset[tech] = by_asset.get(tech, 0.0) + usd
    generated = _annual(plan, plan["dispatch"]).sum("node").to_series()
    discharged = _annual(plan, plan["storage_discharge"]).sum("node").to_series()
    produced = pd.concat([generated, discharged])
    supply = float(by_asset.sum())
    generation = float(generated.sum())
    lcoe_by_tech = {
        str(t): float(by_asset[t] / produced[t])
        for t in by_asset.index
        if by_asset[t] > 0 and produced.get(t, 0) > 0
    }
    unserved = float(_annual(plan, plan["unserved"].sum("node")))
    served = float(_annual(plan, plan["demand"].sum("node"))) - unserved
    objective = float(plan.attrs["objective_usd_per_year"])
    net = objective - float(plan.attrs["value_of_lost_load_usd_per_mwh"]) * unserved
    # what the objective holds beyond the zone's plants and lines: import cost - export revenue
    plan_assets = float(plan["cost"].sum()) + float(plan["link_cost"].sum())
    figures: dict[str, Any] = {
        "lcoe_usd_per_mwh": supply / generation if generation > 0 else float("nan"),
        "lcoe_by_technology_usd_per_mwh": lcoe_by_tech,
        "supply_cost_usd_per_year": supply,
        "generation_mwh": generation,
        "net_cost_usd_per_mwh": net / served if served > 0 else float("nan"),
        "trade_net_usd_per_year": net - plan_assets,
    }
    if zone is not None and zone.grid is not None:
        time = pd.DatetimeIndex(plan.indexes["time"])
        figures["import_cost_usd_per_year"] = _trade(plan, zone, "import", time)
        figures["export_revenue_usd_per_year"] = _trade(plan, zone, "export", time)
    return figures


def _trade(plan: xr.Dataset, zone: Zone, direction: str, time: pd.DatetimeIndex) -> float:
    """Annual import cost or export revenue at the grid's (hourly) price [USD/yr]."""
    from greenzone.resources.series import hourly_price

    field = f"grid.{direction}_price_usd_per_mwh"
    price = hourly_price(getattr(zone.grid, f"{direction}_price_usd_per_mwh"), time, zone.timezone, field)
    flow = plan[f"grid_{direction}"]
    return float(_annual(plan, flow * xr.DataArray(np.asarray(price, dtype=float), dims="time")))
