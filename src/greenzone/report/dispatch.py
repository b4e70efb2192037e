"""The weeks worth a look, and the hour-by-hour dispatch figure with a selector between them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from greenzone.report.common import (
    WEEK_HOURS,
    WINTER_MONTHS,
    add_demand_line,
    balance_terms,
    curtailed,
    layout,
    local_times,
    mean_price,
    net_load,
    node_names,
    price_range,
    tech_colors,
    tech_names,
    time_title,
)

if TYPE_CHECKING:
    from greenzone.zone import Zone


def select_weeks(
    plan: xr.Dataset, *, hours: int = WEEK_HOURS
) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """Weeks worth a look: the winter and summer weeks of highest net load and of highest curtailment.

    Windows are ``hours`` consecutive time steps starting at local midnight (where there is one), contiguous in
    time where the plan allows it (typical-period plans may not), scored by Σ weight · value. Winter is local
    October to March (April to September south of the equator), by the window's middle; a season the horizon
    does not reach, or without any curtailment, gives no week. A plan shorter than ``hours`` gives its whole
    horizon.

    Returns
    -------
    dict of label to (first, last) time stamp of the window, both included, in the plan's time (UTC).
    """
    times = pd.DatetimeIndex(plan["time"].values)
    n = len(times)
    if n <= hours:
        return {"whole horizon": (times[0], times[-1])}
    local = local_times(plan)
    weight = plan["weight"].values
    starts = np.arange(n - hours + 1)
    step = np.diff(times.values).astype("timedelta64[s]").astype(float)
    gaps = np.concatenate([[0], np.cumsum(step != step.min())])
    contiguous = starts[gaps[starts + hours - 1] == gaps[starts]]
    if contiguous.size:
        starts = contiguous
    midnight = starts[local[starts].hour == 0]
    if midnight.size:
        starts = midnight
    southern = float(np.mean(plan["lat"].values)) < 0 if "lat" in plan.coords else False
    winter = np.isin(local[starts + hours // 2].month, WINTER_MONTHS) != southern

    def window_sums(values: np.ndarray) -> np.ndarray:
        cumulative = np.concatenate([[0.0], np.cumsum(values * weight)])
        return cumulative[starts + hours] - cumulative[starts]

    scores = {
        "net load": window_sums(net_load(plan).values),
        "curtailment": window_sums(curtailed(plan).values),
    }
    weeks: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    for measure, score in scores.items():
        for season, mask in (("winter", winter), ("summer", ~winter)):
            if not mask.any():
                continue
            best = int(np.argmax(np.where(mask, score, -np.inf)))
            if measure == "curtailment" and score[best] <= 1e-6:
                continue
            i = int(starts[best])
            weeks[f"{season} week of highest {measure}"] = (times[i], times[i + hours - 1])
    if not weeks:
        i = int(starts[int(np.argmax(window_sums(net_load(plan).values)))])
        weeks["week of highest net load"] = (times[i], times[i + hours - 1])
    return weeks


def _week_label(label: str, start: pd.Timestamp, end: pd.Timestamp, tz: str) -> str:
    first = pd.Timestamp(start).tz_localize("UTC").tz_convert(tz)
    last = pd.Timestamp(end).tz_localize("UTC").tz_convert(tz)
    return f"{label[0].upper()}{label[1:]}: {first:%d %b} – {last:%d %b %Y}"


def _storage_levels(plan: xr.Dataset, zone: Zone | None) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(name, colour, filling [%], level [MWh]) of every storage technology with energy capacity and, with the
    zone, of every reservoir."""
    names, colors = tech_names(plan, zone), tech_colors(plan)
    out = []
    for store in [str(s) for s in plan["storage"].values]:
        capacity = float(plan["storage_energy"].sel(storage=store).sum())
        if capacity > 1e-6:
            level = plan["storage_level"].sel(storage=store).sum("node").values
            out.append((names[store], colors[store], 100 * level / capacity, level))
    if zone is not None:
        for tech, kind in zip(plan["technology"].values, plan["kind"].values, strict=True):
            if kind != "hydro_reservoir":
                continue
            content = 0.0
            for node in zone.nodes:
                nt = node.technologies.get(str(tech))
                if nt is not None and nt.storage_mwh:
                    content += nt.storage_mwh
            if content > 0:
                level = plan["reservoir_level"].sel(technology=tech).sum("node").values
                out.append(
                    (f"{names[str(tech)]} (reservoirs)", colors[str(tech)], 100 * level / content, level)
                )
    return out


