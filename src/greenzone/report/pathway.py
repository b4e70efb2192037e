"""The pathway's report: what to build when, on one self-contained page a minister can follow.

:func:`write_pathway_report` reads a folder ``greenzone pathway`` wrote (``pathway.nc``, ``kpis.json``) and
writes ``report.html`` beside them: a sentence saying what to build when, capacity by period (stacked), land
used against land cleared per node, cost and cost of electricity by period, the binding limits by period and
a map per period (a slider). Each figure is one function of the Pathway dataset
(:mod:`greenzone.pathway_output`), usable in a notebook. plotly's JavaScript is inlined once; the page makes no
request of any kind.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
import xarray as xr
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from plotly.subplots import make_subplots

from greenzone.report.common import layout, node_names, tech_colors, tech_names
from greenzone.report.geo import map_figure
from greenzone.report.html import PLOTLY_CONFIG, ReportError, plotly_js
from greenzone.safe_read import read_json_object

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


def _figure_html(name: str, fig: go.Figure) -> str:
    return fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id=f"fig-pathway-{name}",
        config=PLOTLY_CONFIG,
        default_width="100%",
        default_height=f"{fig.layout.height or 450}px",
    )


def period_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    """The key figures per period as table rows (kpis.json of greenzone pathway)."""
    rows = []
    for row in figures.get("periods", []):
        built = sum(row["new_capacity_mw"].values()) + row.get("new_storage_power_mw", 0.0)
        coe = row.get("cost_of_electricity_usd_per_mwh")
        rows.append(
            {
                "period": str(row["period"]),
                "years": f"{row['years']:.0f}",
                "demand": f"{row['demand_mwh_per_year'] / 1e3:,.0f}",
                "built": f"{built:,.0f}",
                "cost": f"{row['cost_usd_per_year'] / 1e6:,.1f}",
                "coe": "–" if coe is None else f"{coe:,.1f}",
                "emissions": f"{row['emissions_t_per_year']:,.0f}",
                "land": f"{row['land_used_km2']:,.1f}",
            }
        )
    return rows


def _path_context(ds: xr.Dataset, figures: dict[str, Any], zone: Zone | None, key: str = "") -> dict:
    """One path's part of the page: its sentences, period table, limits and figures (div ids end in
    ``key``, so that several paths share a page)."""
    return {
        "summary": what_to_build_when(ds, zone),
        "rows": period_rows(figures),
        "limits": limit_rows(ds, zone),
        "sections": [
            {
                "name": name,
                "id": f"{name}{key}",
                "heading": CAPTIONS[name][0],
                "caption": CAPTIONS[name][1],
                "html": _figure_html(f"{name}{key}", make(ds, zone)),
            }
            for name, make in ALL_FIGURES.items()
        ],
    }


def _musd(value: float | None) -> str:
    return "unbounded" if value is None else f"{value / 1e6:,.1f}"


def scenario_context(ds: xr.Dataset, figures: dict[str, Any], zone: Zone | None = None) -> dict:
    """The scenarios of a stochastic pathway side by side: the first period's builds (the same in all), a
    table of each scenario's probability and costs [MUSD, discounted], the expected cost, VSS and EVPI, and
    each scenario's own path."""
    names = [str(s) for s in ds["scenario"].values]
    first = ds.isel(scenario=0, period=slice(0, 1))
    now = what_to_build_when(first, zone)[0]
    path = figures.get("path", {})
    rows = []
    for name in names:
        each = figures["scenarios"][name]["path"]
        rows.append(
            {
                "name": name,
                "probability": f"{each['probability']:g}",
                "cost": _musd(each["total_cost_discounted_usd"]),
                "wait_and_see": _musd(each["wait_and_see_cost_usd"]),
                "mean_value": _musd(each["mean_value_first_cost_usd"]),
            }
        )
    return {
        "first_period": int(ds["period"].values[0]),
        "now": now,
        "rows": rows,
        "expected": _musd(path.get("expected_cost_discounted_usd")),
        "vss": _musd(path.get("vss_usd")),
        "evpi": _musd(path.get("evpi_usd")),
        "paths": [
            {
                "name": name,
                "probability": f"{figures['scenarios'][name]['path']['probability']:g}",
                **_path_context(ds.sel(scenario=name), figures["scenarios"][name], zone, key=f"-{name}"),
            }
            for name in names
        ],
    }


