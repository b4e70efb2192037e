"""The pathway report's figures and sentences: what to build when, in terms a minister can follow.

Each figure is one function of the Pathway dataset (:mod:`greenzone.planning.pathway_output`), usable in a notebook:
capacity by period (stacked), land used against land cleared per node, cost and cost of electricity by
period, a map per period (a slider); then the binding limits by period and the sentences saying what to build
when. :mod:`greenzone.report.pathway_page` assembles them into the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from greenzone.report.common import layout, node_names, tech_colors, tech_names
from greenzone.report.geo import map_figure

if TYPE_CHECKING:
    from greenzone.zone import Zone

BUILT_MW = 0.5
"""New capacity below this is not called a build in words [MW]."""

CAPTIONS = {
    "capacity": (
        "What stands in each period",
        "Generating capacity in service in each investment period, every node together, by technology, in "
        "megawatts (MW). The number above each bar is what greenzone's least-cost path adds in that period "
        "(new plants it chooses); plants the zone file dates (under construction, retiring) enter and leave by "
        "themselves.",
    ),
    "land": (
        "Land used against land cleared",
        "For each node with a land limit: the land its plants take (bars) against the land cleared of mines "
        "and usable for plants by then (line), in square kilometres (km²). Where the bar reaches the line, "
        "land is what limits building there.",
    ),
    "cost": (
        "What a year costs, and the cost of electricity",
        "One year of each period in million US dollars (bars): investment (the yearly instalments of every "
        "plant built on the path; plants in service before it are paid for and not counted), fixed operation "
        "and maintenance, and operation (fuel, grid purchases less export sales, unserved load). The line is "
        "that cost divided by the zone's demand: the net cost of electricity in US dollars per megawatt-hour "
        "(USD/MWh). Below zero, export sales earn more in a year than the zone spends.",
    ),
    "map": (
        "Where things stand, period by period",
        "Move the slider to see the zone in each period: circles grow with the capacity at each node, lines "
        "with the transfer capacity of links (orange: reinforced since the period before). Hover for figures.",
    ),
}


def _techs_used(ds: xr.Dataset) -> list[str]:
    cap = ds["capacity"].sum("node")
    return [str(t) for t in ds["technology"].values if float(cap.sel(technology=t).max()) > 1e-6]


def capacity_figure(ds: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Capacity in service by period and technology [MW], stacked, with the period's new build on top."""
    names, colors = tech_names(ds, zone), tech_colors(ds)
    periods = [str(int(p)) for p in ds["period"].values]
    fig = go.Figure()
    cap = ds["capacity"].sum("node")
    new = ds["new_capacity"].sum("node")
    for tech in _techs_used(ds):
        fig.add_bar(
            x=periods,
            y=cap.sel(technology=tech).values,
            name=names[tech],
            marker_color=colors.get(tech, "#999"),
            customdata=new.sel(technology=tech).values,
            hovertemplate=f"{names[tech]}: %{{y:,.0f}} MW (new in the period: %{{customdata:,.0f}} MW)"
            "<extra>%{x}</extra>",
        )
    storage = ds["storage_power"].sum(["node", "storage"]).values
    if storage.max() > 1e-6:
        fig.add_scatter(
            x=periods, y=storage, mode="lines+markers", name="storage power", line=dict(color="#7d3c98")
        )
    totals = cap.sum("technology").values
    added = new.sum("technology").values
    # a text trace, not annotations: plotly.js reads an annotation's x "2027" on a category axis as index 2027
    fig.add_scatter(
        x=periods,
        y=totals,
        mode="text",
        text=[f"+{mw:,.0f} MW new" if mw > BUILT_MW else "nothing new" for mw in added],
        textposition="top center",
        textfont=dict(size=12),
        name="new in the period",
        showlegend=False,
        hoverinfo="skip",
    )
    layout(fig, height=460, barmode="stack")
    fig.update_yaxes(title_text="capacity in service [MW]")
    fig.update_xaxes(title_text="investment period (first year)", type="category")
    return fig


def land_figure(ds: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """Land used (bars) against land cleared (line) by period, one panel per node with a limit [km^2]."""
    nnames = node_names(ds, zone)
    cleared = ds["land_cleared"]
    nodes = [str(n) for n in ds["node"].values if np.isfinite(cleared.sel(node=n).values).any()]
    periods = [str(int(p)) for p in ds["period"].values]
    if not nodes:
        fig = go.Figure()
        fig.add_annotation(text="no node of this zone has a land limit", showarrow=False)
        return layout(fig, height=200)
    cols = min(4, len(nodes))
    rows = -(-len(nodes) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[nnames[n] for n in nodes], shared_xaxes=True)
    for i, node in enumerate(nodes):
        r, c = i // cols + 1, i % cols + 1
        used = ds["land_used"].sel(node=node).values
        fig.add_bar(
            x=periods,
            y=used,
            name="land used",
            marker_color="#2e86c1",
            showlegend=i == 0,
            legendgroup="used",
            hovertemplate="%{y:,.1f} km² used<extra>%{x}</extra>",
            row=r,
            col=c,
        )
        fig.add_scatter(
            x=periods,
            y=cleared.sel(node=node).values,
            mode="lines+markers",
            name="land cleared, usable",
            line=dict(color="#1d2733", shape="hv"),
            showlegend=i == 0,
            legendgroup="cleared",
            hovertemplate="%{y:,.1f} km² cleared<extra>%{x}</extra>",
            row=r,
            col=c,
        )
    layout(fig, height=260 * rows + 60, legend=dict(orientation="h", y=-0.08))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="km²", col=1)
    return fig


