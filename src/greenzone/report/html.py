"""The report: one self-contained HTML file a planner opens offline (from an email attachment, say).

:func:`write_report` reads a run folder (``plan.nc``, ``kpis.json``, ``zone.yaml``, as ``greenzone run`` writes
them) and writes ``report.html`` atomically: KPI cards, the figures of :mod:`greenzone.report.figures` with a
plain-language caption each, the inputs and assumptions with their sources, and the run's details; with an
operation (``greenzone operate``), an Operation section (:mod:`greenzone.report.operation`). plotly's
JavaScript is inlined once; the file makes no request of any kind, so it opens without a network.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from greenzone.errors import GreenzoneError
from greenzone.report import figures as report_figures
from greenzone.report.adequacy import adequacy_section, read_adequacy_folder
from greenzone.report.inputs import inputs
from greenzone.report.operation import operation_section, read_operation
from greenzone.report.why import why_section
from greenzone.safe_read import read_json_object
from greenzone.zone import Zone

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"scale": 2}}
"""plotly.js options of every figure: no link to plotly's site, PNG export at twice the screen size."""


class ReportError(GreenzoneError):
    """The run folder lacks a file the report needs, or holds one that cannot be read (exit code 2)."""

    exit_code = 2


RERUN = "run the command that wrote the folder again (greenzone run, operate or adequacy)."
"""The fix for a result file that cannot be read."""


CAPTIONS = {
    "map": (
        "Where things are",
        "Each circle is a node of the zone: its area grows with the capacity installed there (generation and "
        "storage), its colour is its largest technology. Lines are transmission links, thicker for more "
        "transfer capacity; orange lines are the ones the plan reinforces. The black diamond marks the "
        "connection to the national grid. Hover over a circle or a line for its figures.",
    ),
    "capacity": (
        "What is installed, and what the plan adds",
        "Generating capacity at each node in megawatts (MW). Solid bars are plants in service or under "
        "construction before the plan; hatched bars are what the least-cost plan adds. The number above each "
        "bar is the node's total.",
    ),
    "storage": (
        "Storage",
        "Left: how much power each storage can deliver (MW); right: how much energy it holds when full "
        "(MWh). Energy divided by power is the number of hours it can discharge at full power. Hatched bars "
        "are new. Hydro reservoirs are shown with generation above.",
    ),
    "balance": (
        "Where the electricity comes from, and where it goes",
        "Left: the year in gigawatt-hours (GWh): the 'supply' bar (generation by technology, storage "
        "discharge, imports, demand left unserved) equals the 'use' bar (demand, storage charging, exports, "
        "line losses). Right: the same month by month; bars below zero are energy stored, exported or lost "
        "in lines, and the black line is demand.",
    ),
    "dispatch": (
        "Hour by hour in the weeks that matter",
        "Use the buttons to switch between the hardest weeks of the year: those where demand is least "
        "covered by sun, wind and river (highest 'net load') and those where most renewable output is thrown "
        "away (highest curtailment), in winter and in summer. Top: production stacked above zero, charging "
        "and exports below it, demand as a black line. Middle: how full each storage is. Bottom: the price "
        "of electricity, the cost of supplying one more MWh at that hour (click a node in the legend to show "
        "its own price).",
    ),
    "duration": (
        "How often demand and prices are high",
        "Each curve sorts the hours of a year from the highest value to the lowest: read along the horizontal "
        "axis how many hours a year the value is reached or exceeded. Net load is demand minus what sun, wind "
        "and rivers could supply; where it is above zero, storage, reservoirs, dispatchable plants or imports "
        "must cover it, where it is below zero there is surplus to store, export or curtail.",
    ),
    "cost": (
        "What the system costs each year",
        "The yearly cost in million US dollars: investment in new plants spread over their lifetime at the "
        "discount rate (an annuity), fixed operation and maintenance of all plants, fuel and other variable "
        "costs, the net cost of trading with the national grid (negative when exports earn more than imports "
        "cost) and, if any, demand left unserved valued at the value of lost load.",
    ),
}


