"""``greenzone validate``, ``profiles`` and ``run``: a zone file checked, turned into profiles, planned."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from greenzone.cli.common import (
    HoursOpt,
    MethodOpt,
    OutOpt,
    Progress,
    SeedOpt,
    Settings,
    SourceOpt,
    TimeLimitOpt,
    WeatherFileOpt,
    YearsOpt,
    ZoneArg,
    app,
    console,
    output_folder,
    zone_and_inputs,
)

log = logging.getLogger("greenzone")


@app.command()
def validate(zone: Annotated[Path, typer.Argument(help="zone YAML file")]) -> None:
    """Check a zone file; print a summary, or every problem with its field and exit 2."""
    from greenzone.zone import load_zone

    z = load_zone(zone)
    n_links = len(z.links)
    console.print(
        f"[green]ok[/green] {zone}: '{z.name}', {len(z.nodes)} nodes, {len(z.technologies)} technologies, "
        f"{n_links} links, grid {'at ' + z.grid.node if z.grid else 'none'}"
    )


def _profiles(progress: Progress, zone_path, zone, weather, weather_file, years, seed):
    """Weather and profiles of a loaded zone, each a stage."""
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    progress.stage("weather", f"making the weather of {zone_path.name}")
    w = load_weather(zone, source=weather, path=weather_file, years=years, seed=seed)
    if int(w.attrs.get("synthetic", 0)):
        console.print(f"[yellow]{escape(str(w.attrs.get('title', 'SYNTHETIC weather')))}[/yellow]")
    progress.stage("profiles", "converting weather to capacity factors, inflows and demand")
    return w, profiles(zone, w)


def _print_summary(p) -> None:
    from greenzone.resources import summary

    table = Table(title="Capacity factors" + (" (SYNTHETIC weather)" if p.attrs.get("synthetic") else ""))
    for column in ("node", "technology", "capacity factor [-]", "full-load hours [h/yr]", "inflow [MW]"):
        table.add_column(escape(column), justify="left" if column in ("node", "technology") else "right")
    for (node, tech), row in summary(p).iterrows():
        inflow = f"{row['mean_inflow_mw']:.1f}" if row["mean_inflow_mw"] > 0 else ""
        table.add_row(node, tech, f"{row['capacity_factor']:.3f}", f"{row['full_load_hours']:.0f}", inflow)
    console.print(table)
    demand = p["demand"]
    hours = demand.sizes["time"]
    console.print(
        f"demand: {float(demand.sum()) / hours * 8760 / 1e3:,.0f} GWh/yr, peak {float(demand.sum('node').max()):,.0f} MW "
        f"over {hours:,} hours"
    )


def _write_profiles(folder: Path, zone_path: Path, w, p) -> None:
    from greenzone.output import write_netcdf

    write_netcdf(p, folder / "profiles.nc")
    write_netcdf(w, folder / "weather.nc")
    shutil.copyfile(zone_path, folder / "zone.yaml")


@app.command("profiles")
def profiles_command(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/profiles"),
    weather_years: YearsOpt = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
) -> None:
    """Make hourly capacity factors, inflows and demand; write OUT/profiles.nc and print a summary."""
    zone_path, z, inputs = zone_and_inputs(zone)
    with (
        Progress() as progress,
        output_folder(out, [*inputs, ("the weather file", weather_file)], zone=z) as folder,
    ):
        w, p = _profiles(progress, zone_path, z, weather, weather_file, weather_years, seed)
        progress.stage("write", f"writing {out}")
        _write_profiles(folder, zone_path, w, p)
    _print_summary(p)
    console.print(f"wrote {out / 'profiles.nc'}")


def _print_kpis(figures: dict) -> None:
    table = Table(title="Key figures" + (" (SYNTHETIC weather)" if figures.get("synthetic_weather") else ""))
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("total cost [USD/yr]", f"{figures['total_cost_usd_per_year']:,.0f}"),
        ("LCOE of own supply [USD/MWh generated]", f"{figures['lcoe_usd_per_mwh']:,.1f}"),
        (
            "net cost with trade [USD/MWh of demand]",
            f"{figures.get('net_cost_usd_per_mwh', float('nan')):,.1f}",
        ),
        ("renewable share [-]", f"{figures['renewable_share']:.3f}"),
        ("demand [MWh/yr]", f"{figures['demand_mwh']:,.0f}"),
        ("unserved energy [MWh/yr]", f"{figures['unserved_energy_mwh']:,.1f}"),
        ("curtailment share [-]", f"{figures['curtailment_share']:.3f}"),
        ("CO2 [t/yr]", f"{figures['co2_t']:,.0f}"),
        (
            "grid import / export [MWh/yr]",
            f"{figures['grid_import_mwh']:,.0f} / {figures['grid_export_mwh']:,.0f}",
        ),
        ("land used [km^2]", f"{figures.get('land_used_km2', float('nan')):,.1f}"),
        ("investment [USD]", f"{figures.get('investment_usd', float('nan')):,.0f}"),
        ("solver", f"{figures['solver']} {figures['solver_method']}, {figures['solver_time_s']:.1f} s"),
        ("time resolution", f"{figures['time_resolution']}, {figures['hours']:,} steps"),
    ]
    for name, value in rows:
        table.add_row(escape(name), value)
    for tech, mw in figures["capacity_mw"].items():
        if mw > 0:
            table.add_row(escape(f"capacity {tech} [MW]"), f"{mw:,.1f}")
    for tech, mw in figures["storage_power_mw"].items():
        if mw > 0:
            table.add_row(
                f"storage {tech} [MW / MWh]", f"{mw:,.1f} / {figures['storage_energy_mwh'][tech]:,.0f}"
            )
    console.print(table)
    if figures.get("why"):
        console.print(escape(figures["why"]["summary"]))


DEFAULT_TYPICAL_DAYS = 16
"""Typical days of `greenzone run` by default: on the first calibration of the Karabakh zone -3.2% cost against the
true hourly optimum with the same fleet, 33x faster (docs/benchmarks.md); before the calibration +0.40% against
that fleet dispatched over every hour. The zone's present data are re-measured by benchmarks/aggregation_record.py
into data/aggregation_errors.yaml, which the report quotes. A full hourly year of the zone did not solve
within 15 minutes with IPX; with HiPO it takes 5 to 8.5 minutes on 2 cores, so typical days stay the default for
a quick answer."""


@app.command()
def run(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/karabakh"),
    weather_years: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--weather-years",
            min=1,
            help="plan over N synthetic weather years at once: one set of capacities for every year, costs and "
            "key figures per average year (a weather file is planned over all the years it holds)",
        ),
    ] = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
    method: MethodOpt = "ipm",
    time_limit: TimeLimitOpt = None,
    hours: HoursOpt = None,
    typical_days: Annotated[
        int,
        typer.Option(
            "--typical-days",
            min=3,
            help="plan on N typical days with storage linked across the year (default 16: -3.2% cost against "
            "the true hourly optimum of the Karabakh zone's first calibration, 33x faster than the hourly plan; "
            "the report quotes the error measured for the zone as it is, where recorded); "
            "see --hourly and --check",
        ),
    ] = DEFAULT_TYPICAL_DAYS,
    hourly: Annotated[
        bool,
        typer.Option(
            "--hourly",
            help="plan every hour instead of typical days (HiPO: 5 to 8.5 minutes for a full year of the Karabakh zone on 2 cores)",
        ),
    ] = False,
    decompose: Annotated[
        bool,
        typer.Option(
            "--decompose",
            help="with --hourly: plan every hour by temporal decomposition (regularised Benders, one "
            "subproblem per week and weather year on Dask, starting from the 16-typical-day plan), to --gap",
        ),
    ] = False,
    gap: Annotated[
        float,
        typer.Option("--gap", min=1e-9, max=0.5, help="with --decompose: relative gap at which to stop"),
    ] = 1e-3,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler",
            help="with --decompose: address of a running Dask scheduler (tcp://HOST:8786); default: a local "
            "cluster",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--workers", min=1, help="with --decompose: local worker processes (default one per core)"
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="dispatch the typical-day plan's fleet over every hour and report the aggregation's error "
            "(kpis.json aggregation_*, shown in the report)",
        ),
    ] = False,
    lole_max: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--lole-max",
            min=0,
            help="reliability-constrained planning: plan, assess adequacy over --adequacy-years weather years, "
            "add the worst stress days, re-plan until LOLE <= this [h/yr]",
        ),
    ] = None,
    reliability: Annotated[
        bool,
        typer.Option("--reliability", help="as --lole-max with the zone's policy.lole_target_h_per_year"),
    ] = False,
    adequacy_years: Annotated[
        int, typer.Option("--adequacy-years", min=1, help="weather years of the reliability loop's adequacy")
    ] = 10,
    outages: Annotated[
        bool, typer.Option("--outages", help="random forced outages in the reliability loop's adequacy")
    ] = False,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", min=1, help="most plans the reliability loop makes")
    ] = 5,
) -> None:
    """Run a zone: weather → profiles → least-cost plan → report.

    Writes OUT/plan.nc, kpis.json, report.html, profiles.nc, weather.nc and zone.yaml. They are written to a
    temporary folder beside OUT that replaces OUT only when everything is written: an interrupted or failed
    run leaves the previous results as they were. Several weather years (--weather-years, or a weather file
    that holds several) are planned as one horizon; plan.nc and kpis.json stay per average year.

    With --lole-max (or --reliability) the plan is made reliability-constrained: each iteration is logged,
    OUT/adequacy.json holds the last plan's adequacy and kpis.json the iterations.
    """
    from greenzone.optimize.solve import SolverOptions
    from greenzone.planning.year import plan

    decomposition = _decomposition(decompose, hourly, gap, scheduler, workers)
    zone_path, z, inputs = zone_and_inputs(zone)
    target = _reliability_target(z, lole_max, reliability)
    options = SolverOptions(method=method, time_limit_s=time_limit, log_to_console=Settings.verbose)
    with (
        Progress() as progress,
        output_folder(out, [*inputs, ("the weather file", weather_file)], zone=z) as folder,
    ):
        w, p = _profiles(progress, zone_path, z, weather, weather_file, weather_years, seed)
        p = _planning_horizon(p, w, weather_years, hours)
        _write_profiles(folder, zone_path, w, p)
        aggregate = not hourly and hours is None
        resolution = f"{typical_days} typical days" if aggregate else f"{p.sizes['time']:,} hours"
        progress.stage("build", f"building the linear program ({resolution})")
        days = typical_days if aggregate else None
        if decomposition is not None and target is None:
            progress.stage(
                "solve", "temporal decomposition: the 16-typical-day start, then weekly subproblems"
            )
            shown = lambda state: progress.update(state.line())  # noqa: E731
            result, extra = plan(z, p, options=options, decomposition=decomposition, on_progress=shown), {}
        elif target is None:
            on_solve = lambda _model: progress.stage("solve", f"HiGHS {method}")  # noqa: E731
            result, extra = plan(z, p, typical_days=days, options=options, on_solve=on_solve), {}
        else:
            reliable = _reliable_plan(
                progress,
                z,
                p,
                days,
                options,
                target,
                adequacy_years,
                outages,
                max_iterations,
                seed,
                decomposition,
            )
            result, extra = reliable.plan, _reliability_figures(reliable, target, folder)
        figures = _key_figures(progress, z, result, p, aggregate, check) | extra
        progress.stage("report", "key figures and report.html")
        _write_plan(folder, z, result, figures)
    _print_kpis(figures)
    log.info("wrote %s", out.resolve())
    console.print(f"wrote {out.resolve()}")
    console.print(f"report: [bold]{out.resolve() / 'report.html'}[/bold]")


def _decomposition(decompose: bool, hourly: bool, gap: float, scheduler: str | None, workers: int | None):
    """The --decompose options, checked; None without --decompose."""
    if not decompose:
        if scheduler is not None or workers is not None or gap != 1e-3:
            raise typer.BadParameter("--gap, --scheduler and --workers go with --hourly --decompose")
        return None
    if not hourly:
        raise typer.BadParameter("--decompose plans every hour: give it with --hourly")
    if scheduler is not None and workers is not None:
        raise typer.BadParameter(
            "--workers sizes the local cluster; with --scheduler the subproblems run on that scheduler's "
            "workers. Give one of them."
        )
    from greenzone.optimize.decompose import Decomposition

    return Decomposition(gap=gap, scheduler=scheduler, workers=workers)


def _planning_horizon(p, w, weather_years: int | None, hours: int | None):
    """The profiles to plan on: the first ``hours`` only when asked; several years said so."""
    from greenzone.errors import WeatherError

    if weather_years is not None and w.attrs.get("source") != "synthetic":
        raise WeatherError(
            f"--weather-years {weather_years} makes synthetic weather years, but the weather is "
            f"'{w.attrs.get('source')}' ({w.attrs.get('title', '')}); leave --weather-years out: a weather "
            "file is planned over all the years it holds."
        )
    if hours is not None:
        p = p.isel(time=slice(0, hours))
    if p.sizes["time"] > 8784:
        console.print(
            f"planning over {p.sizes['time'] / 8766:.3g} weather years ({p.sizes['time']:,} hours) as one "
            "horizon; costs and key figures per average year"
        )
    return p


def _key_figures(progress: Progress, z, result, p, aggregate: bool, check: bool) -> dict:
    """kpis.json of a plan, with why it is what it is (greenzone.explain) and the hourly check's figures when
    asked."""
    from greenzone.explain import explain
    from greenzone.kpi import kpis

    figures = kpis(result, z)
    figures["why"] = explain(result, p, z)
    if check:
        figures.update(_check(progress, z, result, p, aggregate))
    return figures


def _write_plan(folder: Path, z, result, figures: dict) -> None:
    """plan.nc, kpis.json and report.html into the staged run folder."""
    import json

    from greenzone.output import write_netcdf, write_text
    from greenzone.report import write_report

    write_netcdf(result, folder / "plan.nc")
    write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
    write_report(folder, zone=z)


def _reliability_target(z, lole_max: float | None, reliability: bool) -> float | None:
    """The LOLE target [h/yr] of reliability-constrained planning, None when it was not asked for."""
    if lole_max is None and not reliability:
        return None
    target = z.policy.lole_target_h_per_year if lole_max is None else lole_max
    if target is None:
        raise typer.BadParameter(
            "--reliability needs policy.lole_target_h_per_year in the zone, or --lole-max"
        )
    return target


def _reliability_figures(reliable, target: float, folder: Path) -> dict:
    """The reliability loop's figures for kpis.json; its last adequacy written into the run folder."""
    from greenzone.adequacy import write_adequacy

    write_adequacy(reliable.adequacy, folder)
    return {
        "reliability_target_h_per_year": target,
        "reliability_met": reliable.met,
        "reliability_stopped": reliable.stopped,
        "reliability_iterations": reliable.iterations,
    }


