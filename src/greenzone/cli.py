"""The ``greenzone`` command line. No logic of its own: it calls the Python API and prints.

Exit codes: 0 ok, 1 other error, 2 bad input (zone, weather, run folder, options), 3 infeasible, 4 solver
failure or time limit.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from greenzone.errors import GreenzoneError

METHODS = ("ipm", "ipm_no_crossover", "dual_simplex", "simplex", "primal_simplex", "pdlp", "choose")
"""HiGHS methods the CLI offers (greenzone.optimize.solve.METHODS; a test keeps them equal)."""

PYPSA_MISSING = "install the pypsa extra: pip install 'greenzone[pypsa]'"

app = typer.Typer(
    name="greenzone",
    help="Plan and operate a renewable green energy zone. Without a zone file, commands use the embedded "
    "Karabakh and East Zangezur zone.\n\n"
    "Global options (--quiet, --verbose, --log-file) go before the command: greenzone --quiet run.\n\n"
    "Exit codes: 0 ok; 1 other error; 2 bad input (zone file, weather, run folder, options); "
    "3 infeasible (the message says which limit cannot be met); 4 solver failure or time limit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)
log = logging.getLogger("greenzone")


class _Settings:
    """What the global options chose; read by the commands."""

    quiet = False
    verbose = False


@app.callback()
def _global_options(
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="print nothing but errors: no progress, no tables")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="log every step and show the solver's own log")
    ] = False,
    log_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--log-file", help="also write a detailed log (timestamps, stages, errors) to this file"
        ),
    ] = None,
) -> None:
    """Options for every command."""
    if quiet and verbose:
        raise typer.BadParameter("choose --quiet or --verbose, not both")
    _Settings.quiet, _Settings.verbose = quiet, verbose
    console.quiet = quiet
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.DEBUG)
    log.propagate = False
    screen = RichHandler(console=errors, show_path=False, show_time=verbose, markup=False)
    screen.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    log.addHandler(screen)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(to_file)
    log.debug("greenzone %s: %s", _version(), " ".join(sys.argv))


def _version() -> str:
    from greenzone import __version__

    return __version__


class _Progress:
    """Progress by stage: a spinner naming the running stage, a line with its time when it ends.

    ``--quiet`` shows nothing; ``--verbose`` prints a line per stage instead of a spinner, so that the solver's
    own log is not mixed with a spinner (the log's lines name the stages). Every stage is logged (see
    ``--log-file``).
    """

    def __init__(self) -> None:
        self._status = None
        self._name: str | None = None
        self._start = 0.0

    def __enter__(self) -> _Progress:
        if not _Settings.quiet and not _Settings.verbose:
            self._status = console.status("starting")
            self._status.start()
        return self

    def stage(self, name: str, text: str) -> None:
        """End the running stage and start ``name`` (weather, profiles, build, solve, report, write)."""
        self._finish()
        self._name, self._start = name, time.perf_counter()
        log.info("%s: %s", name, text)
        if self._status is not None:
            self._status.update(f"[bold]{name}[/bold]: {escape(text)}")

    def _finish(self) -> None:
        if self._name is not None:
            elapsed = time.perf_counter() - self._start
            log.info("%s: done in %.1f s", self._name, elapsed)
            if not _Settings.verbose:  # --verbose shows the log line instead
                console.print(f"[green]done[/green] {self._name} ({elapsed:.1f} s)")
            self._name = None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._finish()
        elif self._name is not None:
            log.debug("%s: stopped by %s", self._name, exc_type.__name__)
        if self._status is not None:
            self._status.stop()


ZoneArg = Annotated[
    Optional[Path],  # noqa: UP045 (typer needs Optional on 3.10)
    typer.Argument(help="zone YAML file; default: the embedded Karabakh zone", show_default=False),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output folder")]
YearsOpt = Annotated[Optional[int], typer.Option("--weather-years", min=1, help="synthetic weather years")]  # noqa: UP045
SeedOpt = Annotated[Optional[int], typer.Option("--seed", min=0, help="seed of synthetic weather")]  # noqa: UP045
SourceOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--weather", help="weather source: synthetic, pvgis, csv, era5, atlite; default: the zone's"
    ),
]
WeatherFileOpt = Annotated[
    Optional[Path], typer.Option("--weather-file", help="weather file for csv, era5, atlite")  # noqa: UP045
]


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


def _profiles(progress: _Progress, zone_path, weather, weather_file, years, seed):
    from greenzone.resources import profiles
    from greenzone.weather import load_weather
    from greenzone.zone import embedded_zone_path, load_zone

    zone_path = zone_path or embedded_zone_path()
    progress.stage("weather", f"reading {zone_path.name} and making the weather")
    z = load_zone(zone_path)
    w = load_weather(z, source=weather, path=weather_file, years=years, seed=seed)
    if int(w.attrs.get("synthetic", 0)):
        console.print(f"[yellow]{escape(str(w.attrs.get('title', 'SYNTHETIC weather')))}[/yellow]")
    progress.stage("profiles", "converting weather to capacity factors, inflows and demand")
    p = profiles(z, w)
    return zone_path, z, w, p


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
    from greenzone.output import staged_directory

    with _Progress() as progress, staged_directory(out) as folder:
        zone_path, _, w, p = _profiles(progress, zone, weather, weather_file, weather_years, seed)
        progress.stage("write", f"writing {out}")
        _write_profiles(folder, zone_path, w, p)
    _print_summary(p)
    console.print(f"wrote {out / 'profiles.nc'}")


def _check_method(value: str) -> str:
    if value not in METHODS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(METHODS)}")
    return value


MethodOpt = Annotated[
    str,
    typer.Option("--method", help="HiGHS method: " + ", ".join(METHODS), callback=_check_method),
]


def _check_time_limit(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be a positive number of seconds, got {value}")
    return value


TimeLimitOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--time-limit", help="solver time limit [s]; reaching it exits 4", callback=_check_time_limit
    ),
]
HoursOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--hours", min=24, help="plan on the first N hours only, annualised (a quick look)"),
]


def _print_kpis(figures: dict) -> None:
    table = Table(title="Key figures" + (" (SYNTHETIC weather)" if figures.get("synthetic_weather") else ""))
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("total cost [USD/yr]", f"{figures['total_cost_usd_per_year']:,.0f}"),
        ("LCOE [USD/MWh]", f"{figures['lcoe_usd_per_mwh']:,.1f}"),
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


DEFAULT_TYPICAL_DAYS = 16
"""Typical days of `greenzone run` by default: measured +0.40% cost against the same fleet dispatched over every
hour and -0.25% against 128 days (31x faster) on the Karabakh zone (docs/benchmarks.md); a full hourly year of
that zone did not solve within 15 minutes."""


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
            help="plan on N typical days with storage linked across the year (default 16: +0.40% cost against "
            "the same fleet dispatched hour by hour on the Karabakh zone, over 49x faster than the hourly plan); "
            "see --hourly and --check",
        ),
    ] = DEFAULT_TYPICAL_DAYS,
    hourly: Annotated[
        bool, typer.Option("--hourly", help="plan every hour instead of typical days (slow for a full year)")
    ] = False,
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
    import json

    from greenzone.errors import WeatherError
    from greenzone.kpi import kpis
    from greenzone.optimize.solve import SolverOptions
    from greenzone.output import staged_directory, write_netcdf, write_text
    from greenzone.planning import plan
    from greenzone.report import write_report

    with _Progress() as progress, staged_directory(out) as folder:
        zone_path, z, w, p = _profiles(progress, zone, weather, weather_file, weather_years, seed)
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
        _write_profiles(folder, zone_path, w, p)
        aggregate = not hourly and hours is None
        resolution = f"{typical_days} typical days" if aggregate else f"{p.sizes['time']:,} hours"
        progress.stage("build", f"building the linear program ({resolution})")
        options = SolverOptions(method=method, time_limit_s=time_limit, log_to_console=_Settings.verbose)
        reliable = None
        if lole_max is not None or reliability:
            reliable = _reliable_plan(
                progress,
                z,
                p,
                aggregate and typical_days,
                options,
                lole_max,
                adequacy_years,
                outages,
                max_iterations,
                seed,
            )
            result = reliable.plan
        else:
            result = plan(
                z,
                p,
                typical_days=typical_days if aggregate else None,
                options=options,
                on_solve=lambda _model: progress.stage("solve", f"HiGHS {method}"),
            )
        figures = kpis(result, z)
        if check:
            figures.update(_check(progress, z, result, p, aggregate))
        if reliable is not None:
            from greenzone.adequacy import write_adequacy

            figures.update(
                {
                    "reliability_target_h_per_year": (
                        z.policy.lole_target_h_per_year if lole_max is None else lole_max
                    ),
                    "reliability_met": reliable.met,
                    "reliability_stopped": reliable.stopped,
                    "reliability_iterations": reliable.iterations,
                }
            )
            write_adequacy(reliable.adequacy, folder)
        progress.stage("report", "key figures and report.html")
        write_netcdf(result, folder / "plan.nc")
        write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
        write_report(folder, zone=z)
    _print_kpis(figures)
    log.info("wrote %s", out.resolve())
    console.print(f"wrote {out.resolve()}")
    console.print(f"report: [bold]{out.resolve() / 'report.html'}[/bold]")


def _check(progress: _Progress, z, result, p, aggregate: bool) -> dict:
    """The hourly check of a typical-day plan (``run --check``)."""
    from greenzone.aggregation_check import check_aggregation

    if not aggregate:
        console.print("--check: the plan is hourly already, so it is its own hourly check")
        return {}
    progress.stage("check", "dispatching the plan's fleet over every hour")
    figures, _ = check_aggregation(z, result, p)
    console.print(
        f"hourly check: cost {figures['aggregation_cost_error']:+.3%} against the typical-day result, "
        f"{figures['aggregation_unserved_mwh']:,.1f} MWh/yr unserved"
    )
    return figures


def _reliable_plan(progress, z, p, typical_days, options, lole_max, years, outages, max_iterations, seed):
    """Reliability-constrained planning (``run --lole-max``), each iteration shown."""
    from greenzone.adequacy import synthetic_years
    from greenzone.reliability import plan_reliable

    target = z.policy.lole_target_h_per_year if lole_max is None else lole_max
    if target is None:
        raise typer.BadParameter(
            "--reliability needs policy.lole_target_h_per_year in the zone, or --lole-max"
        )
    progress.stage(
        "reliability", f"plan and adequacy over {years} weather years until LOLE <= {target:g} h/yr"
    )

    def shown(record: dict) -> None:
        line = (
            f"iteration {record['iteration']}: LOLE {record['lole_h_per_year']:.2f} h/yr, EUE "
            f"{record['eue_mwh_per_year']:,.1f} MWh/yr, cost {record['cost_usd_per_year'] / 1e6:,.3f} MUSD/yr, "
            f"{len(record['stress_days'])} stress days"
        )
        log.info("reliability %s", line)
        console.print(line)

    result = plan_reliable(
        z,
        p,
        synthetic_years(z, years, seed=seed),
        lole_max=target,
        outages=outages,
        typical_days=typical_days or None,
        max_iterations=max_iterations,
        on_iteration=shown,
        options=options,
    )
    console.print(
        ("[green]" if result.met else "[yellow]")
        + f"reliability: {result.stopped}"
        + ("[/green]" if result.met else "[/yellow]")
    )
    return result


@app.command()
def report(
    plan_dir: Annotated[
        Path, typer.Argument(help="run folder written by 'greenzone run' (plan.nc, kpis.json, zone.yaml)")
    ],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="report file; default PLAN_DIR/report.html"),
    ] = None,
) -> None:
    """Write the report of a run: one self-contained HTML file that opens offline."""
    from greenzone.report import write_report

    with _Progress() as progress:
        progress.stage("report", f"reading {plan_dir} and writing the report")
        path = write_report(plan_dir, out=out)
    log.info("wrote %s", path.resolve())
    console.print(f"report: [bold]{path.resolve()}[/bold]")


@app.command("export-pypsa")
def export_pypsa(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/pypsa"),
    weather_years: YearsOpt = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
    hours: HoursOpt = None,
) -> None:
    """Export the zone's planning problem as a PyPSA network: OUT/network.nc (needs the pypsa extra)."""
    try:
        import pypsa  # noqa: F401
    except ImportError:
        errors.print(PYPSA_MISSING, highlight=False, markup=False)
        raise typer.Exit(1) from None
    from greenzone.interop.pypsa import export_network
    from greenzone.output import staged_directory

    logging.getLogger("pypsa").setLevel(logging.INFO if _Settings.verbose else logging.WARNING)

    with _Progress() as progress, staged_directory(out) as folder:
        zone_path, z, w, p = _profiles(progress, zone, weather, weather_file, weather_years, seed)
        if hours is not None:
            p = p.isel(time=slice(0, hours))
        progress.stage("export", "building the PyPSA network")
        extra = export_network(z, p, folder / "network.nc")
        shutil.copyfile(zone_path, folder / "zone.yaml")
    console.print(f"wrote {out.resolve() / 'network.nc'}")
    if extra:
        console.print(
            "the file cannot carry these greenzone constraints; add them again with "
            "greenzone.interop.to_pypsa's extra_functionality: " + ", ".join(extra)
        )


