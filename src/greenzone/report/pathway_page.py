"""The pathway's page: :func:`write_pathway_report` reads a folder ``greenzone pathway`` wrote (``pathway.nc``,
``kpis.json``) and writes ``report.html`` beside them, from the figures and sentences of
:mod:`greenzone.report.pathway`; a stochastic pathway's scenarios side by side (:func:`scenario_context`).
plotly's JavaScript is inlined once; the page makes no request of any kind.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import xarray as xr

from greenzone.report.html import PLOTLY_CONFIG, ReportError, plotly_js, read_dataset, templates
from greenzone.report.pathway import ALL_FIGURES, CAPTIONS, limit_rows, what_to_build_when
from greenzone.safe_read import read_json_object

if TYPE_CHECKING:
    from greenzone.zone import Zone


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


def pathway_page(
    ds: xr.Dataset, figures: dict[str, Any], zone: Zone | None = None, *, plotly_src: str | None = None
) -> str:
    """The pathway's page as one HTML string: ``ds`` a Pathway dataset, ``figures`` its key figures
    (:func:`greenzone.planning.pathway_output.pathway_kpis`), ``zone`` (optional) for names. A stochastic pathway (a
    ``scenario`` dimension) shows its scenarios side by side (:func:`scenario_context`). ``plotly_src`` loads
    plotly.js from that (relative) address instead of inlining it (a sweep's cases share one copy)."""
    from greenzone import __version__

    env = templates()
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
        plotly_js="" if plotly_src else plotly_js(),
        plotly_src=plotly_src,
    )


def read_pathway(folder: Path) -> xr.Dataset:
    """``folder/pathway.nc``, loaded; refused with the fix when missing or unreadable."""
    return read_dataset(
        folder / "pathway.nc",
        "a pathway (run greenzone pathway again)",
        "give the folder a 'greenzone pathway' wrote (it holds pathway.nc, kpis.json)",
    )


def write_pathway_report(
    folder: str | Path, *, out: str | Path | None = None, zone: Zone | None = None
) -> Path:
    """Write the pathway page of ``folder`` (``pathway.nc``, ``kpis.json`` as ``greenzone pathway`` writes
    them) to ``out`` (default ``folder/report.html``), atomically. Returns its path."""
    from greenzone.output import check_output_file, write_text
    from greenzone.planning.pathway_output import pathway_kpis

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


__all__ = ["pathway_page", "period_rows", "read_pathway", "scenario_context", "write_pathway_report"]
