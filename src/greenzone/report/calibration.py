"""The calibration page: one self-contained HTML file of what ``greenzone calibrate`` fitted.

:func:`calibration_page` takes the before/after table (:func:`greenzone.calibrate.fit_table`, as in
``calibration.csv``) and the fitted groups (as in ``calibration.json``) as plain data, so this module needs
nothing from :mod:`greenzone.calibrate` (which calls it). The page: what was calibrated from which observed
file and on which weather (a banner when it is synthetic), the table per group and period, the factor per group
with its bounds, and one figure (observed against modelled before and after, the year-to-year spread as error
bars when the weather is synthetic). plotly.js is inlined once, as in the run report; the rows are embedded
as JSON (``<script type="application/json" id="calibration-data">``); the page makes no request.
"""

from __future__ import annotations

import html
import json
import math
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from greenzone.report.common import layout, number
from greenzone.report.html import PLOTLY_CONFIG, plotly_js, templates

COLORS = {"observed": "#1d2733", "before": "#b0b0b0", "after": "#1f6f50"}
PANELS_PER_ROW = 3
"""Groups side by side in the figure, each panel on its own energy scale."""
QUANTITIES = {"flow": "flow factor", "dc_yield": "PV DC yield factor", "yield": "wind yield factor"}


def _float(value) -> float | None:
    """A JSON-safe number: None for NaN."""
    value = float(value)
    return None if math.isnan(value) else value


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{round(100 * value, 1) + 0.0:+.1f}"  # never "-0.0"


def calibration_figure(table: pd.DataFrame, synthetic: bool) -> go.Figure:
    """Observed, modelled before and after [MWh] per period as grouped bars, one panel per group (each on its
    own scale); with synthetic weather the model's year-to-year spread (standard deviation across the
    synthetic years) as error bars."""
    groups = list(dict.fromkeys(table["group"].astype(str)))
    cols = min(len(groups), PANELS_PER_ROW) or 1
    rows = math.ceil(len(groups) / cols) or 1
    titles = [html.escape(g) for g in groups]  # plotly reads tags in text: names stay text
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08)
    for i, group in enumerate(groups):
        part = table[table["group"].astype(str) == group]
        periods = part["period"].astype(str).tolist()
        for key, column, spread, name in (
            ("observed", "observed_mwh", None, "observed"),
            ("before", "before_mwh", "spread_before_mwh", "modelled before"),
            ("after", "after_mwh", "spread_mwh", "modelled after"),
        ):
            error = None
            if synthetic and spread is not None and spread in part:
                error = dict(
                    type="data", array=part[spread].fillna(0.0).tolist(), visible=True, thickness=1.2
                )
            fig.add_bar(
                x=periods,
                y=part[column].tolist(),
                name=name,
                legendgroup=key,
                showlegend=i == 0,
                marker_color=COLORS[key],
                error_y=error,
                hovertemplate=f"{titles[i]} %{{x}}: {name} %{{y:,.0f}} MWh<extra></extra>",
                row=i // cols + 1,
                col=i % cols + 1,
            )
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="energy [MWh]", rangemode="tozero", col=1)
    fig.update_yaxes(rangemode="tozero")
    return layout(
        fig,
        height=120 + 340 * rows,
        barmode="group",
        legend=dict(orientation="h", y=1.0 + 0.12 / rows, x=0.0, yanchor="bottom"),
    )


def _rows(table: pd.DataFrame, synthetic: bool) -> list[dict[str, Any]]:
    rows = []
    for r in table.itertuples():
        rows.append(
            {
                "group": str(r.group),
                "period": str(r.period),
                "observed": number(r.observed_mwh, 0),
                "before": number(r.before_mwh, 0),
                "after": number(r.after_mwh, 0),
                "error_before": _percent(r.error_before),
                "error_after": _percent(r.error_after),
                "spread": number(r.spread_mwh, 0) if synthetic else "",
                "spreads_off": (
                    ""
                    if not synthetic or math.isnan(r.spreads_off)
                    else f"{round(r.spreads_off, 1) + 0.0:+.1f}"
                ),
                "beyond": synthetic and abs(r.spreads_off) > 1,
                "source": str(r.source),
            }
        )
    return rows


def _groups(groups: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for g in groups:
        lo, hi = g["bounds"]
        hit = g.get("bound_hit")
        out.append(
            {
                "group": g["group"],
                "units": ", ".join(g["units"]),
                "quantity": QUANTITIES.get(g["quantity"], g["quantity"]),
                "factor": f"{g['factor']:.4f}",
                "bounds": f"{lo:g} – {hi:g}",
                "hit": f"yes, the {hit} bound" if hit else "no",
                "observed": number(g["observed_mwh"], 0),
                "before": number(g["before_mwh"], 0),
                "after": number(g["after_mwh"], 0),
                "periods": ", ".join(g["periods"]),
            }
        )
    return out


def _spread_range(table: pd.DataFrame) -> str:
    """The model's year-to-year spread as a share of its after-fit energy, lowest to highest [%]."""
    share = (table["spread_mwh"] / table["after_mwh"].where(table["after_mwh"] > 0)).dropna()
    if share.empty:
        return "not available"
    lo, hi = 100 * float(share.min()), 100 * float(share.max())
    return f"{lo:.1f} %" if round(lo, 1) == round(hi, 1) else f"{lo:.1f} – {hi:.1f} %"


def _data_json(table: pd.DataFrame, groups: list[dict[str, Any]]) -> str:
    """The table and the groups as JSON safe inside a ``<script>`` element (no ``<``, so no ``</script>``)."""
    records = []
    for r in table.to_dict("records"):
        records.append({k: (_float(v) if isinstance(v, float) else v) for k, v in r.items()})
    text = json.dumps({"rows": records, "groups": groups}, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def calibration_page(
    table: pd.DataFrame,
    groups: list[dict[str, Any]],
    *,
    zone: str,
    observed: str,
    weather: str,
    synthetic: bool,
    weather_years: int,
) -> str:
    """The calibration page as one HTML string.

    ``table``: one row per observed group and period (columns of ``calibration.csv``: group, period, observed,
    before and after [MWh], error_before, error_after [-], spread_mwh, spread_before_mwh, spreads_off, source).
    ``groups``: the fitted groups as in ``calibration.json`` (group, units, quantity, factor, bounds, bound_hit,
    observed_mwh, before_mwh, after_mwh, periods). ``observed`` is the observed file's name, ``weather`` the
    weather in words, ``weather_years`` its (synthetic) years [-].
    """
    from greenzone import __version__

    env = templates()
    fig = calibration_figure(table, synthetic)
    figure = fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id="fig-calibration",
        config=PLOTLY_CONFIG,
        default_width="100%",
        default_height=f"{fig.layout.height}px",
    )
    return env.get_template("calibration.html").render(
        zone=zone,
        observed=observed,
        weather=weather,
        synthetic=synthetic,
        weather_years=weather_years,
        spread=_spread_range(table) if synthetic else "",
        rows=_rows(table, synthetic),
        groups=_groups(groups),
        figure=figure,
        data_json=_data_json(table, groups),
        generated=datetime.now(timezone.utc).strftime("%d %b %Y %H:%M UTC"),
        version=__version__,
        plotly_js=plotly_js(),
    )


__all__ = ["calibration_figure", "calibration_page"]
