"""The report's Adequacy section: loss of load of the planned fleet over many weather years.

An adequacy folder (``greenzone adequacy`` writes ``adequacy.json`` and ``adequacy.nc`` there) gives the key
figures with their spread, a chart of loss-of-load hours and unserved energy in every weather year against
the target, a chart of when in the year and the day the lights go out, and the worst events with their
causes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from greenzone.report.common import layout, number

ADEQUACY_CAPTION = (
    "Would the lights stay on? The plants, storage and lines of the plan are dispatched, with their sizes "
    "fixed, over many weather years (with synthetic weather the first is the plan's own, the others unseen), each hour "
    "served as cheaply as possible with load cut only when nothing else can serve it. LOLE is the expected "
    "number of hours per year with some load unserved, EUE the expected energy unserved per year, LOLP the "
    "share of all hours with a shortfall."
)
YEARS_CAPTION = (
    "Top: hours with load unserved in each weather year, with the target as a dashed line. Bottom: energy "
    "unserved in each year. The spread between years is why one weather year is not enough to judge a plan."
)
WHEN_CAPTION = (
    "When the shortfalls happen: loss-of-load hours over all weather years by month and hour of the day "
    "(local time). Empty when no load went unserved."
)


def read_adequacy_folder(folder: str | Path) -> tuple[dict[str, Any], xr.Dataset | None] | None:
    """``adequacy.json`` (and ``adequacy.nc`` when present) of ``folder``, or None without an adequacy.json."""
    folder = Path(folder)
    path = folder / "adequacy.json"
    if not path.is_file():
        return None
    from greenzone.report.html import RERUN, ReportError
    from greenzone.safe_read import read_json_object

    figures = read_json_object(path, what="adequacy file", error=ReportError, fix=RERUN)
    shortfall = None
    if (folder / "adequacy.nc").is_file():
        with xr.open_dataset(folder / "adequacy.nc") as ds:
            shortfall = ds.load()
    return figures, shortfall


def years_figure(figures: dict[str, Any]) -> go.Figure:
    """Loss-of-load hours [h] and unserved energy [MWh] by weather year, with the LOLE target."""
    rows = figures["per_year"]
    years = [str(r["weather_year"]) for r in rows]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_bar(x=years, y=[r["lole_h"] for r in rows], name="loss-of-load hours [h]", marker_color="#c0392b")
    fig.add_bar(
        x=years,
        y=[r["eue_mwh"] for r in rows],
        name="unserved energy [MWh]",
        marker_color="#e67e22",
        row=2,
        col=1,
    )
    target = figures.get("lole_target_h_per_year")
    if target is not None:
        fig.add_hline(
            y=target,
            line=dict(color="black", dash="dash"),
            annotation_text=f"target {target:g} h/yr",
            annotation_position="top left",
            row=1,
            col=1,
        )
    fig.update_yaxes(title_text="loss of load [h]", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="unserved [MWh]", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="weather year", type="category", row=2, col=1)
    return layout(fig, height=460)


def when_figure(shortfall: xr.Dataset, timezone: str) -> go.Figure:
    """Loss-of-load hours over all years by month (rows) and local hour of the day (columns)."""
    counts = np.zeros((12, 24))
    tol = 1e-3
    for label in shortfall["weather_year"].values:
        values = shortfall["shortfall"].sel(weather_year=label).values
        values = values[np.isfinite(values)]
        first = (
            str(shortfall["start_utc"].sel(weather_year=label).values)
            if "start_utc" in shortfall.coords
            else f"{int(label)}-01-01"
        )
        time = pd.date_range(first, periods=len(values), freq="h")
        local = time.tz_localize("UTC").tz_convert(timezone)
        hit = values > tol
        np.add.at(counts, (local.month.values[hit] - 1, local.hour.values[hit]), 1)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=[f"{h:02d}:00" for h in range(24)],
            y=months,
            colorscale="Reds",
            colorbar=dict(title="hours"),
            hovertemplate="%{y}, %{x}: %{z:.0f} loss-of-load hours<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title_text="month")
    fig.update_xaxes(title_text="hour of the day (local time)")
    return layout(fig, height=380)


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    lole, eue = figures["lole_spread"], figures["eue_spread"]
    target = figures.get("lole_target_h_per_year")
    verdict = (
        ""
        if target is None
        else (" (meets the target)" if figures["meets_target"] else " (misses the target)")
    )
    return [
        (
            "weather years",
            f"{figures['weather_years']} ({'synthetic' if figures['synthetic_weather'] else 'given'})",
        ),
        ("forced outages", "drawn at random (two-state Markov per unit)" if figures["outages"] else "none"),
        (
            "LOLE [h/yr]",
            f"{number(figures['lole_h_per_year'], 2)} ± {number(lole['standard_error'], 2)} (standard error)",
        ),
        ("LOLE target [h/yr]", "none" if target is None else f"{target:g}{verdict}"),
        (
            "LOLE by year [h]",
            f"median {number(lole['p50'], 0)}, 90th percentile {number(lole['p90'], 0)}, worst {number(lole['max'], 0)}",
        ),
        (
            "EUE [MWh/yr]",
            f"{number(figures['eue_mwh_per_year'], 1)} ({figures['eue_share_of_demand']:.2e} of demand)",
        ),
        ("EUE by year [MWh]", f"median {number(eue['p50'], 1)}, worst {number(eue['max'], 1)}"),
        ("LOLP [-]", f"{figures['lolp']:.2e}"),
        ("years with loss of load", f"{figures['years_with_loss_of_load']} of {figures['weather_years']}"),
        ("method", figures["method"]),
    ]


def event_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "year": str(e["weather_year"]),
            "when": f"{e['start_local']} – {e['end_local']}",
            "hours": str(e["hours"]),
            "energy": number(e["energy_mwh"], 1),
            "peak": number(e["peak_mw"], 1),
            "nodes": ", ".join(e["nodes"]),
            "causes": "; ".join(e["causes"]),
        }
        for e in figures["worst_events"]
    ]


def adequacy_section(
    figures: dict[str, Any], shortfall: xr.Dataset | None, timezone: str, figure_html
) -> dict[str, Any]:
    """The template context of the Adequacy section; ``figure_html(name, fig)`` renders a figure."""
    return {
        "caption": ADEQUACY_CAPTION,
        "rows": summary_rows(figures),
        "years_caption": YEARS_CAPTION,
        "years_figure": figure_html("adequacy-years", years_figure(figures)),
        "when_caption": WHEN_CAPTION,
        "when_figure": (
            figure_html("adequacy-when", when_figure(shortfall, timezone)) if shortfall is not None else ""
        ),
        "events": event_rows(figures),
    }


__all__ = [
    "adequacy_section",
    "event_rows",
    "read_adequacy_folder",
    "summary_rows",
    "when_figure",
    "years_figure",
]
