"""``greenzone export-pypsa``: the zone's planning problem as a PyPSA network."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import typer

from greenzone.cli.common import (
    PYPSA_MISSING,
    HoursOpt,
    OutOpt,
    Progress,
    SeedOpt,
    Settings,
    SourceOpt,
    WeatherFileOpt,
    YearsOpt,
    ZoneArg,
    app,
    console,
    errors,
    output_folder,
    zone_and_inputs,
)
from greenzone.cli.plan import _profiles


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

    logging.getLogger("pypsa").setLevel(logging.INFO if Settings.verbose else logging.WARNING)
    zone_path, z, inputs = zone_and_inputs(zone)
    with (
        Progress() as progress,
        output_folder(out, [*inputs, ("the weather file", weather_file)], zone=z) as folder,
    ):
        _, p = _profiles(progress, zone_path, z, weather, weather_file, weather_years, seed)
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