def _separate_output(plan_dir: Path, out: Path) -> None:
    """The output folder replaces its whole contents: it must not be, or hold, the run folder read."""
    plan, target = plan_dir.resolve(), out.resolve()
    if plan == target or target in plan.parents:
        raise typer.BadParameter(
            f"--out {out} would replace the run folder {plan_dir} it reads; write to another folder "
            f"(e.g. {plan_dir.parent / (plan_dir.name + '-' + 'results')})"
        )


def _read_run(plan_dir: Path):
    """Zone, profiles and plan of a folder written by 'greenzone run' (exit 2 with the file when missing)."""
    import xarray as xr

    from greenzone.operate import ForecastError
    from greenzone.zone import load_zone

    for name in ("zone.yaml", "profiles.nc", "plan.nc"):
        if not (plan_dir / name).is_file():
            raise ForecastError(
                f"{plan_dir / name} not found: give the folder a 'greenzone run' wrote "
                "(it holds plan.nc, profiles.nc and zone.yaml)"
            )
    z = load_zone(plan_dir / "zone.yaml")
    loaded = []
    for name in ("profiles.nc", "plan.nc"):
        try:
            with xr.open_dataset(plan_dir / name) as ds:
                loaded.append(ds.load())
        except (OSError, ValueError) as exc:
            raise ForecastError(f"{plan_dir / name} cannot be read: {exc}") from None
    return z, loaded[0], loaded[1]