def _check(progress: Progress, z, result, p, aggregate: bool) -> dict:
    """The hourly check of a typical-day plan (``run --check``)."""
    from greenzone.planning.hourly_check import check_aggregation

    if not aggregate:
        console.print("--check: the plan is hourly already, so it is its own hourly check")
        return {}
    progress.stage("check", "dispatching the plan's fleet over every hour")
    figures, _ = check_aggregation(z, result, p)
    console.print(
        f"hourly check: cost {figures['aggregation_cost_error']:+.3%} against the typical-day result, "
        f"{figures['aggregation_unserved_mwh']:,.1f} MWh/yr unserved, renewable share "
        f"{figures['aggregation_check_renewable_share']:.1%}; reference: {figures['aggregation_check_reference']}"
    )
    if "aggregation_error_vs_hourly_optimum" in figures:
        console.print(
            f"typical days against the true hourly optimum: {figures['aggregation_error_vs_hourly_optimum']:+.2%}"
        )
    return figures


def _reliable_plan(
    progress, z, p, typical_days, options, target, years, outages, max_iterations, seed, decomposition=None
):
    """Reliability-constrained planning (``run --lole-max``), each iteration shown."""
    from greenzone.adequacy import synthetic_years
    from greenzone.planning.reliable import plan_reliable

    progress.stage(
        "reliability", f"plan and adequacy over {years} weather years until LOLE <= {target:g} h/yr"
    )

    def shown(record: dict) -> None:
        line = (
            f"iteration {record['iteration']}: LOLE {record['lole_h_per_year']:.2f} h/yr, EUE "
            f"{record['eue_mwh_per_year']:,.1f} MWh/yr, cost {record['cost_usd_per_year'] / 1e6:,.3f} MUSD/yr, "
            + (
                f"{len(record['stress_years'])} stress years"
                if "stress_years" in record
                else f"{len(record['stress_days'])} stress days"
            )
        )
        log.info("reliability %s", line)
        console.print(line)

    result = plan_reliable(
        z,
        p,
        synthetic_years(z, years, seed=seed),
        lole_max=target,
        outages=outages,
        typical_days=typical_days,
        max_iterations=max_iterations,
        on_iteration=shown,
        options=options,
        decomposition=decomposition,
    )
    console.print(
        ("[green]" if result.met else "[yellow]")
        + f"reliability: {result.stopped}"
        + ("[/green]" if result.met else "[/yellow]")
    )
    return result
