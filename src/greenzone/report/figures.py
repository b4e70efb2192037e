"""Figures of a Plan, one function per figure, each returning a :class:`plotly.graph_objects.Figure`.

Every function takes a Plan dataset (:mod:`greenzone.planning.year`) and, optionally, the :class:`~greenzone.zone.Zone`
it was made from, which supplies display names (and, for the map and the storage levels, plant data the Plan
does not carry). They work in notebooks as they are::

    from greenzone.report import figures
    figures.dispatch_figure(plan_ds, zone).show()

Conventions
-----------
- Times are shown in the zone's local time (``plan.attrs["timezone"]``); the Plan itself is UTC.
- Energies weight each time step by ``plan["weight"]`` [h] (1 at hourly resolution, the cluster size with
  typical periods). Annual figures are also scaled by ``alpha`` = 8,760 / Σ weight, as in :mod:`greenzone.kpi`;
  monthly figures are the energy within the plan's horizon, not scaled.
- Power in [MW], energy in [GWh], money in [USD], prices in [USD/MWh].

The dispatch figure and :func:`select_weeks` live in :mod:`greenzone.report.dispatch`, the map in
:mod:`greenzone.report.geo`, shared helpers in :mod:`greenzone.report.common`; all are importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from greenzone.report.common import (
    COMPONENT_COLORS,
    COMPONENT_LABELS,
    FLOW_COLORS,
    alpha,
    annual_energy,
    balance_terms,
    empty_note,
    layout,
    local_times,
    mean_price,
    net_load,
    node_names,
    price_range,
    tech_colors,
    tech_names,
    used,
)
from greenzone.report.dispatch import dispatch_figure, select_weeks
from greenzone.report.geo import map_figure

if TYPE_CHECKING:
    from greenzone.zone import Zone


# ----------------------------------------------------------------------------------------------------------
# Capacity and storage
# ----------------------------------------------------------------------------------------------------------


def capacity_figure(plan: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Generating capacity by node and technology [MW], existing (solid) and new (hatched), stacked."""
    names, nnames, colors = tech_names(plan, zone), node_names(plan, zone), tech_colors(plan)
    nodes = [str(n) for n in plan["node"].values]
    x = [nnames[n] for n in nodes]
    cap, existing = plan["capacity"], plan["capacity_existing"]
    new = (cap - existing).clip(min=0.0)
    fig = go.Figure()
    techs = used(cap, ("node",))
    for tech in techs:
        for part, values, pattern in (("existing", existing, ""), ("new", new, "/")):
            y = values.sel(technology=tech).values
            if part == "new" and not np.any(y > 1e-6):
                continue
            fig.add_bar(
                x=x,
                y=y,
                name=f"{names[tech]}: {part}",
                legendgroup=tech,
                marker=dict(color=colors[tech], pattern=dict(shape=pattern, solidity=0.45)),
                hovertemplate=f"{names[tech]}, {part}<br>%{{x}}: %{{y:,.1f}} MW<extra></extra>",
            )
    totals = cap.sum("technology").values
    fig.add_scatter(
        x=x,
        y=totals,
        mode="text",
        text=[f"{v:,.0f} MW" if v > 0 else "" for v in totals],
        textposition="top center",
        showlegend=False,
        hoverinfo="skip",
    )
    if not techs:
        empty_note(fig, "No generating capacity in this plan")
    layout(
        fig,
        height=460,
        barmode="stack",
        yaxis_title="capacity [MW]",
        xaxis_title="node",
        legend_title_text="technology (hatched: new)",
        legend_traceorder="normal",
    )
    fig.update_yaxes(rangemode="tozero")
    return fig


