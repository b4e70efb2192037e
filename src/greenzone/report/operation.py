"""The report's Operation section: how a planned zone ran in rolling windows from forecasts.

An operation folder (``greenzone operate`` writes ``operation.nc`` and ``kpis.json`` there) is compared with
the plan on the same hours: key figures side by side, the forecast model and its skill (nRMSE at the first and
last lead hour), planned against operated dispatch and storage for the weeks of :func:`select_weeks`, and the
net-load forecast error over the whole operated horizon.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from greenzone.report.common import (
    add_demand_line,
    balance_terms,
    curtailed,
    layout,
    local_times,
    node_names,
    number,
    time_title,
)
from greenzone.report.dispatch import _storage_levels, _week_label, add_week_selector, select_weeks
from greenzone.zone.schema import VARIABLE_KINDS

if TYPE_CHECKING:
    from greenzone.zone import Zone

OPERATION_CAPTION = (
    "How the planned zone runs when the operator does not know the future: the plants, storage and lines of "
    "the plan are dispatched window by window from forecasts of weather and demand, committed for the first "
    "hours of each window and settled against what actually happened. The table compares the plan (which "
    "knew every hour in advance) with this operation on the same hours."
)
OPERATION_FIGURE_CAPTION = (
    "Use the buttons to switch between weeks (the same choice as above, on the operated hours). Top: solid "
    "lines are what was operated, dotted lines of the same colour what the plan scheduled (production above "
    "zero, charging and exports below it), the black line is demand. Middle: how full each storage is, "
    "planned (dotted) and operated (solid). Bottom: the net-load forecast error of the committed hours "
    "(forecast minus actual demand, less forecast minus actual renewable output): above zero the forecast "
    "expected more to cover than there was."
)
ERROR_FIGURE_CAPTION = (
    "The net-load forecast error over every operated hour, for the zone (black) and for each node. The "
    "shaded band is the span of the first hours of each window, committed from that window's forecast."
)


def read_operation(folder: str | Path) -> tuple[xr.Dataset, dict[str, Any]] | None:
    """The Operation dataset and key figures of ``folder`` (``operation.nc``, ``kpis.json``), or None when
    the folder holds no ``operation.nc``."""
    folder = Path(folder)
    path = folder / "operation.nc"
    if not path.is_file():
        return None
    from greenzone.report.html import RERUN, ReportError
    from greenzone.safe_read import read_json_object

    try:
        with xr.open_dataset(path) as ds:
            operation = ds.load()
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path} cannot be read as an operation: {exc}") from None
    kpi_path = folder / "kpis.json"
    figures = (
        read_json_object(kpi_path, what="key-figures file", error=ReportError, fix=RERUN)
        if kpi_path.is_file()
        else {}
    )
    return operation, figures


def planned_hours(plan: xr.Dataset, operation: xr.Dataset) -> xr.Dataset | None:
    """The plan on the operated hours, or None when the plan does not hold every one of them (e.g. a plan on
    typical days)."""
    times = pd.DatetimeIndex(operation["time"].values)
    if not times.isin(pd.DatetimeIndex(plan["time"].values)).all():
        return None
    return plan.sel(time=times)


# ----------------------------------------------------------------------------------------------------------
# Key figures and skill
# ----------------------------------------------------------------------------------------------------------


def _energy_totals(ds: xr.Dataset) -> dict[str, float]:
    """Energy over the dataset's hours [MWh] (each step one hour, unweighted)."""
    return {
        "demand": float(ds["demand"].sum()),
        "unserved": float(ds["unserved"].sum()),
        "curtailment": float(curtailed(ds).sum()),
        "imports": float(ds["grid_import"].sum()),
        "exports": float(ds["grid_export"].sum()),
        "storage": float(ds["storage_discharge"].sum()),
    }


def comparison_rows(
    plan: xr.Dataset | None, operation: xr.Dataset, figures: dict[str, Any]
) -> list[dict[str, str]]:
    """Rows (figure, unit, plan, operation, difference) comparing the plan with the operation on the
    operated hours. Costs: the plan's column holds rolling operation with perfect forecasts (the benchmark
    ``greenzone operate`` records), since a plan's cost is yearly, not hourly."""
    rows = []
    op = _energy_totals(operation)
    planned = _energy_totals(plan) if plan is not None else {}
    labels = {
        "demand": "demand",
        "unserved": "unserved energy",
        "curtailment": "curtailment (solar, wind, river)",
        "imports": "imports from the national grid",
        "exports": "exports to the national grid",
        "storage": "storage discharge",
    }
    cost = figures.get("operating_cost_usd", operation.attrs.get("operating_cost_usd"))
    perfect = figures.get("perfect_forecast_operating_cost_usd")
    if cost is not None:
        rows.append(
            {
                "label": "operating cost (perfect forecasts in the plan column)",
                "unit": "USD",
                "plan": number(perfect, 0),
                "operation": number(float(cost), 0),
                "difference": number(float(cost) - perfect, 0) if perfect is not None else "n/a",
            }
        )
    if "cost_of_forecast_error_usd" in figures:
        rows.append(
            {
                "label": "cost of forecast error",
                "unit": "USD",
                "plan": "",
                "operation": number(figures["cost_of_forecast_error_usd"], 0),
                "difference": "",
            }
        )
    for key, label in labels.items():
        p = planned.get(key)
        rows.append(
            {
                "label": label,
                "unit": "MWh",
                "plan": number(p),
                "operation": number(op[key]),
                "difference": number(op[key] - p) if p is not None else "n/a",
            }
        )
    return rows


