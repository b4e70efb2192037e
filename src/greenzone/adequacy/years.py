"""Weather years for adequacy: synthetic years made one by one, or the whole years of a weather file.

A synthetic year is drawn from its own random streams, keyed by (seed, calendar year)
(:mod:`greenzone.weather.synthetic`), so year k made alone is the year k of a multi-year run with the same
seed: a worker process can make its own year, and the first year with the zone's seed is the weather the
plan was made on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.weather.years import synthetic_years as synthetic_weather
from greenzone.weather.years import whole_years
from greenzone.zone.schema import Zone


@dataclass(frozen=True)
class WeatherYear:
    """One weather year to assess: a synthetic (seed, calendar year), or a year cut from given weather."""

    index: int
    label: int  # calendar year of the weather [yr]
    seed: int | None = None  # synthetic seed; None for given weather
    weather: xr.Dataset | None = None  # the year's Weather when given
    profiles: xr.Dataset | None = None  # the year's Profiles when given (then no weather is converted)

    @property
    def synthetic(self) -> bool:
        if self.profiles is not None:
            return bool(int(self.profiles.attrs.get("synthetic", 0)))
        return self.weather is None or bool(int(self.weather.attrs.get("synthetic", 0)))


def profile_years(profiles: list[xr.Dataset], *, first_label: int = 0) -> list[WeatherYear]:
    """Weather years given directly as Profiles (one Dataset per year), e.g. hand-made for a study."""
    return [WeatherYear(index=k, label=first_label + k, profiles=p) for k, p in enumerate(profiles)]


def synthetic_years(zone: Zone, count: int, *, seed: int | None = None, start_year: int | None = None):
    """``count`` synthetic weather years from ``start_year`` (default the zone's weather start year, else its
    year) with ``seed`` (default the zone's weather seed)."""
    if count < 1:
        raise WeatherError(f"adequacy needs at least one weather year, got {count}")
    seed = zone.weather.seed if seed is None else int(seed)
    first = start_year or zone.weather.start_year or zone.year
    return [WeatherYear(index=k, label=first + k, seed=seed) for k in range(count)]


def given_years(
    weather: xr.Dataset, *, origin: str, timezone: str = "UTC", count: int | None = None
) -> list[WeatherYear]:
    """The calendar years (in ``timezone``, local time) of a Weather; ``count`` keeps the first ones.

    A year that lacks at most :data:`~greenzone.weather.years.EDGE_HOURS` hours at the start or end of the
    weather (a UTC offset) is kept with the hours it has; a remnant of at most that many hours is dropped; any
    other year with hours missing is an error naming it (:func:`greenzone.weather.years.whole_years`).
    """
    whole = whole_years(weather, origin=origin, timezone=timezone, purpose="adequacy")
    out = [WeatherYear(index=k, label=year, weather=w) for k, (year, w) in enumerate(whole.items())]
    if count is not None:
        if count > len(out):
            raise WeatherError(
                f"{origin}: {count} weather years asked for, but the weather has {len(out)} "
                f"({out[0].label}-{out[-1].label}); ask for fewer or give more years"
            )
        out = out[:count]
    return out


DEFAULT_SYNTHETIC_YEARS = 30
"""Synthetic weather years an adequacy study takes unless told otherwise."""


def zone_years(
    zone: Zone, count: int | None = None, *, seed: int | None = None, source: str | None = None, path=None
) -> tuple[list[WeatherYear], str]:
    """The weather years an adequacy study of ``zone`` runs over, and a label saying what they are.

    Synthetic weather (the zone's source, or ``source="synthetic"``, with no ``path``): ``count`` years
    (default :data:`DEFAULT_SYNTHETIC_YEARS`) with ``seed`` (default the zone's). Any other source, or a weather
    file ``path``: the whole calendar years of that weather (the first ``count``), as :func:`given_years`.
    """
    source = source or zone.weather.source
    if source == "synthetic" and path is None:
        years = synthetic_years(zone, count or DEFAULT_SYNTHETIC_YEARS, seed=seed)
        return years, f"{len(years)} synthetic weather years (seed {years[0].seed})"
    from greenzone.weather import load_weather

    weather = load_weather(zone, source=source, path=path)
    origin = str(path or zone.weather.path or source)
    years = given_years(weather, origin=origin, timezone=zone.timezone, count=count)
    return years, f"{len(years)} weather years from {path or source}"


def year_weather(zone: Zone, year: WeatherYear) -> xr.Dataset:
    """The Weather of one year (synthetic years are made here, in the calling process)."""
    if year.weather is not None:
        return year.weather
    return synthetic_weather(zone, [year.label], seed=year.seed)


def by_hour_of_year(plan: xr.Dataset, time: pd.DatetimeIndex) -> xr.Dataset:
    """``plan`` with its hourly variables moved onto ``time`` by position in the year (hour k of the plan
    becomes hour k of ``time``, cycling where ``time`` is longer, e.g. a leap year): the plan's storage and
    reservoir trajectory then serves as the seasonal guide of another weather year."""
    if "time" not in plan.dims:
        return plan
    n = plan.sizes["time"]
    idx = np.arange(len(time)) % n
    return plan.isel(time=idx).assign_coords(time=time.values)
