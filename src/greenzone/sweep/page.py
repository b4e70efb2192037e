"""The sweep's own page, ``DIR/report.html``: self-contained (plotly.js inlined once), from the catalog alone.

Figures, each one function taking the catalog: the tornado of the total cost (:func:`tornado_figure`), the
distributions of the main key figures (:func:`distribution_figure`), the cases on the cost–renewable-share
plane coloured by land used (:func:`plane_figure`), capacity by case (:func:`capacity_figure`); then a table
of every case with its parameters, status and links to its folder's report.html (a plan case's own report,
loading the sweep folder's shared plotly.js) and kpis.json.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from greenzone.sweep.sensitivity import parameter_columns, tornado

_DONE = "done"


def tornado_figure(catalog: pd.DataFrame, kpi: str = "total_cost_usd_per_year") -> go.Figure:
    """Each parameter's swing of ``kpi``: a bar from its lowest to its highest mean over the cases."""
    table = tornado(catalog, kpi).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=list(table.index),
            x=list(table["swing"]),
            base=list(table["low"]),
            orientation="h",
            customdata=list(zip(table["low_value"], table["high_value"], strict=True)),
            hovertemplate="%{y}<br>lowest mean %{base:,.4g} at %{customdata[0]}<br>swing %{x:,.4g}<extra></extra>",
        )
    )
    fig.update_layout(title=f"What moves {kpi}: each parameter's main effect", xaxis_title=kpi, height=300)
    return fig


def distribution_figure(catalog: pd.DataFrame, kpi: str) -> go.Figure:
    """The distribution of ``kpi`` over the done cases."""
    done = catalog[catalog["status"] == _DONE]
    fig = go.Figure(go.Histogram(x=done[kpi], nbinsx=min(30, max(len(done), 1))))
    fig.update_layout(title=f"{kpi} over {len(done)} cases", xaxis_title=kpi, yaxis_title="cases", height=300)
    return fig


def plane_figure(catalog: pd.DataFrame) -> go.Figure:
    """The done cases on the cost–renewable-share plane, coloured by land used [km^2]."""
    done = catalog[catalog["status"] == _DONE]
    names = parameter_columns(catalog)
    text = [
        f"case {row['case']}<br>" + "<br>".join(f"{n} = {row[n]}" for n in names)
        for _, row in done.iterrows()
    ]
    land = done["land_used_km2"] if "land_used_km2" in done else None
    fig = go.Figure(
        go.Scatter(
            x=done["renewable_share"],
            y=done["total_cost_usd_per_year"],
            mode="markers",
            text=text,
            hovertemplate="%{text}<extra></extra>",
            marker={"color": land, "colorbar": {"title": "land [km^2]"}, "showscale": land is not None},
        )
    )
    fig.update_layout(
        title="Cases by cost, renewable share and land used",
        xaxis_title="renewable share [-]",
        yaxis_title="total cost [USD/yr]",
        height=450,
    )
    return fig


def capacity_figure(catalog: pd.DataFrame) -> go.Figure:
    """Capacity [MW] of every technology in every done case, stacked."""
    done = catalog[catalog["status"] == _DONE]
    fig = go.Figure()
    for column in [c for c in catalog.columns if str(c).startswith("capacity_mw.")]:
        if done[column].fillna(0).abs().sum() > 0:
            fig.add_bar(x=[str(c) for c in done["case"]], y=done[column], name=column.split(".", 1)[1])
    fig.update_layout(
        barmode="stack", title="Capacity by case", xaxis_title="case", yaxis_title="MW", height=400
    )
    return fig


def _table(catalog: pd.DataFrame, reports: set[str]) -> str:
    names = parameter_columns(catalog)
    head = "".join(
        f"<th>{html.escape(h)}</th>" for h in ["case", "status", *names, "total cost [USD/yr]", "result"]
    )
    rows = []
    for _, row in catalog.iterrows():
        link = ""
        if row["result"] and row["status"] == _DONE:
            folder = html.escape(row["result"])
            link = f'<a href="{folder}/kpis.json">kpis.json</a>'
            if row["result"] in reports:
                link = f'<a href="{folder}/report.html">report</a> · {link}'
        cost = row.get("total_cost_usd_per_year")
        cells = [str(row["case"]), row["status"], *(str(row[n]) for n in names)]
        cells.append("" if cost is None or pd.isna(cost) else f"{cost:,.0f}")
        body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        title = html.escape(row["error"][:500]) if row["status"] == "failed" else ""
        rows.append(f'<tr title="{title}">{body}<td>{link}</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_sweep_report(
    catalog: pd.DataFrame, *, title: str = "Sweep", reports: set[str] = frozenset()
) -> str:
    """The page's HTML; ``reports`` are the case folders (``result`` values) that hold a report.html, linked
    from their row."""
    from greenzone.report.html import PLOTLY_CONFIG, plotly_js

    figures = [tornado_figure(catalog)]
    done = catalog[catalog["status"] == _DONE]
    for kpi in ("total_cost_usd_per_year", "renewable_share"):
        if kpi in done:
            figures.append(distribution_figure(catalog, kpi))
    if {"renewable_share", "total_cost_usd_per_year"} <= set(done.columns):
        figures.append(plane_figure(catalog))
    figures.append(capacity_figure(catalog))
    parts = [
        fig.to_html(include_plotlyjs=False, full_html=False, config=PLOTLY_CONFIG, default_width="100%")
        for fig in figures
    ]
    failed = int((catalog["status"] == "failed").sum())
    summary = f"{len(catalog)} cases: {len(done)} done, {failed} failed"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="generator" content="greenzone sweep-report">'
        f"<title>{html.escape(title)}</title><script>{plotly_js()}</script>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:90%}"
        "td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(summary)}</p>"
        + "".join(parts)
        + "<h2>Cases</h2>"
        + _table(catalog, set(reports))
        + "</body></html>"
    )


def write_sweep_report(out: str | Path) -> Path:
    """Write ``out/report.html`` from ``out/catalog.parquet`` (atomically); returns its path."""
    from greenzone.output import write_text
    from greenzone.sweep.catalog import read_catalog

    out = Path(out)
    catalog = read_catalog(out)
    reports = {r for r in catalog["result"] if r and (out / r / "report.html").is_file()}
    page = render_sweep_report(catalog, title=f"Sweep {out.name}", reports=reports)
    return write_text(page, out / "report.html")
