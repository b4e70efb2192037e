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
    if source not in SOURCES:
        raise WeatherError(f"unknown weather source '{source}'; use one of {', '.join(SOURCES)}.")
    weather = _load_source(zone, source, path, years, seed, cache_dir)
    return with_discharge(zone, weather)


def _zone_field(zone: Zone, field: str) -> str:
    """``field`` with the zone file in front when the zone was read from one, for messages about its files."""
    return f"{zone.zone_file}: {field}" if zone.zone_file else field


def rivers_needed(zone: Zone) -> list[str]:
    """River ids the zone's hydro plants take their water from."""
    rivers = []
    for node in zone.nodes:
        for nt in node.technologies.values():
            if nt.river is not None and nt.river not in rivers:
                rivers.append(nt.river)
    return rivers


def with_discharge(zone: Zone, weather: xr.Dataset) -> xr.Dataset:
    """Give ``weather`` the river discharge the zone needs: from ``weather.discharge`` (a CSV) when set,
    else kept from the source, else SYNTHETIC discharge from the climatology's monthly shares (labelled)."""
    from greenzone.weather import synthetic

    needed = rivers_needed(zone)
    config = zone.weather
    have = list(weather["river"].values) if "river" in weather.coords else []
    if config.discharge:
        from greenzone.weather.csv import read_discharge_csv

        where = _zone_field(zone, "weather.discharge")
        flows = read_discharge_csv(config.discharge, timezone=zone.timezone, context=where)
        time = pd.DatetimeIndex(weather.indexes["time"])
        missing = time.difference(flows.index)
        if len(missing):
            raise WeatherError(
                f"{_zone_field(zone, str(config.discharge))} (weather.discharge): no discharge for {len(missing)} weather hours, first "
                f"{missing[0]:%Y-%m-%d %H:%M} UTC; give every hour of the weather."
            )
        flows = flows.reindex(time)
        weather = weather.drop_vars(["discharge", "river"], errors="ignore")
        weather = weather.assign_coords(river=list(flows.columns))
        weather["discharge"] = (
            ("time", "river"),
            flows.to_numpy(float),
            {"units": "m^3/s", "long_name": "river discharge"},
        )
        weather.attrs["discharge_source"] = f"csv: {Path(config.discharge).name}"
        return weather
    if not needed or all(r in have for r in needed):
        return weather
    climatology = synthetic.read_climatology(config.climatology or synthetic.default_climatology_path())
    time = pd.DatetimeIndex(weather.indexes["time"])
    years = list(range(time[0].year, time[-1].year + 1))
    generated = synthetic.generate(
        sites=zone_sites(zone), climatology=climatology, years=years, seed=config.seed, timezone=zone.timezone
    )
    discharge = generated["discharge"].sel(time=time)
    weather = weather.drop_vars(["discharge", "river"], errors="ignore").assign_coords(
        river=discharge["river"].values
    )
    weather["discharge"] = (
        ("time", "river"),
        discharge.values,
        {"units": "m^3/s", "long_name": "river discharge"},
    )
    weather.attrs["discharge_source"] = "SYNTHETIC, from the climatology's monthly shares"
    weather.attrs["title"] = weather.attrs.get("title", "") + "; river discharge SYNTHETIC"
    weather.attrs["synthetic_discharge"] = 1
    return weather


def _load_source(zone, source, path, years, seed, cache_dir) -> xr.Dataset:
    config = zone.weather
    sites = zone_sites(zone)
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
        return pvgis.pvgis_weather(sites=sites, cache_dir=cache, year=config.start_year or zone.year)
    context = None if path else _zone_field(zone, "weather.path")
    path = path or config.path
    if not path:
        raise WeatherError(
            f"weather source '{source}' needs a file: set weather.path in the zone or pass --weather-file."
        )
    if source == "csv":
        from greenzone.weather import csv

        return csv.read_csv(path, sites=sites, timezone=zone.timezone, context=context)
    from greenzone.weather import era5

    if source == "era5":
        return era5.read_era5(path, sites=sites)
    return era5.read_atlite_cutout(path, sites=sites)


__all__ = ["SOURCES", "check_weather", "load_weather", "make_weather", "zone_sites"]