FORECASTS = ("perfect", "persistence", "climatology", "noisy")


def _check_forecast_name(value: str) -> str:
    if value not in FORECASTS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORECASTS)}")
    return value


PlanDirArg = Annotated[
    Path, typer.Argument(help="run folder written by 'greenzone run' (plan.nc, profiles.nc, zone.yaml)")
]


@app.command()
def operate(
    plan_dir: PlanDirArg,
    out: OutOpt = Path("out/operation"),
    forecast: Annotated[
        str,
        typer.Option(
            "--forecast", help="forecast model: " + ", ".join(FORECASTS), callback=_check_forecast_name
        ),
    ] = "noisy",
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="hours per window")] = 48,
    step: Annotated[int, typer.Option("--step", min=1, help="hours committed per window")] = 24,
    seed: Annotated[int, typer.Option("--seed", min=0, help="seed of the noisy forecast")] = 0,
    hours: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--hours", min=1, help="operate the first N hours only (a quick look)"),
    ] = None,
) -> None:
    """Operate a planned zone in rolling windows from forecasts: OUT/operation.nc, kpis.json and report.html.

    kpis.json adds cost_of_forecast_error_usd: this forecast's operating cost over the operated hours minus
    that of rolling operation with perfect forecasts (same windows). OUT/report.html is the plan's report with
    an Operation section: plan against operation, the forecast's skill, the weeks hour by hour and the
    forecast error.
    """
    import json

    from greenzone.kpi import kpis
    from greenzone.operate import operate as run_operation
    from greenzone.output import staged_directory, write_netcdf, write_text
    from greenzone.report import write_report

    if step > horizon:
        raise typer.BadParameter(f"--step ({step}) must not exceed --horizon ({horizon})")
    _separate_output(plan_dir, out)
    with _Progress() as progress, staged_directory(out) as folder:
        progress.stage("read", f"reading {plan_dir}")
        z, p, planned = _read_run(plan_dir)
        if hours is not None:
            p = p.isel(time=slice(0, hours))
            if "time" in planned.dims:
                planned = planned.isel(time=slice(0, hours))

        def windows(label: str):
            def report(done: int, total: int) -> None:
                log.debug("%s: window %d of %d", label, done, total)
                if progress._status is not None:
                    progress._status.update(f"[bold]{label}[/bold]: window {done} of {total}")

            return report

        runs = {}
        for name in dict.fromkeys((forecast, "perfect")):
            progress.stage(f"operate ({name})", f"{horizon} h windows every {step} h")
            runs[name] = run_operation(
                z,
                planned,
                p,
                forecast=name,
                horizon=horizon,
                step=step,
                seed=seed,
                progress=windows(f"operate ({name})"),
            )
        result = runs[forecast]
        progress.stage("write", f"writing {out}")
        figures = kpis(result, z)
        cost = result.attrs["operating_cost_usd"]
        perfect = runs["perfect"].attrs["operating_cost_usd"]
        figures.update(
            {
                "forecast": forecast,
                "forecast_seed": seed,
                "horizon_h": horizon,
                "step_h": step,
                "windows": int(result.attrs["windows"]),
                "operated_hours": int(result.sizes["time"]),
                "operating_cost_usd": cost,
                "perfect_forecast_operating_cost_usd": perfect,
                "cost_of_forecast_error_usd": cost - perfect,
                "unserved_energy_operated_mwh": float(result["unserved"].sum()),
                "mean_window_solve_s": float(result["window_solve_s"].mean()),
                "mean_window_iterations": float(result["window_iterations"].mean()),
            }
        )
        write_netcdf(result, folder / "operation.nc")
        write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
        progress.stage("report", "writing the report with the operation")
        write_report(plan_dir, out=folder / "report.html", zone=z, operation=folder)
    table = Table(title=f"Operation with {forecast} forecasts ({horizon} h windows every {step} h)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in (
        ("operated hours", f"{figures['operated_hours']:,}"),
        ("operating cost [USD]", f"{cost:,.0f}"),
        ("with perfect forecasts [USD]", f"{perfect:,.0f}"),
        ("cost of forecast error [USD]", f"{cost - perfect:,.0f}"),
        ("unserved energy [MWh]", f"{figures['unserved_energy_operated_mwh']:,.1f}"),
        ("time per window [s]", f"{figures['mean_window_solve_s']:.3f}"),
    ):
        table.add_row(escape(label), value)
    console.print(table)
    console.print(f"wrote {out.resolve()}")
    console.print(f"report: [bold]{out.resolve() / 'report.html'}[/bold]")