def skill_rows(operation: xr.Dataset) -> list[dict[str, str]]:
    """nRMSE of the forecast at lead 1 h and at the window's last lead hour, per forecast quantity
    (capacity factors of solar, wind and river only: the others are 1 and never wrong)."""
    if "forecast_skill" not in operation:
        return []
    kinds = dict(
        zip(map(str, operation["technology"].values), map(str, operation["kind"].values), strict=True)
    )
    skill = operation["forecast_skill"]
    leads = skill["lead_h"].values
    first, last = int(leads[0]), int(leads[-1])
    rows = []
    for quantity in map(str, skill["forecast_quantity"].values):
        if quantity.startswith("cf:") and kinds.get(quantity[3:]) not in VARIABLE_KINDS:
            continue
        values = skill.sel(forecast_quantity=quantity).values
        rows.append(
            {
                "quantity": str(quantity).replace("cf:", "capacity factor: "),
                "first": number(100 * float(values[0]), 1),
                "last": number(100 * float(values[-1]), 1),
                "first_h": str(first),
                "last_h": str(last),
            }
        )
    return rows


def forecast_details(operation: xr.Dataset, figures: dict[str, Any]) -> list[tuple[str, str]]:
    a = operation.attrs
    name = str(figures.get("forecast", a.get("forecast", "unknown")))
    rows = [
        ("forecast model", name + (f" (seed {a.get('forecast_seed')})" if name == "noisy" else "")),
        (
            "windows",
            f"{int(a.get('windows', 0)):,} windows of {int(a.get('horizon_h', 0))} h, the first "
            f"{int(a.get('step_h', 0))} h of each committed",
        ),
        ("operated hours", f"{int(operation.sizes['time']):,}"),
        ("end-of-window storage target", str(a.get("terminal", ""))),
    ]
    if "window_solve_s" in operation:
        rows.append(("mean solve time per window", f"{float(operation['window_solve_s'].mean()):.3f} s"))
    return rows


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def _dash(color: str) -> dict:
    return dict(color=color, width=1.6, dash="dot")


def operation_figure(
    plan: xr.Dataset | None,
    operation: xr.Dataset,
    zone: Zone | None = None,
    *,
    weeks: dict[str, tuple[pd.Timestamp, pd.Timestamp]] | None = None,
) -> go.Figure:
    """Planned (dotted) against operated (solid) supply and use [MW], storage filling [%] and the net-load
    forecast error [MW] for chosen weeks (default :func:`select_weeks` of the operation), with buttons."""
    weeks = weeks or select_weeks(operation)
    tz = operation.attrs.get("timezone", "UTC") or "UTC"
    local = local_times(operation)
    times = pd.DatetimeIndex(operation["time"].values)
    operated = {label: (color, da.values * sign) for label, color, da, sign in balance_terms(operation, zone)}
    scheduled = {}
    if plan is not None:
        scheduled = {label: (color, da.values * sign) for label, color, da, sign in balance_terms(plan, zone)}
    levels_op = {name: (color, share) for name, color, share, _ in _storage_levels(operation, zone)}
    levels_plan = {}
    if plan is not None:
        levels_plan = {name: (color, share) for name, color, share, _ in _storage_levels(plan, zone)}
    demand = operation["demand"].sum("node").values
    error = operation["forecast_error"].sum("node").values if "forecast_error" in operation else None
    fig = make_subplots(
        rows=3, cols=1, shared_xaxes=True, row_heights=[0.56, 0.22, 0.22], vertical_spacing=0.05
    )
    groups: list[list[int]] = []
    for start, end in weeks.values():
        sl = slice(int(times.get_loc(start)), int(times.get_loc(end)) + 1)
        x = local[sl]
        begin = len(fig.data)
        for label in dict.fromkeys([*operated, *scheduled]):
            color = (operated.get(label) or scheduled[label])[0]
            if label in operated:
                fig.add_scatter(
                    x=x,
                    y=operated[label][1][sl],
                    name=f"{label}: operated",
                    legendgroup=label,
                    mode="lines",
                    line=dict(color=color, width=2),
                    hovertemplate=f"{label}, operated: %{{y:,.1f}} MW<extra></extra>",
                    row=1,
                    col=1,
                )
            if label in scheduled:
                fig.add_scatter(
                    x=x,
                    y=scheduled[label][1][sl],
                    name=f"{label}: planned",
                    legendgroup=label,
                    mode="lines",
                    line=_dash(color),
                    hovertemplate=f"{label}, planned: %{{y:,.1f}} MW<extra></extra>",
                    row=1,
                    col=1,
                )
        add_demand_line(fig, x, demand[sl])
        for name in dict.fromkeys([*levels_op, *levels_plan]):
            color = (levels_op.get(name) or levels_plan[name])[0]
            if name in levels_op:
                fig.add_scatter(
                    x=x,
                    y=levels_op[name][1][sl],
                    name=f"{name}: filling, operated",
                    legendgroup=f"level {name}",
                    mode="lines",
                    line=dict(color=color, width=2),
                    hovertemplate=f"{name}, operated: %{{y:.0f}} %<extra></extra>",
                    row=2,
                    col=1,
                )
            if name in levels_plan:
                fig.add_scatter(
                    x=x,
                    y=levels_plan[name][1][sl],
                    name=f"{name}: filling, planned",
                    legendgroup=f"level {name}",
                    mode="lines",
                    line=_dash(color),
                    hovertemplate=f"{name}, planned: %{{y:.0f}} %<extra></extra>",
                    row=2,
                    col=1,
                )
        if error is not None:
            fig.add_scatter(
                x=x,
                y=error[sl],
                name="net-load forecast error",
                legendgroup="error",
                mode="lines",
                line=dict(color="#8e44ad", width=1.8),
                hovertemplate="forecast error: %{y:,.1f} MW<extra></extra>",
                row=3,
                col=1,
            )
        groups.append(list(range(begin, len(fig.data))))
    labels = [_week_label(label, *span, tz) for label, span in weeks.items()]
    add_week_selector(fig, labels, groups, [True] * len(fig.data), storage=bool(levels_op or levels_plan))
    fig.update_yaxes(title_text="power [MW]", row=1, col=1)
    fig.update_yaxes(title_text="storage filling [%]", range=[0, 105], row=2, col=1)
    fig.update_yaxes(title_text="forecast error [MW]", row=3, col=1)
    fig.update_xaxes(title_text=time_title(operation), row=3, col=1)
    return fig


