"""``greenzone adequacy``: the planned fleet dispatched over many weather years, with outages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from greenzone.cli.common import (
    OutOpt,
    PlanDirArg,
    Progress,
    SourceOpt,
    WeatherFileOpt,
    app,
    check_step,
    console,
    output_folder,
)

log = logging.getLogger("greenzone")


@app.command()
def adequacy(
    plan_dir: PlanDirArg,
    out: OutOpt = Path("out/adequacy"),
    weather_years: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--weather-years",
            min=1,
            help="weather years to dispatch the plan over (default 30 synthetic years, or every year of "
            "--weather-file)",
        ),
    ] = None,
    outages: Annotated[
        bool, typer.Option("--outages", help="draw random forced outages of units, links and grid circuits")
    ] = False,
    seed: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--seed", min=0, help="seed of the synthetic weather years (default the zone's)"),
    ] = None,
    outage_seed: Annotated[int, typer.Option("--outage-seed", min=0, help="seed of the outages")] = 0,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
    zone: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--zone", help="the zone file (default PLAN_DIR/zone.yaml); must be the plan's zone"),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--workers", min=1, help="processes (default one per CPU, at most one per year)"),
    ] = None,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler",
            help="address of a running Dask scheduler (tcp://HOST:8786): each year a task there instead of a "
            "local process",
        ),
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="hours per dispatch window")] = 48,
    step: Annotated[int, typer.Option("--step", min=1, help="hours committed per window")] = 24,
    guidance: Annotated[
        str,
        typer.Option(
            "--guidance",
            help="storage targets of each window: 'plan' (the plan's seasonal levels, the same strategy every "
            "year) or 'year' (each year's own optimum with the capacities fixed, on 16 typical days: slower)",
        ),
    ] = "plan",
) -> None:
    """Adequacy: dispatch the planned fleet over many weather years: OUT/adequacy.json, adequacy.nc, report.html.

    Each weather year (synthetic years of the zone's climatology, the first being the plan's own, or the
    whole years of --weather-file) is dispatched with the plan's capacities fixed, optionally with random
    forced outages, in parallel processes (Dask tasks with --scheduler). adequacy.json holds lole_h_per_year, eue_mwh_per_year, lolp, their
    spread, per-year values and the worst events with their causes; OUT/report.html is the plan's report
    with an Adequacy section.
    """
    from greenzone.adequacy import assess, write_adequacy, zone_years
    from greenzone.report import write_report
    from greenzone.runfolder import read_run

    check_step(step, horizon)
    if guidance not in ("plan", "year"):
        raise typer.BadParameter(f"--guidance must be 'plan' or 'year', got {guidance!r}")
    run = read_run(plan_dir, zone_file=zone)
    z, planned = run.zone, run.plan
    inputs = [*run.inputs(), ("the weather file", weather_file)]
    with Progress() as progress, output_folder(out, inputs, zone=z) as folder:
        if (weather or z.weather.source) != "synthetic" or weather_file is not None:
            progress.stage("weather", f"reading the {weather or z.weather.source} weather")
        years, label = zone_years(z, weather_years, seed=seed, source=weather, path=weather_file)
        progress.stage("dispatch", f"{label}{', with outages' if outages else ''}")

        def done(n: int, total: int) -> None:
            log.debug("adequacy: %d of %d years", n, total)
            if progress._status is not None:
                progress._status.update(f"[bold]dispatch[/bold]: {n} of {total} weather years done")

        result = assess(
            z,
            planned,
            years,
            outages=outages,
            seed=outage_seed,
            workers=workers,
            horizon=horizon,
            step=step,
            guidance=guidance,
            progress=done,
            scheduler=scheduler,
        )
        progress.stage("write", f"writing {out}")
        write_adequacy(result, folder)
        write_report(plan_dir, out=folder / "report.html", zone=z, adequacy=folder)
    s = result.summary
    table = Table(
        title=f"Adequacy over {s['weather_years']} weather years" + (" with outages" if outages else "")
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    spread = s["lole_spread"]
    for name, value in (
        ("LOLE [h/yr]", f"{s['lole_h_per_year']:,.2f} ± {spread['standard_error'] or 0:,.2f}"),
        ("LOLE worst year [h]", f"{spread['max']:,.0f}"),
        ("EUE [MWh/yr]", f"{s['eue_mwh_per_year']:,.1f}"),
        ("LOLP [-]", f"{s['lolp']:.2e}"),
        ("years with loss of load", f"{s['years_with_loss_of_load']} of {s['weather_years']}"),
        (
            "target [h/yr]",
            "none" if s["lole_target_h_per_year"] is None else f"{s['lole_target_h_per_year']:g}",
        ),
        ("time per year [s]", f"{s['year_time_s']:.1f}"),
        ("parallel efficiency", f"{s['parallel_efficiency']:.0%} on {s['workers']} processes"),
    ):
        table.add_row(escape(name), value)
    console.print(table)
    if s["meets_target"] is False:
        console.print(
            f"[yellow]LOLE {s['lole_h_per_year']:.2f} h/yr exceeds the target of "
            f"{s['lole_target_h_per_year']:g} h/yr[/yellow]"
        )
    console.print(f"wrote {out.resolve()}")