@app.command()
def schedule(
    plan_dir: PlanDirArg,
    state: Annotated[Path, typer.Option("--state", help="JSON of storage levels [MWh] by 'node/technology'")],
    forecast: Annotated[
        Path, typer.Option("--forecast", help="forecast CSV (see greenzone.operate.schedule)")
    ],
    out: OutOpt = Path("out/schedule"),
    horizon: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--horizon", min=1, help="hours to schedule; default every row of the forecast"),
    ] = None,
) -> None:
    """The next hours' schedule per unit, link and grid connection: OUT/schedule.csv and schedule.nc."""
    from greenzone.operate.schedule import read_forecast_csv, read_state_json, schedule_table
    from greenzone.operate.schedule import schedule as make_schedule
    from greenzone.output import staged_directory, write_netcdf, write_text

    with _Progress() as progress, staged_directory(out) as folder:
        progress.stage("read", f"reading {plan_dir}, {state.name} and {forecast.name}")
        z, p, planned = _read_run(plan_dir)
        levels = read_state_json(state)
        window = read_forecast_csv(forecast, z, p, horizon, capacities=planned)
        progress.stage("solve", f"scheduling {window.sizes['time']} hours")
        result = make_schedule(z, planned, window, levels)
        table = schedule_table(result)
        progress.stage("write", f"writing {out}")
        write_netcdf(result, folder / "schedule.nc")
        write_text(table.to_csv(float_format="%.4f"), folder / "schedule.csv")
    shown = Table(
        title=f"Schedule from {table.index[0]:%Y-%m-%d %H:%M} UTC ({len(table)} h; every hour in schedule.csv)"
    )
    for column in ("unit, link or grid", "first hour", "min", "mean", "max"):
        shown.add_column(column, justify="left" if column.startswith("unit") else "right")
    for column in table.columns:
        values = table[column]
        shown.add_row(
            escape(column),
            *(f"{v:,.1f}" for v in (values.iloc[0], values.min(), values.mean(), values.max())),
        )
    console.print(shown)
    console.print(f"wrote {out.resolve() / 'schedule.csv'}")


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
    forced outages, in parallel processes. adequacy.json holds lole_h_per_year, eue_mwh_per_year, lolp, their
    spread, per-year values and the worst events with their causes; OUT/report.html is the plan's report
    with an Adequacy section.
    """
    from greenzone.adequacy import assess, given_years, synthetic_years, write_adequacy
    from greenzone.output import staged_directory
    from greenzone.report import write_report
    from greenzone.zone import load_zone
    from greenzone.zone.fingerprint import require_same_zone

    if step > horizon:
        raise typer.BadParameter(f"--step ({step}) must not exceed --horizon ({horizon})")
    if guidance not in ("plan", "year"):
        raise typer.BadParameter(f"--guidance must be 'plan' or 'year', got {guidance!r}")
    _separate_output(plan_dir, out)
    with _Progress() as progress, staged_directory(out) as folder:
        progress.stage("read", f"reading {plan_dir}")
        z, _, planned = _read_run(plan_dir)
        zone_file = plan_dir / "zone.yaml"
        if zone is not None:
            z, zone_file = load_zone(zone), zone
        require_same_zone(
            z,
            str(planned.attrs.get("zone_fingerprint", "")),
            results=str(plan_dir / "plan.nc"),
            zone_file=str(zone_file),
        )
        source = weather or z.weather.source
        if source == "synthetic" and weather_file is None:
            years = synthetic_years(z, weather_years or 30, seed=seed)
            label = f"{len(years)} synthetic weather years (seed {years[0].seed})"
        else:
            from greenzone.weather import load_weather

            progress.stage("weather", f"reading the {source} weather")
            w = load_weather(z, source=source, path=weather_file)
            years = given_years(
                w,
                origin=str(weather_file or z.weather.path or source),
                timezone=z.timezone,
                count=weather_years,
            )
            label = f"{len(years)} weather years from {weather_file or source}"
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


def main() -> None:
    """Entry point: run the app, turning greenzone's errors into a message and an exit code."""
    try:
        code = app(standalone_mode=False)
    except GreenzoneError as exc:
        log.debug("error (exit %d): %s", exc.exit_code, exc)
        errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        log.debug("interrupted")
        errors.print("interrupted; previous results are left as they were")
        sys.exit(130)
    except Exception as exc:  # usage errors (bad options: exit 2), exits and aborts
        import click

        usage = (typer.TyperException, click.exceptions.ClickException)
        if isinstance(exc, usage) and hasattr(exc, "show"):
            exc.show()
            sys.exit(getattr(exc, "exit_code", 2))
        if isinstance(exc, (typer.Exit, click.exceptions.Exit)):
            sys.exit(exc.exit_code)
        if isinstance(exc, (typer.Abort, click.exceptions.Abort)):
            sys.exit(1)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
