"""What the report's figures share: colours, display names, local time, annual energies and net load.

Conventions (every figure follows them): times in the zone's local time (``plan.attrs["timezone"]``; the Plan
itself is UTC); energies weight each time step by ``plan["weight"]`` [h], and annual figures also scale by
``alpha`` = 8,760 / Σ weight as :mod:`greenzone.kpi` does; power in [MW], energy in [GWh], money in [USD].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from greenzone.kpi import annual_energy
from greenzone.zone.schema import VARIABLE_KINDS

if TYPE_CHECKING:
    from greenzone.zone import Zone

WEEK_HOURS = 168
"""Length of the windows :func:`select_weeks` picks [h]."""

WINTER_MONTHS = (10, 11, 12, 1, 2, 3)
"""Local months counted as winter in the northern hemisphere (summer in the southern)."""

KIND_COLORS = {
    "solar": "#f2b701",
    "wind": "#3a9bdc",
    "hydro_ror": "#1f6fb8",
    "hydro_reservoir": "#0b3d7a",
    "geothermal": "#b5523b",
    "biomass": "#4d9a3a",
    "gas_turbine": "#7a7a7a",
    "battery": "#8e44ad",
    "pumped_hydro": "#17a2a2",
    "hydrogen": "#e377c2",
}
"""One colour per technology kind; a second technology of the same kind gets a lighter shade."""

FLOW_COLORS = {
    "import": "#4a4a4a",
    "export": "#b0b0b0",
    "unserved": "#d62728",
    "losses": "#c7b299",
    "demand": "#111111",
    "charge": "#c39bd3",
}

COMPONENT_LABELS = {
    "investment": "investment (annualised, new capacity)",
    "fixed_om": "fixed operation and maintenance",
    "variable": "variable costs and fuel",
}
COMPONENT_COLORS = {
    "investment": "#2b6cb0",
    "fixed_om": "#68a0d8",
    "variable": "#f0a030",
    "trade": "#4a4a4a",
    "lost_load": "#d62728",
}

FONT = dict(family="Segoe UI, Helvetica Neue, Arial, sans-serif", size=13, color="#1d2733")
PLAIN = "plotly_white"


# ----------------------------------------------------------------------------------------------------------
# Helpers shared by the figures
# ----------------------------------------------------------------------------------------------------------


def local_times(plan: xr.Dataset) -> pd.DatetimeIndex:
    """The plan's time stamps (UTC, start of each step) in the zone's local time, without a time zone."""
    tz = plan.attrs.get("timezone", "UTC") or "UTC"
    return pd.DatetimeIndex(plan["time"].values).tz_localize("UTC").tz_convert(tz).tz_localize(None)


def time_title(plan: xr.Dataset) -> str:
    return f"local time ({plan.attrs.get('timezone', 'UTC')})"


def alpha(plan: xr.Dataset) -> float:
    return float(plan.attrs.get("alpha", 8760.0 / float(plan["weight"].sum())))


def net_load(plan: xr.Dataset) -> xr.DataArray:
    """Demand minus the available output of solar, wind and run-of-river, summed over nodes [MW].

    Available output is what the plants could have produced (capacity factor × capacity), i.e. dispatch
    plus curtailment, so net load is what dispatchable plants, storage and the grid must cover.
    """
    variable = plan["kind"].isin(list(VARIABLE_KINDS))
    available = (plan["dispatch"] + plan["curtailment"]).where(variable, 0.0).sum(("node", "technology"))
    out = plan["demand"].sum("node") - available
    out.attrs["units"] = "MW"
    return out


def curtailed(plan: xr.Dataset) -> xr.DataArray:
    variable = plan["kind"].isin(list(VARIABLE_KINDS))
    return plan["curtailment"].where(variable, 0.0).sum(("node", "technology"))


def mean_price(plan: xr.Dataset) -> xr.DataArray:
    """Demand-weighted mean of the nodal prices per time step [USD/MWh] (plain mean where demand is 0)."""
    demand = plan["demand"]
    total = demand.sum("node")
    weighted = (plan["price"] * demand).sum("node") / total.where(total > 0)
    out = weighted.fillna(plan["price"].mean("node"))
    out.attrs["units"] = "USD/MWh"
    return out


def pretty(identifier: str) -> str:
    return identifier.replace("_", " ").capitalize()


def tech_names(plan: xr.Dataset, zone: Zone | None = None) -> dict[str, str]:
    """Display name of every generating and storage technology id of the plan."""
    names = {}
    for tech in [str(t) for t in plan["technology"].values] + [str(s) for s in plan["storage"].values]:
        spec = zone.technologies.get(tech) if zone is not None else None
        names[tech] = spec.name if spec is not None and spec.name else pretty(tech)
    return names


def node_names(plan: xr.Dataset, zone: Zone | None = None) -> dict[str, str]:
    """Display name of every node id of the plan."""
    names = {}
    for node in [str(n) for n in plan["node"].values]:
        try:
            name = zone.node(node).name if zone is not None else ""
        except KeyError:
            name = ""
        names[node] = name or pretty(node)
    return names


def lighten(color: str, share: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(c + (255 - c) * share) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def tech_colors(plan: xr.Dataset) -> dict[str, str]:
    """A colour per technology and storage id, by kind; later technologies of a kind get lighter shades."""
    kinds = dict(zip(plan["technology"].values, plan["kind"].values, strict=True))
    kinds.update(dict(zip(plan["storage"].values, plan["storage_kind"].values, strict=True)))
    seen: dict[str, int] = {}
    colors = {}
    for tech, kind in kinds.items():
        i = seen.get(str(kind), 0)
        seen[str(kind)] = i + 1
        colors[str(tech)] = lighten(KIND_COLORS.get(str(kind), "#999999"), min(0.25 * i, 0.75))
    return colors


def layout(fig: go.Figure, *, height: int, title: str | None = None, **kwargs) -> go.Figure:
    legend = dict(bgcolor="rgba(255,255,255,0.8)", **kwargs.pop("legend", {}))
    fig.update_layout(
        template=PLAIN,
        font=FONT,
        height=height,
        margin=dict(l=70, r=30, t=60 if title else 30, b=60),
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=16)) if title else None,
        legend=legend,
        **kwargs,
    )
    return fig


def add_demand_line(fig: go.Figure, x, y) -> None:
    """The hourly demand [MW] as the black line of a dispatch chart's top panel (row 1, col 1)."""
    fig.add_scatter(
        x=x,
        y=y,
        name="demand",
        legendgroup="demand",
        mode="lines",
        line=dict(color=FLOW_COLORS["demand"], width=2.2),
        hovertemplate="demand: %{y:,.1f} MW<extra></extra>",
        row=1,
        col=1,
    )


