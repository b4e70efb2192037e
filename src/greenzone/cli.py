"""The ``greenzone`` command line. No logic of its own: it calls the Python API and prints.

Exit codes: 0 ok, 2 bad input (zone, weather), 3 infeasible, 4 solver failure or time limit, 1 other error.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from greenzone.errors import GreenzoneError

app = typer.Typer(
    name="greenzone",
    help="Plan and operate a renewable green energy zone. Without a zone file, commands use the embedded "
    "Karabakh and East Zangezur zone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

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


def _profiles(zone_path, weather, weather_file, years, seed):
    from greenzone.resources import profiles
    from greenzone.weather import load_weather
    from greenzone.zone import embedded_zone_path, load_zone

    zone_path = zone_path or embedded_zone_path()
    with console.status("reading the zone"):
        z = load_zone(zone_path)
    with console.status("making weather"):
        w = load_weather(z, source=weather, path=weather_file, years=years, seed=seed)
    if int(w.attrs.get("synthetic", 0)):
        console.print(f"[yellow]{w.attrs.get('title', 'SYNTHETIC weather')}[/yellow]")
    with console.status("converting weather to profiles"):
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

    zone_path, _, w, p = _profiles(zone, weather, weather_file, weather_years, seed)
    with staged_directory(out) as folder:
        _write_profiles(folder, zone_path, w, p)
    _print_summary(p)
    console.print(f"wrote {out / 'profiles.nc'}")


MethodOpt = Annotated[
    str,
    typer.Option("--method", help="HiGHS method: ipm, ipm_no_crossover, dual_simplex, simplex, pdlp, choose"),
]
TimeLimitOpt = Annotated[
    Optional[float], typer.Option("--time-limit", min=0, help="solver time limit [s]; reaching it exits 4")  # noqa: UP045
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


@app.command()
def run(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/karabakh"),
    weather_years: YearsOpt = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
    method: MethodOpt = "ipm",
    time_limit: TimeLimitOpt = None,
    hours: HoursOpt = None,
) -> None:
    """Run a zone: weather → profiles → least-cost plan. Writes OUT/plan.nc, kpis.json, profiles.nc, zone.yaml."""
    import json

    from greenzone.kpi import kpis
    from greenzone.output import staged_directory, write_netcdf, write_text
    from greenzone.plan import plan

    zone_path, z, w, p = _profiles(zone, weather, weather_file, weather_years, seed)
    if hours is not None:
        p = p.isel(time=slice(0, hours))
    with console.status(f"planning: building and solving the LP ({method})"):
        result = plan(z, p, method=method, time_limit=time_limit)
    figures = kpis(result, z)
    with staged_directory(out) as folder:
        _write_profiles(folder, zone_path, w, p)
        write_netcdf(result, folder / "plan.nc")
        write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
    _print_kpis(figures)
    console.print(f"wrote {out.resolve()}")


def main() -> None:
    """Entry point: run the app, turning greenzone's errors into a message and an exit code."""
    try:
        app(standalone_mode=False)
    except GreenzoneError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        errors.print("interrupted; previous results are left as they were")
        sys.exit(130)
    except Exception as exc:  # click's usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
