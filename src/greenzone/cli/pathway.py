"""``greenzone pathway``: what to build in which investment period (perfect foresight or myopic)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from greenzone.cli.common import (
    MethodOpt,
    OutOpt,
    Progress,
    SeedOpt,
    Settings,
    SourceOpt,
    TimeLimitOpt,
    WeatherFileOpt,
    ZoneArg,
    app,
    console,
    output_folder,
    zone_and_inputs,
)

DEFAULT_TYPICAL_DAYS = 8
"""Typical days per period unless --hourly or --typical-days says otherwise."""


@app.command("pathway")
def pathway_command(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/pathway"),
    myopic: Annotated[
        bool,
        typer.Option(
            "--myopic", help="plan period by period, each seeing only itself (default: perfect foresight)"
        ),
    ] = False,
    stochastic: Annotated[
        bool,
        typer.Option(
            "--stochastic",
            help="plan the zone's clearance scenarios two-stage: the first period once for all, later periods "
            "per scenario; reports VSS and EVPI",
        ),
    ] = False,
    typical_days: Annotated[
        int, typer.Option("--typical-days", min=3, help="typical days per period, storage linked")
    ] = DEFAULT_TYPICAL_DAYS,
    hourly: Annotated[bool, typer.Option("--hourly", help="plan every hour of every period (slow)")] = False,
    hours: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--hours", min=24, help="plan each period on the first N hours only, annualised (a quick look)"
        ),
    ] = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
    method: MethodOpt = "ipm",
    time_limit: TimeLimitOpt = None,
) -> None:
    """Plan the zone's pathway (its pathway.periods): capacity, new build and retirement by period.

    Writes OUT/pathway.nc (by period × node × technology; cost, emissions, land used against land cleared),
    OUT/kpis.json (per period and for the whole path), OUT/report.html (what to build when) and zone.yaml,
    through a temporary folder that replaces OUT only when everything is written. A zone without a pathway
    section is planned as one period, its year. With --stochastic, pathway.nc has a scenario dimension and
    kpis.json the expected cost, VSS and EVPI.
    """
    from greenzone.optimize.solve import SolverOptions
    from greenzone.output import write_netcdf, write_text
    from greenzone.planning.pathway import (
        first_hours,
        pathway,
        pathway_profiles,
        pathway_weather,
        weather_title,
    )
    from greenzone.planning.pathway_output import pathway_kpis
    from greenzone.report.pathway_page import write_pathway_report

    if myopic and stochastic:
        raise typer.BadParameter("--myopic and --stochastic exclude each other; give one")
    zone_path, z, inputs = zone_and_inputs(zone)
    if z.pathway is None:
        console.print(
            f"[yellow]{escape(zone_path.name)} has no pathway section: planned as one period ({z.year})[/yellow]"
        )
    options = SolverOptions(method=method, time_limit_s=time_limit, log_to_console=Settings.verbose)
    with (
        Progress() as progress,
        output_folder(out, [*inputs, ("the weather file", weather_file)], zone=z) as folder,
    ):
        progress.stage("weather", f"making the weather of {zone_path.name}")
        by_period = first_hours(pathway_weather(z, source=weather, path=weather_file, seed=seed), hours)
        w = next(iter(by_period.values()))
        if int(w.attrs.get("synthetic", 0)):
            console.print(f"[yellow]{escape(weather_title(by_period) or 'SYNTHETIC weather')}[/yellow]")
        progress.stage("profiles", "capacity factors, inflows and each period's demand")
        profiles = pathway_profiles(z, by_period)
        days = None if hourly or hours is not None else typical_days
        mode = "myopic" if myopic else "stochastic" if stochastic else "perfect foresight"
        progress.stage("build", f"building the pathway LP ({mode}, {len(profiles)} period(s))")
        on_solve = lambda _model: progress.stage("solve", f"HiGHS {method}")  # noqa: E731
        result = pathway(
            z,
            profiles,
            myopic=myopic,
            stochastic=stochastic,
            typical_days=days,
            options=options,
            on_solve=on_solve,
        )
        result.attrs["synthetic"] = int(w.attrs.get("synthetic", 0))
        result.attrs["weather_title"] = weather_title(by_period)
        figures = pathway_kpis(result)
        progress.stage("report", "key figures and report.html")
        write_netcdf(result, folder / "pathway.nc")
        write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
        shutil.copyfile(zone_path, folder / "zone.yaml")
        write_pathway_report(folder, zone=z)
    _print_path(figures)
    console.print(f"report: [bold]{out.resolve() / 'report.html'}[/bold]")


def _print_path(figures: dict) -> None:
    """One line per period: new capacity and cost (per scenario, and VSS and EVPI, when stochastic)."""
    if "scenarios" in figures:
        for name, each in figures["scenarios"].items():
            console.print(f"[bold]scenario {escape(name)}[/bold] (p = {each['path']['probability']:g})")
            _print_periods(each)
        path = figures["path"]
        console.print(
            f"expected cost {path['expected_cost_discounted_usd'] / 1e6:,.1f} MUSD discounted; "
            f"VSS {_musd(path['vss_usd'])}, EVPI {_musd(path['evpi_usd'])}"
        )
        return
    _print_periods(figures)
    path = figures["path"]
    console.print(
        f"whole path ({path['mode']}): {path['total_cost_discounted_usd'] / 1e6:,.1f} MUSD discounted"
    )


def _musd(value: float | None) -> str:
    return (
        "unbounded (the mean-value first period fails a scenario)"
        if value is None
        else f"{value / 1e6:,.2f} MUSD"
    )


def _print_periods(figures: dict) -> None:
    for row in figures["periods"]:
        built = (
            ", ".join(f"{t} {mw:,.0f}" for t, mw in row["new_capacity_mw"].items() if mw > 0.5) or "nothing"
        )
        console.print(f"{row['period']}: builds {built} MW; {row['cost_usd_per_year'] / 1e6:,.1f} MUSD/yr")
