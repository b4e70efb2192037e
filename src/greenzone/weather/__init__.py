"""Weather sources. Every source returns the one Weather shape of :mod:`greenzone.weather.schema`.

:func:`load_weather` picks the source named by the zone's ``weather`` section, or by its arguments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.weather.schema import check_weather, make_weather
from greenzone.zone.schema import Zone

SOURCES = ("synthetic", "pvgis", "csv", "era5", "atlite")


def zone_sites(zone: Zone) -> pd.DataFrame:
    """The zone's nodes as weather sites: index id, columns lat, lon [deg] and elevation [m]."""
    return pd.DataFrame(
        {
            "lat": [n.lat for n in zone.nodes],
            "lon": [n.lon for n in zone.nodes],
            "elevation": [n.elevation_m for n in zone.nodes],
        },
        index=pd.Index(zone.node_ids, name="site"),
    )


def load_weather(
    zone: Zone,
    *,
    source: str | None = None,
    path: str | Path | None = None,
    years: int | None = None,
    seed: int | None = None,
    cache_dir: str | Path | None = None,
) -> xr.Dataset:
    """Weather for every node of ``zone``.

    Parameters
    ----------
    source : one of :data:`SOURCES`; default the zone's ``weather.source``.
    path : the file for ``csv``, ``era5`` or ``atlite``; default the zone's ``weather.path``.
    years, seed : number of synthetic weather years and their seed; default from the zone.
    cache_dir : where PVGIS responses are kept (default ``~/.cache/greenzone/pvgis``).
    """
    config = zone.weather
    source = source or config.source
    sites = zone_sites(zone)
    if source not in SOURCES:
        raise WeatherError(f"unknown weather source '{source}'; use one of {', '.join(SOURCES)}.")
    if source == "synthetic":
        from greenzone.weather import synthetic

        climatology_path = config.climatology or synthetic.default_climatology_path()
        climatology = synthetic.read_climatology(climatology_path)
        return synthetic.generate(
            sites=sites,
            climatology=climatology,
            years=config.years if years is None else years,
            start_year=config.start_year or zone.year,
            seed=config.seed if seed is None else seed,
            timezone=zone.timezone,
        )
    if source == "pvgis":
        from greenzone.weather import pvgis

        cache = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "greenzone" / "pvgis"
        return pvgis.pvgis_weather(sites=sites, cache_dir=cache)
    path = path or config.path
    if not path:
        raise WeatherError(
            f"weather source '{source}' needs a file: set weather.path in the zone or pass --weather-file."
        )
    if source == "csv":
        from greenzone.weather import csv

        return csv.read_csv(path, sites=sites, timezone=zone.timezone)
    from greenzone.weather import era5

    if source == "era5":
        return era5.read_era5(path, sites=sites)
    return era5.read_atlite_cutout(path, sites=sites)


__all__ = ["SOURCES", "check_weather", "load_weather", "make_weather", "zone_sites"]
