"""Calendar years of weather: whole years cut from a Weather, and synthetic weather made by calendar year.

Used wherever a study runs on chosen weather years: adequacy's years (:mod:`greenzone.adequacy.years`) and a
pathway's periods, each on its own years (``pathway.weather_years``; :func:`greenzone.planning.pathway.pathway_weather`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.zone.schema import Zone

EDGE_HOURS = 14
"""Hours a year may lack at the start or end of given weather [h]: the largest UTC offset, so that a file of
whole UTC years cut at local midnight (or the reverse) still gives whole years."""


def whole_years(
    weather: xr.Dataset, *, origin: str, timezone: str = "UTC", purpose: str = "adequacy"
) -> dict[int, xr.Dataset]:
    """The whole calendar years (in ``timezone``, local time) of a Weather, by year, in order.

    A year that lacks at most :data:`EDGE_HOURS` hours at the start or end of the weather (a UTC offset) is
    kept with the hours it has; a remnant of at most that many hours is dropped; any other year with hours
    missing is an error naming it (``origin``: the weather's file or source, ``purpose``: what needs the years).
    """
    time = pd.DatetimeIndex(weather.indexes["time"])
    local = time.tz_localize("UTC").tz_convert(timezone).tz_localize(None)
    labels = np.asarray(local.year)
    out: dict[int, xr.Dataset] = {}
    for year in sorted(set(labels.tolist())):
        index = np.flatnonzero(labels == year)
        expected = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
        if index.size >= len(expected) - EDGE_HOURS:
            out[int(year)] = weather.isel(time=index)
            continue
        edge = year in (labels[0], labels[-1])
        if edge and index.size <= EDGE_HOURS:
            continue
        missing = expected.difference(local[index])
        raise WeatherError(
            f"{origin}: weather year {year} is not whole: {len(missing):,} of {len(expected):,} hours are "
            f"missing (first {missing[0]:%Y-%m-%d %H:%M} local time, {timezone}); {purpose} needs whole "
            "calendar years: give full years, or leave this one out"
        )
    if not out:
        raise WeatherError(f"{origin}: the weather holds no whole calendar year; {purpose} needs whole years")
    return out


def synthetic_years(zone: Zone, years: Sequence[int], *, seed: int | None = None) -> xr.Dataset:
    """The zone's SYNTHETIC weather of the calendar ``years`` (in order; gaps allowed), river discharge
    included, with ``seed`` (default the zone's weather seed).

    Each year is drawn from its own random streams, keyed by (seed, year) (:mod:`greenzone.weather.synthetic`),
    so year Y is the same whichever other years are made with it; consecutive years are made in one go.
    """
    from greenzone.weather import synthetic as synth
    from greenzone.weather import with_discharge, zone_sites

    years = sorted({int(y) for y in years})
    if not years:
        raise WeatherError("synthetic weather needs at least one calendar year")
    seed = zone.weather.seed if seed is None else int(seed)
    climatology = synth.read_climatology(zone.weather.climatology or synth.default_climatology_path())
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [
        synth.generate(
            sites=zone_sites(zone), climatology=climatology, years=run, seed=seed, timezone=zone.timezone
        )
        for run in runs
    ]
    weather = parts[0] if len(parts) == 1 else xr.concat(parts, dim="time", combine_attrs="override")
    weather.attrs["years"] = years
    return with_discharge(zone, weather)


__all__ = ["EDGE_HOURS", "synthetic_years", "whole_years"]