def storage_figure(plan: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Storage discharge power [MW] and energy [MWh] by node and storage technology, existing and new."""
    names, nnames, colors = tech_names(plan, zone), node_names(plan, zone), tech_colors(plan)
    power, energy = plan["storage_discharge_capacity"], plan["storage_energy"]
    built = (power.sum("storage") + energy.sum("storage")).values > 1e-6
    nodes = [str(n) for n, b in zip(plan["node"].values, built, strict=True) if b] or [
        str(n) for n in plan["node"].values
    ]
    x = [nnames[n] for n in nodes]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("discharge power [MW]", "energy capacity [MWh]"),
        horizontal_spacing=0.1,
    )
    parts = (
        ("storage_discharge_capacity", "storage_discharge_capacity_existing", 1, "MW"),
        ("storage_energy", "storage_energy_existing", 2, "MWh"),
    )
    stores = used(power + energy, ("node",))
    for store in stores:
        for total_name, existing_name, col, unit in parts:
            total = plan[total_name].sel(storage=store, node=nodes).values
            existing = plan[existing_name].sel(storage=store, node=nodes).values
            for part, y, pattern in (
                ("existing", existing, ""),
                ("new", np.maximum(total - existing, 0.0), "/"),
            ):
                if part == "existing" and not np.any(y > 1e-6) and np.any(total > 1e-6):
                    continue
                fig.add_bar(
                    x=x,
                    y=y,
                    name=f"{names.get(store, store)}: {part}",
                    legendgroup=f"{store}-{part}",
                    showlegend=col == 1,
                    marker=dict(color=colors.get(store, "#888"), pattern=dict(shape=pattern, solidity=0.45)),
                    hovertemplate=f"{names.get(store, store)}, {part}<br>%{{x}}: %{{y:,.1f}} {unit}<extra></extra>",
                    row=1,
                    col=col,
                )
    if not fig.data:
        for col in (1, 2):
            fig.add_bar(x=x, y=np.zeros(len(x)), name="no storage", showlegend=False, row=1, col=col)
    if not np.any(built):
        empty_note(fig, "The plan has no storage: none exists and building it does not pay")
    layout(
        fig,
        height=420 if np.any(built) else 300,
        barmode="stack",
        legend_title_text="storage (hatched: new)",
        legend_traceorder="normal",
    )
    fig.update_yaxes(title_text="[MW]", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="[MWh]", rangemode="tozero", row=1, col=2)
    if not np.any(built):
        fig.update_yaxes(showticklabels=False, showgrid=False, title_text="")
    return fig


# ----------------------------------------------------------------------------------------------------------
# Energy balance
# ----------------------------------------------------------------------------------------------------------


def local_months(local: pd.DatetimeIndex, weight: np.ndarray) -> pd.PeriodIndex:
    """The local month of every time step; the few hours a time-zone shift carries past the first or last
    month of the horizon (under a day) count in the neighbouring month, so a year stays twelve months."""
    months = local.to_period("M")
    labels = sorted(set(months))
    if len(labels) > 1:
        hours = pd.Series(weight, index=months).groupby(level=0).sum()
        if hours[labels[0]] < 24:
            months = months.where(months != labels[0], labels[1])
        if hours[labels[-1]] < 24:
            months = months.where(months != labels[-1], labels[-2])
    return months


def energy_balance_figure(plan: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Annual energy balance [GWh/yr] (supply beside use) and the monthly balance within the horizon [GWh],
    by local month (see :func:`local_months`)."""
    terms = balance_terms(plan, zone)
    local = local_times(plan)
    weight = plan["weight"].values
    months = local_months(local, weight)
    month_labels = sorted(set(months))
    x_month = [m.strftime("%b %Y") for m in month_labels]

    def monthly(da: xr.DataArray) -> np.ndarray:
        s = pd.Series(da.values * weight, index=months).groupby(level=0).sum() / 1e3
        return s.reindex(month_labels, fill_value=0.0).values

    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.28, 0.72],
        horizontal_spacing=0.09,
        subplot_titles=("whole year [GWh/yr]", "by month, within the plan's horizon [GWh]"),
    )
    for label, color, da, sign in terms:
        annual = annual_energy(plan, da) / 1e3
        fig.add_bar(
            x=["supply" if sign > 0 else "use"],
            y=[annual],
            name=label,
            legendgroup=label,
            showlegend=False,
            marker_color=color,
            hovertemplate=f"{label}: %{{y:,.1f}} GWh/yr<extra></extra>",
            row=1,
            col=1,
        )
        fig.add_bar(
            x=x_month,
            y=sign * monthly(da),
            name=label,
            legendgroup=label,
            marker_color=color,
            hovertemplate=f"{label}<br>%{{x}}: %{{y:,.2f}} GWh<extra></extra>",
            row=1,
            col=2,
        )
    demand = plan["demand"].sum("node")
    fig.add_bar(
        x=["use"],
        y=[annual_energy(plan, demand) / 1e3],
        name="demand",
        legendgroup="demand",
        showlegend=False,
        marker_color="#5b6b7b",
        hovertemplate="demand: %{y:,.1f} GWh/yr<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=x_month,
        y=monthly(demand),
        name="demand",
        legendgroup="demand",
        mode="markers",
        marker=dict(
            symbol="line-ew-open",
            size=60,
            color=FLOW_COLORS["demand"],
            line=dict(color=FLOW_COLORS["demand"], width=3),
        ),
        hovertemplate="demand<br>%{x}: %{y:,.2f} GWh<extra></extra>",
        row=1,
        col=2,
    )
    layout(fig, height=480, barmode="relative", legend=dict(orientation="v"))
    fig.update_yaxes(title_text="energy [GWh/yr]", row=1, col=1)
    fig.update_yaxes(title_text="energy [GWh]", zeroline=True, zerolinecolor="#888", row=1, col=2)
    fig.update_xaxes(title_text=f"month ({plan.attrs.get('timezone', 'UTC')})", row=1, col=2)
    return fig


