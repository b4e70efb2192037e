"""Why the plan is what it is: what binds, what one more MW of each would be worth, and what new solar or wind
would need to pay, from the plan's nodal prices (the duals of its balance rows) and the profiles.

- Value of one more MW of a new plant at a node [USD/MW/yr]: Σ_t α w_t price_{n,t} cf_{n,t}, what the
  plan's prices pay for its output, less its annual cost (annuity × capex + fixed O&M + variable O&M × energy);
  negative: it would lose money, which is why the plan does not build it.
- Break-even capex [USD/kW]: the capex at which that value is zero; break-even price [USD/MWh]: the price
  every MWh would need (the plant's levelised cost at that node), to compare with the export price.
- Value of one more MW of export (import) capacity [USD/MW/yr]: Σ_t α w_t (export price − price at the grid
  node)⁺ over the hours the export (import: price − import price) is at its limit.
- Land binds where its row's dual (the Plan's ``land_value``, what one more km^2 would save [USD/km^2/yr]) is
  positive; reliability binds where load goes unserved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.optimize.formulation.data import annuity
from greenzone.zone.schema import Zone

NEW_KINDS = ("solar", "wind")
"""Technologies whose break-even is reported."""


def explain(plan: xr.Dataset, profiles: xr.Dataset, zone: Zone) -> dict[str, Any]:
    """The figures of this module's docstring and a one-sentence summary (``summary``), JSON-ready."""
    alpha = float(plan.attrs.get("alpha", 8760.0 / float(plan["weight"].sum())))
    hours = plan["weight"].to_numpy() * alpha
    cf = profiles["capacity_factor"].sel(time=plan["time"])
    price = plan["price"]
    candidates = _candidates(zone, price, cf, hours)
    limits = _limits(plan, zone, hours)
    new_mw = float((plan["capacity"] - plan["capacity_existing"]).sum())
    new_mw += float((plan["storage_discharge_capacity"] - plan["storage_discharge_capacity_existing"]).sum())
    new_mw += float((plan["link_capacity"] - plan["link_capacity_existing"]).sum())
    figures = {"builds_nothing": new_mw < 1e-3, "new_mw": new_mw, "candidates": candidates, "limits": limits}
    figures["summary"] = _summary(zone, figures)
    return figures


def _candidates(zone: Zone, price: xr.DataArray, cf: xr.DataArray, hours: np.ndarray) -> list[dict[str, Any]]:
    """The best node of each solar and wind technology that may still be built, by value per MW."""
    rate = zone.economics.discount_rate
    best: dict[str, dict[str, Any]] = {}
    for node in zone.nodes:
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            if spec.kind not in NEW_KINDS or (nt.max_mw is not None and nt.max_mw <= nt.existing_mw):
                continue
            c = cf.sel(node=node.id, technology=tech_id).to_numpy()
            energy = float((c * hours).sum())  # [MWh per MW and year]
            if energy <= 0:
                continue
            earned = float((c * price.sel(node=node.id).to_numpy() * hours).sum())
            a = annuity(rate, spec.lifetime_years)
            cost = a * 1000.0 * spec.capex_usd_per_kw + 1000.0 * spec.fixed_om_usd_per_kw_year
            cost += spec.variable_om_usd_per_mwh * energy
            row = {
                "technology": tech_id,
                "node": node.id,
                "value_usd_per_mw_year": earned - cost,
                "earned_usd_per_mwh": earned / energy,
                "lcoe_usd_per_mwh": cost / energy,
                "capex_usd_per_kw": spec.capex_usd_per_kw,
                "break_even_capex_usd_per_kw": max(
                    (earned - 1000.0 * spec.fixed_om_usd_per_kw_year - spec.variable_om_usd_per_mwh * energy)
                    / (1000.0 * a),
                    0.0,
                ),
                "break_even_price_usd_per_mwh": cost / energy,
            }
            if tech_id not in best or row["value_usd_per_mw_year"] > best[tech_id]["value_usd_per_mw_year"]:
                best[tech_id] = row
    return list(best.values())