def dispatch_figure(
    plan: xr.Dataset,
    zone: Zone | None = None,
    *,
    weeks: dict[str, tuple[pd.Timestamp, pd.Timestamp]] | None = None,
) -> go.Figure:
    """Hourly supply and use [MW], storage filling [%] and prices [USD/MWh] for chosen weeks.

    One group of traces per week (default :func:`select_weeks`); buttons above the figure switch between
    them. In the top panel generation, storage discharge, imports and unserved demand stack above zero, storage
    charging, exports and line losses below it; the black line is demand.
    """
    weeks = weeks or select_weeks(plan)
    tz = plan.attrs.get("timezone", "UTC") or "UTC"
    local = local_times(plan)
    times = pd.DatetimeIndex(plan["time"].values)
    terms = balance_terms(plan, zone)
    levels = _storage_levels(plan, zone)
    demand = plan["demand"].sum("node")
    price = mean_price(plan)
    nnames = node_names(plan, zone)
    nodes = [str(n) for n in plan["node"].values]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.58, 0.21, 0.21],
        vertical_spacing=0.05,
    )
    groups: list[list[int]] = []
    visibility: list[bool | str] = []
    for start, end in weeks.values():
        first = int(times.get_loc(start))
        last = int(times.get_loc(end))
        sl = slice(first, last + 1)
        x = local[sl]
        begin = len(fig.data)
        for label, color, da, sign in terms:
            fig.add_scatter(
                x=x,
                y=sign * da.values[sl],
                name=label,
                legendgroup=label,
                stackgroup="supply" if sign > 0 else "use",
                mode="lines",
                line=dict(width=0.5, color=color),
                fillcolor=color,
                hovertemplate=f"{label}: %{{y:,.1f}} MW<extra></extra>",
                row=1,
                col=1,
            )
            visibility.append(True)
        add_demand_line(fig, x, demand.values[sl])
        visibility.append(True)
        for name, color, share, level in levels:
            fig.add_scatter(
                x=x,
                y=share[sl],
                customdata=level[sl] / 1e3,
                name=f"{name}: filling",
                legendgroup=f"level {name}",
                mode="lines",
                line=dict(color=color, width=2),
                hovertemplate=f"{name}: %{{y:.0f}} %, %{{customdata:,.2f}} GWh<extra></extra>",
                row=2,
                col=1,
            )
            visibility.append(True)
        fig.add_scatter(
            x=x,
            y=price.values[sl],
            name="price (demand-weighted mean)",
            legendgroup="price",
            mode="lines",
            line=dict(color="#c0392b", width=2),
            hovertemplate="mean price: %{y:,.1f} USD/MWh<extra></extra>",
            row=3,
            col=1,
        )
        visibility.append(True)
        if len(nodes) > 1:
            for node in nodes:
                fig.add_scatter(
                    x=x,
                    y=plan["price"].sel(node=node).values[sl],
                    name=f"price at {nnames[node]}",
                    legendgroup=f"price {node}",
                    mode="lines",
                    line=dict(width=1),
                    hovertemplate=f"{nnames[node]}: %{{y:,.1f}} USD/MWh<extra></extra>",
                    row=3,
                    col=1,
                )
                visibility.append("legendonly")
        groups.append(list(range(begin, len(fig.data))))
    labels = [_week_label(label, *span, tz) for label, span in weeks.items()]
    add_week_selector(fig, labels, groups, visibility, storage=bool(levels))
    fig.update_yaxes(title_text="power [MW]", row=1, col=1)
    fig.update_yaxes(title_text="storage filling [%]", range=[0, 105], row=2, col=1)
    fig.update_yaxes(title_text="price [USD/MWh]", range=price_range(plan["price"].values), row=3, col=1)
    fig.update_xaxes(title_text=time_title(plan), row=3, col=1)
    return fig


def add_week_selector(
    fig: go.Figure, labels: list[str], groups: list[list[int]], visibility: list, *, storage: bool
) -> None:
    """Buttons that show one week's traces at a time (``groups[k]`` are week k's trace positions, shown as
    ``visibility[i]``: True or "legendonly"), the first week shown, the layout of the three-row week view,
    and a note in the storage row when there is no storage."""
    buttons = []
    for k, label in enumerate(labels):
        visible = [False] * len(fig.data)
        for i in groups[k]:
            visible[i] = visibility[i]
        buttons.append(
            dict(
                label=label.split(":")[0], method="update", args=[{"visible": visible}, {"title.text": label}]
            )
        )
        if k == 0:
            for i, trace in enumerate(fig.data):
                trace.visible = visible[i]
    if not storage:
        low, high = fig.layout.yaxis2.domain
        fig.add_annotation(
            text="no storage in this plan",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=(low + high) / 2,
            font=dict(color="#777"),
        )
    layout(
        fig,
        height=780,
        title=labels[0],
        hovermode="x unified",
        updatemenus=[
            dict(
                type="buttons",
                direction="right",
                buttons=buttons,
                showactive=True,
                active=0,
                x=0.0,
                xanchor="left",
                y=1.13,
                yanchor="bottom",
                pad=dict(r=6, t=0),
                bgcolor="#eef3f8",
                bordercolor="#8aa",
                font=dict(size=12),
            )
        ],
    )
    fig.add_annotation(
        text="<b>Choose a week:</b>",
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.0,
        y=1.135,
        xanchor="right",
        yanchor="bottom",
        xshift=-8,
    )
    fig.update_layout(margin=dict(t=120, l=150))


__all__ = ["dispatch_figure", "select_weeks"]