# ----------------------------------------------------------------------------------------------------------
# Duration curves
# ----------------------------------------------------------------------------------------------------------


def _duration(plan: xr.Dataset, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values sorted from the highest, against the hours per year they are reached or exceeded [h/yr]."""
    order = np.argsort(-values, kind="stable")
    hours = np.cumsum(plan["weight"].values[order]) * alpha(plan)
    return hours, values[order]


def duration_figure(plan: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Duration curves of load and net load [MW] and of the price [USD/MWh], over the hours of a year."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("load and net load [MW]", "price [USD/MWh]"),
    )
    for name, da, color in (
        ("load (demand)", plan["demand"].sum("node"), FLOW_COLORS["demand"]),
        ("net load (demand − solar, wind, run-of-river)", net_load(plan), "#e67e22"),
    ):
        x, y = _duration(plan, da.values)
        fig.add_scatter(
            x=x,
            y=y,
            name=name,
            mode="lines",
            line=dict(color=color, width=2),
            hovertemplate=f"{name}<br>%{{y:,.1f}} MW or more during %{{x:,.0f}} h/yr<extra></extra>",
            row=1,
            col=1,
        )
    x, y = _duration(plan, mean_price(plan).values)
    fig.add_scatter(
        x=x,
        y=y,
        name="price (demand-weighted mean of nodes)",
        mode="lines",
        line=dict(color="#c0392b", width=2),
        hovertemplate="price %{y:,.1f} USD/MWh or more during %{x:,.0f} h/yr<extra></extra>",
        row=1,
        col=2,
    )
    layout(fig, height=430, legend=dict(orientation="h", y=-0.22, x=0))
    fig.update_layout(margin=dict(b=110))
    fig.update_xaxes(title_text="hours per year [h/yr]", range=[0, 8760], row=1, col=1)
    fig.update_xaxes(title_text="hours per year [h/yr]", range=[0, 8760], row=1, col=2)
    fig.update_yaxes(title_text="power [MW]", zeroline=True, zerolinecolor="#888", row=1, col=1)
    fig.update_yaxes(title_text="price [USD/MWh]", range=price_range(y), row=1, col=2)
    return fig


# ----------------------------------------------------------------------------------------------------------
# Costs
# ----------------------------------------------------------------------------------------------------------


def cost_table(plan: xr.Dataset, zone: Zone | None = None) -> pd.DataFrame:
    """Annual cost by item and component [USD/yr], summing to the plan's objective.

    Rows: ``("technology", name)`` for every technology with a cost, ``("node", name)`` for every node, and for
    both views the transmission lines; national-grid trade (imports paid minus exports earned, the rest of the
    objective, charged to the grid node) and unserved load at the value of lost load. Columns: investment,
    fixed_om, variable, trade, lost_load.
    """
    names, nnames = tech_names(plan, zone), node_names(plan, zone)
    cost = plan["cost"]
    voll = float(plan.attrs.get("value_of_lost_load_usd_per_mwh", 0.0))
    lost = {str(n): voll * annual_energy(plan, plan["unserved"].sel(node=n)) for n in plan["node"].values}
    lines = plan["link_cost"].sum("link")
    objective = float(plan.attrs.get("objective_usd_per_year", float(cost.sum()) + float(lines.sum())))
    trade = objective - float(cost.sum()) - float(lines.sum()) - sum(lost.values())
    if abs(trade) < 1e-6 * max(abs(objective), 1.0):
        trade = 0.0
    columns = ["investment", "fixed_om", "variable", "trade", "lost_load"]
    rows: dict[tuple[str, str], list[float]] = {}
    by_asset = cost.sum("node")
    for asset in [str(a) for a in plan["asset"].values]:
        values = [
            float(by_asset.sel(asset=asset, component=c)) for c in ("investment", "fixed_om", "variable")
        ]
        if any(abs(v) > 1e-6 for v in values):
            rows[("technology", names.get(asset, asset))] = values + [0.0, 0.0]
    line_values = [float(lines.sel(component=c)) for c in ("investment", "fixed_om", "variable")]
    grid = plan.attrs.get("grid_node", "")
    for view in ("technology", "node"):
        if view == "node":
            by_node = cost.sum("asset")
            for node in [str(n) for n in plan["node"].values]:
                values = [
                    float(by_node.sel(node=node, component=c)) for c in ("investment", "fixed_om", "variable")
                ]
                rows[("node", nnames[node])] = values + [trade if node == grid else 0.0, lost[node]]
        if any(abs(v) > 1e-6 for v in line_values):
            rows[(view, "transmission lines")] = line_values + [0.0, 0.0]
        if view == "technology":
            if trade != 0.0:
                rows[(view, "national-grid trade (net)")] = [0.0, 0.0, 0.0, trade, 0.0]
            if sum(lost.values()) > 0:
                rows[(view, "unserved load")] = [0.0, 0.0, 0.0, 0.0, sum(lost.values())]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["view", "item"])
    table.attrs["units"] = "USD/yr"
    table.attrs["objective_usd_per_year"] = objective
    return table


def _view(table: pd.DataFrame, view: str) -> pd.DataFrame:
    if view in table.index.get_level_values("view"):
        return table.xs(view, level="view")
    return pd.DataFrame(columns=table.columns, dtype=float)


def cost_figure(plan: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Annual cost by technology and by node [million USD/yr], stacked by component; totals the objective."""
    table = cost_table(plan, zone) / 1e6
    labels = {
        **COMPONENT_LABELS,
        "trade": "national-grid trade (imports paid − exports earned)",
        "lost_load": "unserved load at the value of lost load",
    }
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.22,
        subplot_titles=("by technology [million USD/yr]", "by node [million USD/yr]"),
    )
    for col, view in ((1, "technology"), (2, "node")):
        part = _view(table, view)
        items = list(part.index)[::-1]
        for component in table.columns:
            values = part[component].values[::-1]
            if not np.any(np.abs(values) > 1e-9) and component != "investment":
                continue
            fig.add_bar(
                y=items,
                x=values,
                orientation="h",
                name=labels[component],
                legendgroup=component,
                showlegend=col == 1,
                marker_color=COMPONENT_COLORS[component],
                hovertemplate=f"%{{y}}<br>{labels[component]}: %{{x:,.2f}} million USD/yr<extra></extra>",
                row=1,
                col=col,
            )
    total = table.attrs["objective_usd_per_year"] / 1e6
    layout(
        fig,
        height=max(420, 120 + 26 * max(len(_view(table, "technology")), len(_view(table, "node")))),
        barmode="relative",
        title=f"Total: {total:,.2f} million USD per year (the plan's objective)",
        legend=dict(orientation="h", y=-0.15, x=0),
    )
    fig.update_layout(margin=dict(l=60, b=110))
    fig.update_xaxes(title_text="cost [million USD/yr]", zeroline=True, zerolinecolor="#888")
    return fig


ALL_FIGURES = {
    "map": map_figure,
    "capacity": capacity_figure,
    "storage": storage_figure,
    "balance": energy_balance_figure,
    "dispatch": dispatch_figure,
    "duration": duration_figure,
    "cost": cost_figure,
}
"""Every figure function by the short name the report uses, in the report's order."""

__all__ = [
    "ALL_FIGURES",
    "annual_energy",
    "capacity_figure",
    "cost_figure",
    "cost_table",
    "dispatch_figure",
    "duration_figure",
    "energy_balance_figure",
    "local_months",
    "local_times",
    "map_figure",
    "mean_price",
    "net_load",
    "node_names",
    "select_weeks",
    "storage_figure",
    "tech_colors",
    "tech_names",
]
