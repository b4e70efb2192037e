"""The map of nodes, links and the national-grid connection, drawn offline on a longitude / latitude plane."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from greenzone.report.borders import countries_in, label_points
from greenzone.report.common import annual_energy, layout, node_names, tech_colors, tech_names

if TYPE_CHECKING:
    from greenzone.zone import Zone


def map_figure(plan: xr.Dataset, zone: Zone | None = None, *, grid_limits: str | None = None) -> go.Figure:
    """Nodes sized by capacity, links by transfer capacity and the national-grid connection, on a longitude /
    latitude plane with equal distances in both directions, over country borders shipped with greenzone
    (Natural Earth 1:110m: coarse, for orientation). Works offline: no map tiles, no outlines fetched.

    ``plan`` is a Plan dataset, or one period of a pathway in its shape (``demand`` then annual [MWh/yr] by
    node, without a time axis); ``grid_limits`` replaces the grid connection's limits in words."""
    names, nnames = tech_names(plan, zone), node_names(plan, zone)
    nodes = [str(n) for n in plan["node"].values]
    lon = plan["lon"].values.astype(float)
    lat = plan["lat"].values.astype(float)
    pad_lon = max(0.3, 0.2 * float(np.ptp(lon)))
    pad_lat = max(0.25, 0.2 * float(np.ptp(lat)))
    box = (lon.min() - pad_lon, lat.min() - pad_lat, lon.max() + pad_lon, lat.max() + pad_lat)
    lat0 = math.radians(float(np.mean(lat)))
    fig = go.Figure()

    # country borders, beneath everything
    xs: list[float | None] = []
    ys: list[float | None] = []
    countries = countries_in(*box)
    for country in countries:
        for ring in country.rings:
            xs.extend([p[0] for p in ring] + [None])
            ys.extend([p[1] for p in ring] + [None])
    if xs:
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line=dict(color="#9aa5b1", width=1.2, dash="dot"),
            name="country borders (Natural Earth 1:110m)",
            hoverinfo="skip",
        )
    labels = label_points(countries, *box, avoid=list(zip(lon, lat, strict=True)))
    if labels:
        fig.add_scatter(
            x=[v[0] for v in labels],
            y=[v[1] for v in labels],
            mode="text",
            text=[v[2].upper() for v in labels],
            textfont=dict(color="#a7b1bc", size=15),
            showlegend=False,
            hoverinfo="skip",
        )

    # links, width by capacity
    link_cap = plan["link_capacity"].values.astype(float)
    link_existing = plan["link_capacity_existing"].values.astype(float)
    widest = float(link_cap.max()) if link_cap.size and link_cap.max() > 0 else 1.0
    shown = set()
    mid_x, mid_y, mid_text = [], [], []
    for i in range(plan.sizes["link"]):
        a = nodes.index(str(plan["link_from"].values[i]))
        b = nodes.index(str(plan["link_to"].values[i]))
        expanded = link_cap[i] > link_existing[i] + 1e-3
        style = "line, expanded by the plan" if expanded else "line"
        fig.add_scatter(
            x=[lon[a], lon[b]],
            y=[lat[a], lat[b]],
            mode="lines",
            line=dict(color="#e67e22" if expanded else "#5d6d7e", width=1.5 + 9 * link_cap[i] / widest),
            name=f"{style} (width: capacity)",
            legendgroup=style,
            showlegend=style not in shown,
            hoverinfo="skip",
        )
        shown.add(style)
        mid_x.append((lon[a] + lon[b]) / 2)
        mid_y.append((lat[a] + lat[b]) / 2)
        mid_text.append(
            f"{nnames[nodes[a]]} – {nnames[nodes[b]]}<br>{link_cap[i]:,.0f} MW "
            f"(existing {link_existing[i]:,.0f} MW)"
        )
    if mid_x:
        fig.add_scatter(
            x=mid_x,
            y=mid_y,
            mode="markers",
            marker=dict(size=9, color="rgba(0,0,0,0)"),
            text=mid_text,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )

    # nodes, area by capacity, coloured by their largest technology
    gen = plan["capacity"]
    sto = plan["storage_discharge_capacity"]
    total = gen.sum("technology").values + sto.sum("storage").values
    biggest = float(total.max()) if total.max() > 0 else 1.0
    sizes = 12 + 48 * np.sqrt(total / biggest)
    colors = tech_colors(plan)
    if "time" in plan["demand"].dims:
        demand_gwh = [annual_energy(plan, plan["demand"].sel(node=n)) / 1e3 for n in nodes]
    else:  # annual already [MWh/yr]
        demand_gwh = [float(plan["demand"].sel(node=n)) / 1e3 for n in nodes]
    hover = []
    lead = []
    for j, node in enumerate(nodes):
        parts = [f"<b>{nnames[node]}</b>: {total[j]:,.0f} MW in all"]
        caps = {str(t): float(v) for t, v in zip(plan["technology"].values, gen.values[j], strict=True)}
        caps.update({str(s): float(v) for s, v in zip(plan["storage"].values, sto.values[j], strict=True)})
        for tech, mw in sorted(caps.items(), key=lambda kv: -kv[1]):
            if mw > 0.05:
                parts.append(f"{names[tech]}: {mw:,.1f} MW")
        parts.append(f"demand: {demand_gwh[j]:,.1f} GWh/yr")
        hover.append("<br>".join(parts))
        lead.append(max(caps, key=caps.get) if total[j] > 0 else "")
    for tech in dict.fromkeys(lead):
        idx = [j for j, t in enumerate(lead) if t == tech]
        fig.add_scatter(
            x=lon[idx],
            y=lat[idx],
            mode="markers+text",
            marker=dict(
                size=sizes[idx],
                color=colors.get(tech, "#bbbbbb"),
                line=dict(color="white", width=1.5),
                opacity=0.9,
            ),
            text=[nnames[nodes[j]] for j in idx],
            textposition="top center",
            textfont=dict(size=12, color="#1d2733"),
            customdata=[hover[j] for j in idx],
            hovertemplate="%{customdata}<extra></extra>",
            name=f"node, mostly {names[tech]}" if tech else "node without capacity",
        )

    # national grid
    grid = plan.attrs.get("grid_node", "")
    if grid and grid in nodes:
        g = nodes.index(grid)
        if grid_limits is not None:
            limits = grid_limits
        elif zone is not None and zone.grid is not None:
            limits = f"import up to {zone.grid.import_max_mw:,.0f} MW, export up to {zone.grid.export_max_mw:,.0f} MW"
        else:
            limits = (
                f"peak import {float(plan['grid_import'].max()):,.0f} MW, "
                f"peak export {float(plan['grid_export'].max()):,.0f} MW"
            )
        fig.add_scatter(
            x=[lon[g]],
            y=[lat[g]],
            mode="markers",
            marker=dict(symbol="star-diamond", size=16, color="#111", line=dict(color="white", width=1)),
            name="national-grid connection",
            hovertemplate=f"national-grid connection at {nnames[grid]}<br>{limits}<extra></extra>",
        )
        fig.add_annotation(
            x=lon[g],
            y=lat[g],
            ax=80,
            ay=50,
            text=f"national grid<br>{limits.replace(', ', '<br>')}",
            showarrow=True,
            arrowhead=2,
            font=dict(size=11),
            align="left",
            bgcolor="rgba(255,255,255,0.85)",
        )

    fig.add_annotation(
        text="Borders: Natural Earth 1:110m, coarse and for orientation only; not an official boundary. "
        "Node positions from the zone file.",
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.13,
        xanchor="left",
        font=dict(size=11, color="#666"),
    )
    layout(fig, height=720, hovermode="closest", legend=dict(x=1.01, y=1, xanchor="left"))
    fig.update_layout(margin=dict(b=90, r=20))
    fig.update_xaxes(title_text="longitude [deg E]", range=[box[0], box[2]], showgrid=True, constrain="range")
    fig.update_yaxes(
        title_text="latitude [deg N]",
        range=[box[1], box[3]],
        scaleanchor="x",
        scaleratio=1.0 / math.cos(lat0),
        constrain="range",
    )
    return fig


__all__ = ["map_figure"]
