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
        table.add_column(column, justify="left" if column in ("node", "technology") else "right")
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


@app.command()
def run(
    zone: ZoneArg = None,
    out: OutOpt = Path("out/karabakh"),
    weather_years: YearsOpt = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
) -> None:
    """Run a zone: weather → profiles (→ plan and report, as those stages land). Writes into OUT."""
    from greenzone.output import staged_directory

    zone_path, _, w, p = _profiles(zone, weather, weather_file, weather_years, seed)
    with staged_directory(out) as folder:
        _write_profiles(folder, zone_path, w, p)
    _print_summary(p)
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
