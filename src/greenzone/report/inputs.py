"""The inputs and assumptions of a zone, with their sources, as rows of text for the report's tables."""

from __future__ import annotations

import math
from typing import Any

from greenzone.zone import Zone
from greenzone.zone.schema import STORAGE_KINDS


def _share(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def _price(value) -> str:
    if isinstance(value, (int, float)):
        return f"{value:,.1f} USD/MWh"
    return f"hourly, from {getattr(value, 'csv', value)}"


def _year_value(value, year: int, unit: str, *, interpolated: bool = False) -> str:
    """A per-year value as the model reads it in ``year``: interpolated between the given years (demand) or as a
    step function (usable land: cleared by then), with the given years."""
    if value is None:
        return "none"
    read = value.interpolated if interpolated else value.at
    text = f"{read(year):,.0f} {unit} in {year}"
    if not value.is_constant:
        how = "interpolated between " if interpolated else ""
        text += f" ({how}" + ", ".join(f"{y}: {value.at(y):,.0f}" for y in value.years) + ")"
    return text


def _demand_text(demand, year: int) -> str:
    """A node's annual demand as the model reads it in ``year``: annual MWh, or population × use per person."""
    if demand is None or not demand.has_annual:
        return "none" if demand is None or demand.csv is None else f"hourly CSV {demand.csv}"
    if demand.annual_mwh is not None:
        return _year_value(demand.annual_mwh, year, "MWh", interpolated=True)
    people = _year_value(demand.population, year, "residents", interpolated=True)
    use = demand.use_mwh_per_person.interpolated(year)
    return f"{demand.annual_at(year):,.0f} MWh in {year}: {people} × {use:.2f} MWh/person/yr"


def _calibration(cal) -> str:
    """A unit's calibration in words: the factor, what it was fitted to, and the model before and after."""
    text = f"calibrated: {cal.quantity.replace('_', ' ')} factor {cal.factor:.3f}"
    if cal.group:
        text += f" (group {cal.group}"
        if cal.observed_mwh is not None and cal.modelled_before_mwh is not None:
            text += (
                f", observed {cal.observed_mwh / 1e3:,.0f} GWh over {', '.join(cal.periods)} against "
                f"{cal.modelled_before_mwh / 1e3:,.0f} GWh modelled before"
            )
        text += f"; {cal.observed or 'observed data'}, {cal.date or 'undated'})"
    return text


def inputs(zone: Zone) -> dict[str, Any]:
    """The zone's inputs and assumptions as rows of text for the report's tables, with their sources."""
    techs = []
    for tech_id, spec in zone.technologies.items():
        cost = f"{spec.capex_usd_per_kw:,.0f} USD/kW"
        if spec.kind in STORAGE_KINDS:
            cost += f" + {spec.capex_usd_per_kwh:,.0f} USD/kWh"
            if spec.charge_capex_usd_per_kw:
                cost += f" + {spec.charge_capex_usd_per_kw:,.0f} USD/kW charging"
        details = []
        if hasattr(spec, "efficiency_charge"):
            details.append(f"efficiency {spec.efficiency_charge:.0%} in, {spec.efficiency_discharge:.0%} out")
        if getattr(spec, "fuel_price_usd_per_mwh_th", 0):
            details.append(
                f"fuel {spec.fuel_price_usd_per_mwh_th:,.1f} USD/MWh thermal at {spec.efficiency:.0%}"
            )
        if getattr(spec, "emission_factor_t_per_mwh", 0):
            details.append(f"{spec.emission_factor_t_per_mwh:.2f} t CO2/MWh")
        if hasattr(spec, "availability") and spec.kind not in STORAGE_KINDS:
            details.append(f"availability {spec.availability:.0%}")
        if getattr(spec, "turbine", None):
            details.append(f"turbine {spec.turbine} at {spec.hub_height_m:.0f} m")
        techs.append(
            {
                "name": spec.name or tech_id,
                "id": tech_id,
                "kind": spec.kind.replace("_", " "),
                "capex": cost,
                "fom": f"{spec.fixed_om_usd_per_kw_year:,.1f}",
                "vom": f"{spec.variable_om_usd_per_mwh:,.1f}",
                "life": f"{spec.lifetime_years:.0f}",
                "land": f"{spec.land_use_km2_per_mw:.3f}",
                "details": "; ".join(details),
                "source": spec.source or "not given",
            }
        )
    names = {t: spec.name or t for t, spec in zone.technologies.items()}
    node_name = {n.id: n.name or n.id for n in zone.nodes}
    nodes = []
    for node in zone.nodes:
        demand = _demand_text(node.demand, zone.year)
        plants = []
        for tech_id, nt in node.technologies.items():
            limit = "no limit" if nt.max_mw is None else f"up to {nt.max_mw:,.0f} MW"
            text = f"{names.get(tech_id, tech_id)}: {limit}"
            if nt.existing_mw > 0:
                text += f", {nt.existing_mw:,.0f} MW in service"
            if nt.calibration is not None:
                text += f"; {_calibration(nt.calibration)}"
            plants.append(text)
        nodes.append(
            {
                "name": node.name or node.id,
                "position": f"{node.lat:.3f} N, {node.lon:.3f} E, {node.elevation_m:,.0f} m",
                "demand": demand,
                "land": _year_value(node.usable_land_km2, zone.year, "km²"),
                "plants": plants,
                "note": node.note,
            }
        )
    links = [
        {
            "name": f"{node_name.get(link.from_node, link.from_node)} – {node_name.get(link.to_node, link.to_node)}",
            "length": f"{link.length_km:,.0f} km",
            "capacity": f"{link.existing_mw:,.0f} MW"
            + (f", up to {link.max_mw:,.0f} MW" if link.max_mw is not None else ", no limit"),
            "loss": f"{link.loss:.1%}",
            "cost": f"{link.capex_usd_per_mw_km:,.0f} USD/(MW km)",
            "source": link.source or "not given",
        }
        for link in zone.links
    ]
    grid = None
    if zone.grid is not None:
        g = zone.grid
        grid = [
            ("connection node", node_name.get(g.node, g.node)),
            ("import up to", f"{g.import_max_mw:,.0f} MW at {_price(g.import_price_usd_per_mwh)}"),
            ("export up to", f"{g.export_max_mw:,.0f} MW at {_price(g.export_price_usd_per_mwh)}"),
            ("CO2 of imports", f"{g.emission_factor_t_per_mwh:.2f} t CO2/MWh"),
            ("renewable share of imports", f"{g.renewable_share:.0%}"),
            ("source", g.source or "not given"),
        ]
    p = zone.policy
    policy = [
        (
            "least renewable share",
            _share(p.renewable_share_min) if p.renewable_share_min is not None else "none",
        ),
        ("CO2 cap", f"{p.co2_cap_t:,.0f} t CO2/yr" if p.co2_cap_t is not None else "none"),
        ("value of lost load", f"{p.value_of_lost_load_usd_per_mwh:,.0f} USD/MWh"),
        ("unserved demand allowed", "yes" if p.allow_unserved else "no"),
        ("operating reserve", _share(p.reserve_share)),
        ("source", p.source or "not given"),
    ]
    economics = [
        ("discount rate (real)", _share(zone.economics.discount_rate)),
        ("currency", f"{zone.economics.currency} of the base year {zone.year}"),
        ("weather", f"{zone.weather.source}, {zone.weather.years} year(s), seed {zone.weather.seed}"),
    ]
    return {
        "sources": list(zone.sources),
        "technologies": techs,
        "nodes": nodes,
        "links": links,
        "grid": grid,
        "policy": policy,
        "economics": economics,
        "description": zone.description.strip(),
    }


__all__ = ["inputs"]