def pathway_page(ds: xr.Dataset, figures: dict[str, Any], zone: Zone | None = None) -> str:
    """The pathway's page as one HTML string: ``ds`` a Pathway dataset, ``figures`` its key figures
    (:func:`greenzone.pathway_output.pathway_kpis`), ``zone`` (optional) for names. A stochastic pathway (a
    ``scenario`` dimension) shows its scenarios side by side (:func:`scenario_context`)."""
    from greenzone import __version__

    env = Environment(
        loader=PackageLoader("greenzone.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    stochastic = "scenario" in ds.dims
    if stochastic:
        scenarios = scenario_context(ds, figures, zone)
        paths = scenarios["paths"]
    else:
        scenarios = None
        paths = [{"name": None, "probability": None, **_path_context(ds, figures, zone)}]
    path = figures.get("path", {})
    mode = str(ds.attrs.get("mode", "perfect_foresight")).replace("_", " ")
    return env.get_template("pathway.html").render(
        zone=str(ds.attrs.get("zone", "greenzone pathway")),
        periods=[int(p) for p in ds["period"].values],
        end_year=int(ds["period"].values[-1] + ds["years"].values[-1] - 1),
        mode=mode,
        total=f"{float(ds.attrs.get('total_cost_usd', 0.0)) / 1e9:,.2f}",
        negative=float(ds.attrs.get("total_cost_usd", 0.0)) < 0,
        levelised=path.get("levelised_cost_usd_per_mwh"),
        base_year=int(ds.attrs.get("base_year", ds["period"].values[0])),
        discount_rate=f"{float(ds.attrs.get('discount_rate', 0.0)):.1%}",
        resolution=str(ds.attrs.get("time_resolution", "")),
        demand_note=str(ds.attrs.get("demand_note", "")),
        synthetic=bool(int(ds.attrs.get("synthetic", 0))),
        weather_title=str(ds.attrs.get("weather_title", "")),
        scenarios=scenarios,
        paths=paths,
        generated=datetime.now(timezone.utc).strftime("%d %b %Y %H:%M UTC"),
        version=__version__,
        plotly_js=plotly_js(),
    )


def read_pathway(folder: Path) -> xr.Dataset:
    """``folder/pathway.nc``, loaded; refused with the fix when missing or unreadable."""
    path = folder / "pathway.nc"
    if not path.is_file():
        raise ReportError(
            f"{path} not found: give the folder a 'greenzone pathway' wrote (it holds pathway.nc, kpis.json)"
        )
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path} cannot be read as a pathway: {exc}; run greenzone pathway again") from None


def write_pathway_report(
    folder: str | Path, *, out: str | Path | None = None, zone: Zone | None = None
) -> Path:
    """Write the pathway page of ``folder`` (``pathway.nc``, ``kpis.json`` as ``greenzone pathway`` writes
    them) to ``out`` (default ``folder/report.html``), atomically. Returns its path."""
    from greenzone.output import check_output_file, write_text
    from greenzone.pathway_output import pathway_kpis

    folder = Path(folder)
    target = Path(out) if out is not None else folder / "report.html"
    if out is not None:
        read = [(f"the pathway folder's {p.name}", p) for p in folder.glob("*") if p.name != "report.html"]
        check_output_file(target, read)
    ds = read_pathway(folder)
    kpi_path = folder / "kpis.json"
    if kpi_path.is_file():
        figures = read_json_object(
            kpi_path, what="key-figures file", error=ReportError, fix="run greenzone pathway again."
        )
    else:
        figures = pathway_kpis(ds)
    return write_text(pathway_page(ds, figures, zone), target)


__all__ = [
    "ALL_FIGURES",
    "capacity_figure",
    "cost_figure",
    "cost_of_electricity",
    "land_figure",
    "limit_rows",
    "pathway_map_figure",
    "pathway_page",
    "period_map_data",
    "read_pathway",
    "scenario_context",
    "what_to_build_when",
    "write_pathway_report",
]