def cost_figure(ds: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """One year of each period's cost by component [MUSD/yr] and the cost of electricity [USD/MWh]."""
    periods = [str(int(p)) for p in ds["period"].values]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    labels = {"investment": "investment", "fixed_om": "fixed O&M", "operation": "operation and trade"}
    colors = {"investment": "#1f6f50", "fixed_om": "#76b39d", "operation": "#e67e22"}
    for component in [str(c) for c in ds["component"].values]:
        fig.add_bar(
            x=periods,
            y=ds["cost"].sel(component=component).values / 1e6,
            name=labels.get(component, component),
            marker_color=colors.get(component, "#999"),
            hovertemplate="%{y:,.1f} MUSD/yr<extra>%{x}</extra>",
            secondary_y=False,
        )
    fig.add_scatter(
        x=periods,
        y=cost_of_electricity(ds),
        mode="lines+markers",
        name="net cost of electricity [USD/MWh]",
        line=dict(color="#1d2733", width=3),
        hovertemplate="%{y:,.1f} USD/MWh<extra>%{x}</extra>",
        secondary_y=True,
    )
    layout(fig, height=440, barmode="relative")
    fig.update_yaxes(title_text="cost of a year [MUSD/yr]", secondary_y=False)
    fig.update_yaxes(title_text="net cost of electricity [USD/MWh]", secondary_y=True)
    fig.update_xaxes(type="category", title_text="investment period (first year)")
    return fig


def cost_of_electricity(ds: xr.Dataset) -> np.ndarray:
    """A year's cost per MWh of demand in each period [USD/MWh] (NaN without demand)."""
    demand = ds["demand"].sum("node").values
    cost = ds["cost"].sum("component").values
    return np.where(demand > 0, cost / np.where(demand > 0, demand, 1.0), np.nan)


def period_map_data(ds: xr.Dataset, period: int) -> xr.Dataset:
    """One period of the pathway in the shape the map reads (a Plan's names; demand annual [MWh/yr]); the
    existing link capacity is the period before's."""
    one = ds.sel(period=period)
    k = [int(p) for p in ds["period"].values].index(int(period))
    before = ds["link_capacity"].isel(period=max(k - 1, 0)).values
    out = xr.Dataset(
        {
            "capacity": one["capacity"],
            "storage_discharge_capacity": one["storage_power"],
            "link_capacity": one["link_capacity"],
            "link_capacity_existing": (("link",), before if k > 0 else one["link_capacity"].values),
            "demand": one["demand"],
        },
        coords={
            name: ds[name]
            for name in ("node", "technology", "storage", "link", "kind", "storage_kind", "lat", "lon")
        }
        | {"link_from": ds["link_from"], "link_to": ds["link_to"]},
    )
    out.attrs["grid_node"] = ds.attrs.get("grid_node", "")
    return out


def pathway_map_figure(ds: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """The zone's map (:func:`greenzone.report.geo.map_figure`) for every period, one at a time by a slider."""
    periods = [int(p) for p in ds["period"].values]
    figures = []
    for p in periods:
        limits = (
            f"import up to {float(ds['import_max'].sel(period=p)):,.0f} MW, export up to "
            f"{float(ds['export_max'].sel(period=p)):,.0f} MW"
            if "export_max" in ds
            else None
        )
        figures.append(map_figure(period_map_data(ds, p), zone, grid_limits=limits))
    fig = go.Figure(layout=figures[0].layout)
    counts = []
    for k, one in enumerate(figures):
        for trace in one.data:
            trace.visible = k == 0
            fig.add_trace(trace)
        counts.append(len(one.data))
    steps = []
    start = 0
    for k, (p, one) in enumerate(zip(periods, figures, strict=True)):
        visible = [False] * sum(counts)
        visible[start : start + counts[k]] = [True] * counts[k]
        start += counts[k]
        steps.append(
            {
                "label": str(p),
                "method": "update",
                "args": [{"visible": visible}, {"annotations": list(one.layout.annotations)}],
            }
        )
    fig.update_layout(
        sliders=[{"active": 0, "steps": steps, "currentvalue": {"prefix": "period "}, "pad": {"t": 90}}]
    )
    fig.update_layout(height=(figures[0].layout.height or 720) + 80)
    return fig


def limit_rows(ds: xr.Dataset, zone: Zone | None = None) -> list[dict[str, str]]:
    """Per period, which limits bind: land (nodes where one more km^2 would save money), the export limit
    (hours a year at it), the renewable-share target (its dual); reliability is not assessed in a pathway."""
    nnames = node_names(ds, zone)
    rows = []
    for p in ds["period"].values:
        one = ds.sel(period=p)
        binding = [
            (str(n), float(one["land_value"].sel(node=n)))
            for n in ds["node"].values
            if float(one["land_value"].sel(node=n)) > 1e-6
        ]
        land = (
            "; ".join(f"{nnames[n]} ({v / 1e3:,.0f} kUSD/km²/yr)" for n, v in binding)
            if binding
            else "does not bind"
        )
        hours = float(one["export_at_limit"])
        limit = float(one["export_max"]) if "export_max" in one else float("nan")
        export = (
            f"at its {limit:,.0f} MW limit {hours:,.0f} h/yr"
            if hours > 0.5
            else f"below its {limit:,.0f} MW limit"
        )
        value = float(one["renewable_share_value"]) if "renewable_share_value" in one else 0.0
        renewable = f"binds ({value:,.1f} USD/MWh)" if value > 1e-6 else "does not bind"
        rows.append(
            {
                "period": str(int(p)),
                "land": land,
                "export": export,
                "renewable": renewable,
                "reliability": "not assessed in a pathway (greenzone run --reliability on the period's year)",
            }
        )
    return rows


def what_to_build_when(ds: xr.Dataset, zone: Zone | None = None) -> list[str]:
    """The page's first sentences: what the path builds in which period, and, where it builds nothing, why
    (the demand the fleet in service already covers, what the export earns)."""
    names = tech_names(ds, zone)
    new = ds["new_capacity"].sum("node")
    new_storage = ds["new_storage_power"].sum("node")
    builds, idle = [], []
    for p in ds["period"].values:
        parts = [
            f"{new.sel(period=p, technology=t).item():,.0f} MW of {names[str(t)].lower()}"
            for t in ds["technology"].values
            if float(new.sel(period=p, technology=t)) > BUILT_MW
        ]
        parts += [
            f"{new_storage.sel(period=p, storage=s).item():,.0f} MW of {names[str(s)].lower()}"
            for s in ds["storage"].values
            if float(new_storage.sel(period=p, storage=s)) > BUILT_MW
        ]
        if parts:
            builds.append(f"in {int(p)}, {', '.join(parts)}")
        else:
            idle.append(int(p))
    lines = []
    if builds:
        lines.append("Build " + "; ".join(builds) + ".")
    else:
        lines.append("The least-cost path builds nothing new in any period.")
    if idle and "generation" in ds:
        gen = ds["generation"].sum("technology")
        demand = ds["demand"].sum("node")
        covered = [p for p in idle if float(gen.sel(period=p)) >= float(demand.sel(period=p))]
        if covered:
            share = min(float(gen.sel(period=p) / demand.sel(period=p)) for p in covered)
            lines.append(
                f"Nothing new is needed in {_years(covered)}: the plants in service (with those the zone dates) "
                f"already generate at least {share:.1f} times the zone's demand; what more would be built "
                "could only be sold over the grid connection, and there it would earn less than it costs "
                "(at the export price, within the export limit, of those periods)."
            )
    if builds and "grid_export" in ds:
        last = ds.sel(period=ds["period"].values[-1])
        exports, demand = float(last["grid_export"]), float(last["demand"].sum())
        if demand > 0 and exports > 0.1 * demand:
            lines.append(
                f"The zone sells over the grid connection: in {int(last['period'])} it exports "
                f"{exports / 1e3:,.0f} GWh/yr, {exports / demand:.1f} times its own demand, and the export "
                f"limit ({float(last['export_max']):,.0f} MW) binds {float(last['export_at_limit']):,.0f} h/yr."
            )
    dated = ds["dated_capacity_added"].sum("node")
    entering = [
        f"{float(dated.sel(period=p, technology=t)):,.0f} MW of {names[str(t)].lower()} in {int(p)}"
        for p in ds["period"].values
        for t in ds["technology"].values
        if float(dated.sel(period=p, technology=t)) > BUILT_MW
    ]
    if entering:
        lines.append("Already decided in the zone file: " + "; ".join(entering) + ".")
    return lines


def _years(periods: list[int]) -> str:
    return ", ".join(str(p) for p in periods[:-1]) + (" and " if len(periods) > 1 else "") + str(periods[-1])


ALL_FIGURES = {
    "capacity": capacity_figure,
    "land": land_figure,
    "cost": cost_figure,
    "map": pathway_map_figure,
}
"""The page's figures in order, each ``f(pathway, zone) -> go.Figure``."""


__all__ = [
    "ALL_FIGURES",
    "capacity_figure",
    "cost_figure",
    "cost_of_electricity",
    "land_figure",
    "limit_rows",
    "pathway_map_figure",
    "period_map_data",
    "what_to_build_when",
]