def number(value: float | None, digits: int = 1) -> str:
    """``value`` with thousands separators and ``digits`` decimals; "n/a" for None or NaN, never "-0.0"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{round(value, digits) + 0.0:,.{digits}f}"


def empty_note(fig: go.Figure, text: str) -> None:
    fig.add_annotation(
        text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=15, color="#555")
    )


def used(da: xr.DataArray, dims: tuple[str, ...], tol: float = 1e-6) -> list[str]:
    """Labels of the remaining dimension whose absolute values are not all (near) zero."""
    summed = abs(da).sum(dims)
    (dim,) = summed.dims
    return [str(v) for v in summed[dim].values[summed.values > tol]]


def balance_terms(plan: xr.Dataset, zone: Zone | None) -> list[tuple[str, str, xr.DataArray, int]]:
    """(label, colour, hourly series over time [MW], +1 supply or −1 use) of every nonzero balance term."""
    names, colors = tech_names(plan, zone), tech_colors(plan)
    terms: list[tuple[str, str, xr.DataArray, int]] = []
    gen = plan["dispatch"].sum("node")
    for tech in used(gen, ("time",)):
        terms.append((names[tech], colors[tech], gen.sel(technology=tech), 1))
    discharge = plan["storage_discharge"].sum("node")
    charge = plan["storage_charge"].sum("node")
    for store in used(discharge + charge, ("time",)):
        terms.append((f"{names[store]}: discharge", colors[store], discharge.sel(storage=store), 1))
    for label, color, da, sign in (
        ("imports from the national grid", FLOW_COLORS["import"], plan["grid_import"], 1),
        ("unserved demand", FLOW_COLORS["unserved"], plan["unserved"].sum("node"), 1),
    ):
        if float(abs(da).sum()) > 1e-6:
            terms.append((label, color, da, sign))
    for store in used(discharge + charge, ("time",)):
        terms.append((f"{names[store]}: charge", lighten(colors[store], 0.45), charge.sel(storage=store), -1))
    for label, color, da in (
        ("exports to the national grid", FLOW_COLORS["export"], plan["grid_export"]),
        ("line losses", FLOW_COLORS["losses"], plan["link_losses"].sum("link")),
    ):
        if float(abs(da).sum()) > 1e-6:
            terms.append((label, color, da, -1))
    return terms


def price_range(values) -> list[float]:
    """A price axis from zero (or the lowest negative price) to a little above the highest price [USD/MWh]."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return [0.0, 1.0]
    low, high = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
    pad = 0.08 * (high - low) or 1.0
    return [low - (pad if low < 0 else 0.0), high + pad]


__all__ = [
    "COMPONENT_COLORS",
    "COMPONENT_LABELS",
    "FLOW_COLORS",
    "KIND_COLORS",
    "WEEK_HOURS",
    "WINTER_MONTHS",
    "alpha",
    "add_demand_line",
    "annual_energy",
    "balance_terms",
    "curtailed",
    "empty_note",
    "layout",
    "lighten",
    "local_times",
    "mean_price",
    "net_load",
    "number",
    "node_names",
    "price_range",
    "tech_colors",
    "tech_names",
    "time_title",
    "used",
]