# ----------------------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _money(usd: float) -> str:
    if abs(usd) >= 1e9:
        return f"{usd / 1e9:,.2f} billion"
    if abs(usd) >= 1e6:
        return f"{usd / 1e6:,.1f} million"
    return f"{usd:,.0f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def _energy(mwh: float) -> str:
    if abs(mwh) >= 1e5:
        return f"{mwh / 1e3:,.0f} GWh/yr"
    if abs(mwh) >= 1e3:
        return f"{mwh / 1e3:,.1f} GWh/yr"
    return f"{mwh:,.1f} MWh/yr"


def kpi_cards(figures: dict[str, Any], zone: Zone | None = None) -> list[dict[str, str]]:
    """The KPI cards: title, value, unit and a short explanation each, from :func:`greenzone.kpi.kpis`."""
    demand = figures.get("demand_mwh", float("nan"))
    unserved = figures.get("unserved_energy_mwh", 0.0)
    target = zone.policy.renewable_share_min if zone is not None else None
    co2 = figures.get("co2_t", 0.0)
    land = figures.get("land_used_km2")
    usable = None
    if zone is not None:
        usable = sum(n.usable_land_km2.at(zone.year) for n in zone.nodes if n.usable_land_km2 is not None)
    cards = [
        {
            "title": "Total cost",
            "value": _money(figures["total_cost_usd_per_year"]),
            "unit": "USD per year",
            "note": "investment annuities, operation, fuel and grid trade"
            + (
                "; negative: exports earn more than the system costs"
                if figures["total_cost_usd_per_year"] < 0
                else ""
            ),
        },
        {
            "title": "Cost of electricity",
            "value": _num(figures["lcoe_usd_per_mwh"], 1),
            "unit": "USD/MWh generated",
            "note": "levelised cost of the zone's own supply: investment annuities (plants in service at their "
            "replacement cost), O&M and fuel of its generation and storage per MWh it generates; trade not counted",
        },
        {
            "title": "Net cost with trade",
            "value": _num(figures.get("net_cost_usd_per_mwh", float("nan")), 1),
            "unit": "USD/MWh of demand",
            "note": "system cost − export revenue + import cost, per MWh of local demand served"
            + (
                f"; export revenue {_money(figures['export_revenue_usd_per_year'])} and import cost "
                f"{_money(figures['import_cost_usd_per_year'])} USD/yr"
                if "export_revenue_usd_per_year" in figures
                else ""
            )
            + (
                "; negative: exports earn more than the zone's plants and lines cost"
                if figures.get("net_cost_usd_per_mwh", 0) < 0
                else ""
            ),
        },
        {
            "title": "Renewable share",
            "value": _share(figures["renewable_share"]),
            "unit": "of demand served",
            "note": f"target: at least {_share(target)}" if target is not None else "no target set",
        },
        {
            "title": "Unserved energy",
            "value": _energy(unserved),
            "unit": "",
            "note": f"{_share(unserved / demand) if demand else 'n/a'} of demand ({_energy(demand)})",
            "alert": "yes" if demand and unserved / demand > 1e-4 else "",
        },
        {
            "title": "Curtailment",
            "value": _share(figures["curtailment_share"]),
            "unit": "of solar, wind and river output",
            "note": "available renewable energy not used",
        },
        {
            "title": "CO2 emissions",
            "value": _num(co2 / 1e3, 1) if co2 >= 1e4 else _num(co2),
            "unit": "kt CO2 per year" if co2 >= 1e4 else "t CO2 per year",
            "note": "gas turbine and imported electricity",
        },
        {
            "title": "Imports / exports",
            "value": f"{_num(figures['grid_import_mwh'] / 1e3)} / {_num(figures['grid_export_mwh'] / 1e3)}",
            "unit": "GWh per year",
            "note": "with the national grid",
        },
        {
            "title": "Land used",
            "value": _num(land, 1) if land is not None else "n/a",
            "unit": "km²",
            "note": f"of {_num(usable, 0)} km² usable in {zone.year}" if usable else "by all plants",
        },
    ]
    if "investment_usd" in figures:
        cards.append(
            {
                "title": "New investment",
                "value": _money(figures["investment_usd"]),
                "unit": "USD, overnight",
                "note": "capital cost of all new capacity and lines",
            }
        )
    cards.append(
        {
            "title": "Peak demand",
            "value": _num(figures.get("peak_demand_mw"), 0),
            "unit": "MW",
            "note": f"demand {_energy(demand)}",
        }
    )
    for card in cards:
        card.setdefault("alert", "")
    return cards