def _limits(plan: xr.Dataset, zone: Zone, hours: np.ndarray) -> list[dict[str, Any]]:
    """Each limit that may bind, with whether it does and what one more unit of it would be worth."""
    out: list[dict[str, Any]] = []
    if zone.grid is not None:
        from greenzone.resources.series import hourly_price

        g = zone.grid
        time = pd.DatetimeIndex(plan.indexes["time"])
        at_node = plan["price"].sel(node=g.node).to_numpy()
        for direction, limit in (("export", g.export_max_mw), ("import", g.import_max_mw)):
            field = f"grid.{direction}_price_usd_per_mwh"
            grid_price = hourly_price(
                getattr(g, f"{direction}_price_usd_per_mwh"), time, zone.timezone, field
            )
            flow = plan[f"grid_{direction}"].to_numpy()
            full = flow >= limit - 1e-6 if limit > 0 else np.zeros(len(flow), bool)
            gap = grid_price - at_node if direction == "export" else at_node - grid_price
            value = float((np.maximum(gap, 0.0) * full * hours).sum())
            sets_price = float((np.abs(at_node - grid_price) < 1e-3) @ hours / hours.sum())
            out.append(
                {
                    "limit": f"{direction} limit",
                    "binds": bool(value > 0),
                    "share_of_hours_at_limit": float(full @ hours / hours.sum()),
                    "value_usd_per_mw_year": value,
                    "price_usd_per_mwh": float(np.mean(grid_price)),
                    "share_of_hours_price_set": sets_price,
                }
            )
    from greenzone.kpi import land_used

    used = land_used(plan, zone)
    land = {"limit": "land", "binds": False, "used_km2": used}
    if "land_value" in plan:  # the land rows' duals [USD/km^2/yr]
        values = plan["land_value"].to_series()
        binding = values[values > 1e-6]
        land |= {
            "binds": bool(len(binding)),
            "nodes": [str(n) for n in binding.index],
            "value_usd_per_km2_year": float(binding.max()) if len(binding) else 0.0,
        }
    out.append(land)
    unserved = float((plan["unserved"].sum("node").to_numpy() * hours).sum())
    out.append({"limit": "reliability", "binds": unserved > 1e-6, "unserved_mwh": unserved})
    return out


def _summary(zone: Zone, figures: dict[str, Any]) -> str:
    """One sentence: what the plan builds and the limit or price that decides it."""
    export = next((x for x in figures["limits"] if x["limit"] == "export limit"), None)
    best = max(figures["candidates"], key=lambda c: c["value_usd_per_mw_year"], default=None)
    if figures["builds_nothing"]:
        text = f"The least-cost plan for {zone.year} builds nothing new"
        if export is not None and export["share_of_hours_price_set"] > 0.5:
            text += (
                f": the export price ({export['price_usd_per_mwh']:,.0f} USD/MWh) sets the zone's price in "
                f"{export['share_of_hours_price_set']:.0%} of hours"
            )
        if best is not None:
            text += (
                f"{';' if export is not None and export['share_of_hours_price_set'] > 0.5 else ':'} the best new plant, {best['technology'].replace('_', ' ')} at {best['node']}, would earn "
                f"{best['earned_usd_per_mwh']:,.0f} USD/MWh at the plan's prices against a levelised cost of "
                f"{best['lcoe_usd_per_mwh']:,.0f} USD/MWh; it would pay at a capex of "
                f"{best['break_even_capex_usd_per_kw']:,.0f} USD/kW (now {best['capex_usd_per_kw']:,.0f})"
            )
            if export is not None:
                text += f" or an export price of {best['break_even_price_usd_per_mwh']:,.0f} USD/MWh (now "
                text += f"{export['price_usd_per_mwh']:,.0f})"
        return text + "."
    binding = [x["limit"] for x in figures["limits"] if x["binds"]]
    return f"The least-cost plan for {zone.year} builds {figures['new_mw']:,.0f} MW of new capacity" + (
        f"; what binds: {', '.join(binding)}." if binding else "; no limit binds: prices alone decide."
    )