def forecast_error_figure(operation: xr.Dataset, zone: Zone | None = None) -> go.Figure:
    """The net-load forecast error [MW] of every operated hour: zone total and each node."""
    x = local_times(operation)
    fig = go.Figure()
    error = operation["forecast_error"]
    step = int(operation.attrs.get("step_h", 0) or 0)
    if step and "window_start" in operation:
        tz = operation.attrs.get("timezone", "UTC") or "UTC"
        starts = pd.DatetimeIndex(operation["window_start"].values)
        local_starts = starts.tz_localize("UTC").tz_convert(tz).tz_localize(None)
        for k, start in enumerate(local_starts):
            if k % 2 == 0:
                fig.add_vrect(
                    x0=start,
                    x1=start + pd.Timedelta(hours=step),
                    fillcolor="#eef3f8",
                    line_width=0,
                    layer="below",
                )
    fig.add_scatter(
        x=x,
        y=error.sum("node").values,
        name="zone",
        mode="lines",
        line=dict(color="#1d2733", width=2),
        hovertemplate="zone: %{y:,.1f} MW<extra></extra>",
    )
    names = node_names(operation, zone)
    nodes = [str(n) for n in operation["node"].values]
    if len(nodes) > 1:
        for node in nodes:
            fig.add_scatter(
                x=x,
                y=error.sel(node=node).values,
                name=names[node],
                mode="lines",
                line=dict(width=1),
                hovertemplate=f"{names[node]}: %{{y:,.1f}} MW<extra></extra>",
            )
    layout(fig, height=380, hovermode="x unified")
    fig.update_yaxes(title_text="forecast error [MW]", zeroline=True)
    fig.update_xaxes(title_text=time_title(operation))
    return fig


def operation_section(
    plan: xr.Dataset,
    operation: xr.Dataset,
    figures: dict[str, Any],
    zone: Zone | None,
    figure_html,
) -> dict[str, Any]:
    """The template context of the Operation section; ``figure_html(name, fig)`` renders a figure."""
    planned = planned_hours(plan, operation)
    notes = []
    if planned is None:
        notes.append(
            "The plan does not hold every operated hour (it may be solved on typical days), so the plan's "
            "columns and lines are left out."
        )
    section = {
        "caption": OPERATION_CAPTION,
        "notes": notes,
        "rows": comparison_rows(planned, operation, figures),
        "forecast": forecast_details(operation, figures),
        "skill": skill_rows(operation),
        "figure_caption": OPERATION_FIGURE_CAPTION,
        "figure": figure_html("operation", operation_figure(planned, operation, zone)),
        "error_caption": ERROR_FIGURE_CAPTION,
        "error_figure": (
            figure_html("forecast-error", forecast_error_figure(operation, zone))
            if "forecast_error" in operation
            else ""
        ),
    }
    return section


__all__ = [
    "comparison_rows",
    "forecast_error_figure",
    "operation_figure",
    "operation_section",
    "planned_hours",
    "read_operation",
    "skill_rows",
]