# ----------------------------------------------------------------------------------------------------------
# Run details
# ----------------------------------------------------------------------------------------------------------


def _typical_days(attrs: dict) -> list[tuple[str, str]]:
    """Rows on the typical days a plan was solved on, if it was (see :mod:`greenzone.planning.year`)."""
    if not attrs.get("typical_days"):
        return []
    dates = str(attrs.get("typical_days_dates", "")).replace(",", ", ")
    rows = [
        (
            "typical days",
            f"{int(attrs['typical_days'])} representative days stand for the year: every day of the year shows "
            f"the hourly values of its representative day"
            + (
                ", storage levels linked across the year" if int(attrs.get("typical_days_linking", 0)) else ""
            ),
        )
    ]
    if dates:
        rows.append(("representative days", dates))
    for key, value in attrs.items():
        if key.startswith("typical_days_") and key not in ("typical_days_dates", "typical_days_linking"):
            rows.append((key.removeprefix("typical_days_").replace("_", " "), str(value)))
    return rows


def _hourly_check(figures: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The row of ``greenzone run --check`` (the aggregated plan dispatched hour by hour), when it was run."""
    if not figures or figures.get("aggregation_cost_error") is None:
        return []
    limits = []
    if figures.get("aggregation_check_renewable_share_min") is not None:
        limits.append(
            f"renewable share {figures['aggregation_check_renewable_share']:.1%} (at least "
            f"{figures['aggregation_check_renewable_share_min']:.1%})"
        )
    if figures.get("aggregation_check_co2_cap_t") is not None:
        limits.append(
            f"CO2 {figures['aggregation_check_co2_t']:,.0f} t/yr (cap {figures['aggregation_check_co2_cap_t']:,.0f})"
        )
    excess = {k: v for k, v in figures.items() if k.startswith("aggregation_limit_excess_") and v > 1e-6}
    if excess:
        limits.append(
            "exceeded: "
            + ", ".join(
                f"{k.removeprefix('aggregation_limit_excess_')} by {v:,.1f}" for k, v in excess.items()
            )
        )
    return [
        (
            "hourly check of this plan",
            f"its fleet dispatched over every hour costs {figures['aggregation_cost_error']:+.2%} against the "
            f"typical-day result, leaves {figures['aggregation_unserved_mwh']:,.1f} MWh/yr unserved "
            f"({figures['aggregation_unserved_difference_mwh']:+,.1f} MWh/yr) and curtails "
            f"{figures['aggregation_curtailment_difference_mwh']:+,.0f} MWh/yr more"
            + (f"; {'; '.join(limits)}" if limits else "")
            + f"; {figures.get('aggregation_check_method', '')}"
            + (
                f"; reference: {figures['aggregation_check_reference']}"
                if figures.get("aggregation_check_reference")
                else ""
            ),
        )
    ]


def run_details(plan: xr.Dataset, figures: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Solver, timing, problem size and time resolution of the plan (and its hourly check, when ``figures``
    hold one), as (label, text) rows."""
    a = plan.attrs
    steps = int(plan.sizes["time"])
    weight = plan["weight"].values
    covered = float(weight.sum())
    times = report_figures.local_times(plan)
    resolution = str(a.get("time_resolution", "hourly"))
    if np.allclose(weight, 1.0):
        resolution += f", {steps:,} hourly steps"
    else:
        resolution += f", {steps:,} steps standing for {covered:,.0f} hours"
    return [
        ("time resolution", resolution),
        (
            "horizon",
            f"{times[0]:%d %b %Y %H:%M} to {times[-1]:%d %b %Y %H:%M} local time ({a.get('timezone', 'UTC')}); "
            f"annual figures scale the horizon by {float(a.get('alpha', 1.0)):,.3f}",
        ),
        (
            "solver",
            f"{a.get('solver', '')} {a.get('solver_version', '')}, method {a.get('solver_method', '')}"
            + (f" ({str(a['solver_interior_point']).upper()})" if a.get("solver_interior_point") else "")
            + f", status {a.get('solver_status', '')}",
        ),
        (
            "solve time",
            f"{float(a.get('solver_time_s', float('nan'))):,.1f} s, {int(a.get('solver_iterations', 0)):,} iterations",
        ),
        (
            "problem size",
            f"{int(a.get('num_variables', 0)):,} variables, {int(a.get('num_constraints', 0)):,} constraints",
        ),
        *_typical_days(a),
        *_hourly_check(figures),
        ("weather", str(a.get("weather_title", "")) or "not recorded"),
        ("zone fingerprint", str(a.get("zone_fingerprint", ""))),
        ("time convention of the data files", str(a.get("time_convention", ""))),
    ]


# ----------------------------------------------------------------------------------------------------------
# Assembly
# ----------------------------------------------------------------------------------------------------------


def templates() -> Environment:
    """The Jinja environment of every greenzone page (templates/, HTML autoescaped, undefined names refused)."""
    return Environment(
        loader=PackageLoader("greenzone.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def read_dataset(path: Path, what: str, fix: str) -> xr.Dataset:
    """The netCDF file ``path``, loaded; a ReportError naming it, ``what`` it should be and ``fix`` when it is
    missing or unreadable."""
    if not path.is_file():
        raise ReportError(f"{path} not found: {fix}")
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path} cannot be read as {what}: {exc}") from None


def plotly_js() -> str:
    """The minified plotly.js shipped with the plotly package, to inline once in the report."""
    return resources.files("plotly").joinpath("package_data/plotly.min.js").read_text("utf-8")


def _figure_html(name: str, fig) -> str:
    return fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id=f"fig-{name}",
        config=PLOTLY_CONFIG,
        default_width="100%",
        default_height=f"{fig.layout.height or 450}px",
    )


def render_report(
    plan: xr.Dataset,
    figures: dict[str, Any],
    zone: Zone | None = None,
    *,
    notes: list[str] | None = None,
    operation: tuple[xr.Dataset, dict[str, Any]] | None = None,
    adequacy: tuple[dict[str, Any], xr.Dataset | None] | None = None,
    plotly_src: str | None = None,
) -> str:
    """The report as one HTML string: ``plan`` (a Plan dataset), its key figures (:func:`greenzone.kpi.kpis`)
    and, when available, its zone (names, plant data, inputs and sources). ``notes`` are shown near the top.
    ``operation`` (an Operation dataset and its key figures, see :mod:`greenzone.report.operation`) adds the
    Operation section; ``adequacy`` (the figures of ``adequacy.json`` and the shortfall of ``adequacy.nc``,
    see :mod:`greenzone.report.adequacy`) the Adequacy section. ``plotly_src`` loads plotly.js from that
    (relative) address instead of inlining it: for many reports beside one shared copy, as a sweep's cases."""
    env = templates()
    sections = []
    for name, make in report_figures.ALL_FIGURES.items():
        heading, caption = CAPTIONS[name]
        sections.append(
            {
                "name": name,
                "heading": heading,
                "caption": caption,
                "html": _figure_html(name, make(plan, zone)),
            }
        )
    weight = plan["weight"].values
    covered = float(weight.sum())
    short = covered < 8760 - 1e-6 and np.allclose(weight, 1.0)
    from greenzone import __version__

    context = {
        "title": str(plan.attrs.get("zone", "greenzone plan")),
        "year": int(plan.attrs.get("year", 0)),
        "generated": datetime.now(timezone.utc).strftime("%d %b %Y %H:%M UTC"),
        "version": __version__,
        "synthetic": bool(int(plan.attrs.get("synthetic", 0))),
        "weather_title": str(plan.attrs.get("weather_title", "")),
        "short_horizon": short,
        "hours": covered,
        "days": covered / 24,
        "alpha": float(plan.attrs.get("alpha", 1.0)),
        "cards": kpi_cards(figures, zone),
        "why": why_section(figures.get("why")),
        "sections": sections,
        "inputs": inputs(zone) if zone is not None else None,
        "run": run_details(plan, figures),
        "notes": notes or [],
        "operation": (
            operation_section(plan, operation[0], operation[1], zone, _figure_html)
            if operation is not None
            else None
        ),
        "adequacy": (
            adequacy_section(
                adequacy[0],
                adequacy[1],
                zone.timezone if zone else str(plan.attrs.get("timezone", "UTC")),
                _figure_html,
            )
            if adequacy is not None
            else None
        ),
        "plotly_js": "" if plotly_src else plotly_js(),
        "plotly_src": plotly_src,
    }
    return env.get_template("report.html").render(**context)


def _read_plan(plan_dir: Path) -> xr.Dataset:
    return read_dataset(
        plan_dir / "plan.nc",
        "a plan",
        "give the folder a 'greenzone run' wrote (it holds plan.nc, kpis.json, zone.yaml)",
    )


def write_report(
    plan_dir: str | Path,
    *,
    out: str | Path | None = None,
    zone: Zone | None = None,
    operation: str | Path | None = None,
    adequacy: str | Path | None = None,
) -> Path:
    """Write the report of the run folder ``plan_dir`` to ``out`` (default ``plan_dir/report.html``).

        ``operation`` is a folder ``greenzone operate`` wrote (``operation.nc``, ``kpis.json``); by default
        ``plan_dir`` itself when it holds an ``operation.nc``. With one, the report gains an Operation section.
    ``adequacy`` is a folder ``greenzone adequacy`` wrote (``adequacy.json``, ``adequacy.nc``); with it, or when
    ``plan_dir`` holds an ``adequacy.json``, the report gains an Adequacy section.

        Reads ``plan.nc``, then ``kpis.json`` (recomputed when missing) and ``zone.yaml`` (unless ``zone`` is
        given; when it cannot be loaded, e.g. because files it refers to are not in the folder, the report says
        so and leaves out the inputs). The file is written atomically. Returns its path.

        Raises
        ------
        ReportError
            when ``plan_dir`` holds no readable ``plan.nc``.
        OutputError
            when ``out`` is a file of the run folder, a folder, or an existing file that is not a greenzone report
            (the output policy of :mod:`greenzone.output`).
    """
    from greenzone.kpi import kpis
    from greenzone.output import check_output_file, write_text

    plan_dir = Path(plan_dir)
    target = Path(out) if out is not None else plan_dir / "report.html"
    if out is not None:
        read = [(f"the run folder's {p.name}", p) for p in plan_dir.glob("*") if p.name != "report.html"]
        check_output_file(target, read)
    plan = _read_plan(plan_dir)
    notes = []
    if zone is None and (plan_dir / "zone.yaml").is_file():
        from greenzone.zone import load_zone

        try:
            zone = load_zone(plan_dir / "zone.yaml")
        except GreenzoneError as exc:
            notes.append(f"The zone file of this run could not be read, so inputs are not shown: {exc}")
    elif zone is None:
        notes.append("No zone.yaml in the run folder: inputs and sources are not shown.")
    if zone is not None:
        from greenzone.zone.fingerprint import zone_fingerprint

        if plan.attrs.get("zone_fingerprint") and zone_fingerprint(zone) != plan.attrs["zone_fingerprint"]:
            notes.append(
                "The zone file in this folder does not match the fingerprint recorded in the plan: it, a file it "
                "reads, or greenzone's zone format changed since the plan was made. The inputs shown may differ "
                "from those of the plan."
            )
    kpi_path = plan_dir / "kpis.json"
    if kpi_path.is_file():
        figures = read_json_object(kpi_path, what="key-figures file", error=ReportError, fix=RERUN)
    else:
        figures = kpis(plan, zone)
    op_dir = Path(operation) if operation is not None else plan_dir
    operated = read_operation(op_dir)
    if operated is None and operation is not None:
        raise ReportError(f"{op_dir / 'operation.nc'} not found: give the folder a 'greenzone operate' wrote")
    ad_dir = Path(adequacy) if adequacy is not None else plan_dir
    assessed = read_adequacy_folder(ad_dir)
    if assessed is None and adequacy is not None:
        raise ReportError(
            f"{ad_dir / 'adequacy.json'} not found: give the folder a 'greenzone adequacy' wrote"
        )
    html = render_report(plan, figures, zone, notes=notes, operation=operated, adequacy=assessed)
    return write_text(html, target)


__all__ = [
    "CAPTIONS",
    "ReportError",
    "inputs",
    "kpi_cards",
    "plotly_js",
    "render_report",
    "run_details",
    "write_report",
]
