"""The one shape every weather source returns, and the check that enforces it.

A Weather is an :class:`xarray.Dataset` with

============== ============== ========= ===================================================
variable       dims           unit      meaning
============== ============== ========= ===================================================
``ghi``        (time, site)   [W/m^2]   global horizontal irradiance, mean over the hour
``dni``        (time, site)   [W/m^2]   direct normal irradiance, mean over the hour
``dhi``        (time, site)   [W/m^2]   diffuse horizontal irradiance, mean over the hour
``temp_air``   (time, site)   [degC]    air temperature at 2 m
``pressure``   (time, site)   [Pa]      surface air pressure
``wind_speed`` (time, site)   [m/s]     wind speed at ``attrs["wind_height_m"]`` above ground
``discharge``  (time, river)  [m^3/s]   river discharge (optional: only where rivers are known)
============== ============== ========= ===================================================

Coordinates: ``time`` hourly, timezone-naive UTC, labelling the *start* of each hour (values are means over
``[time, time + 1 h)``); ``site`` (string ids, the zone's node ids) with ``lat`` [deg], ``lon`` [deg] and
``elevation`` [m] on it; ``river`` (string ids) where discharge is given.

Attributes: ``source`` (e.g. ``"synthetic"``, ``"pvgis"``, ``"csv"``, ``"era5"``), ``synthetic`` (``1`` for
generated weather, ``0`` for measured or reanalysis; stored as an int so NetCDF can carry it),
``wind_height_m`` [m], and ``title`` (a line a report can show, which says "SYNTHETIC" for generated weather).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError

SITE_VARIABLES: dict[str, str] = {
    "ghi": "W/m^2",
    "dni": "W/m^2",
    "dhi": "W/m^2",
    "temp_air": "degC",
    "pressure": "Pa",
    "wind_speed": "m/s",
}
"""Variables over (time, site) and their units."""

RIVER_VARIABLES: dict[str, str] = {"discharge": "m^3/s"}
"""Variables over (time, river) and their units."""

LONG_NAMES: dict[str, str] = {
    "ghi": "global horizontal irradiance",
    "dni": "direct normal irradiance",
    "dhi": "diffuse horizontal irradiance",
    "temp_air": "air temperature at 2 m",
    "pressure": "surface air pressure",
    "wind_speed": "wind speed",
    "discharge": "river discharge",
}

_RANGES: dict[str, tuple[float, float]] = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1400.0),
    "dhi": (0.0, 1000.0),
    "temp_air": (-70.0, 60.0),
    "pressure": (40_000.0, 110_000.0),
    "wind_speed": (0.0, 80.0),
    "discharge": (0.0, 1e6),
}
"""Physically plausible ranges; values outside them are an input error, not weather."""


def make_weather(
    *,
    time: pd.DatetimeIndex,
    sites: pd.DataFrame,
    data: dict[str, np.ndarray],
    wind_height_m: float,
    source: str,
    synthetic: bool,
    title: str,
    rivers: list[str] | None = None,
    discharge: np.ndarray | None = None,
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Assemble a Weather from plain arrays, with units and names in place.

    Parameters
    ----------
    time : hourly, timezone-naive UTC, interval start.
    sites : DataFrame indexed by site id with columns ``lat``, ``lon`` [deg] and ``elevation`` [m].
    data : ``{name: array of shape (len(time), len(sites))}`` for each name in :data:`SITE_VARIABLES`.
    wind_height_m : height of ``wind_speed`` above ground [m].
    rivers, discharge : river ids and discharge [m^3/s] of shape (len(time), len(rivers)).
    """
    site_ids = [str(s) for s in sites.index]
    coords = {
        "time": ("time", pd.DatetimeIndex(time).values),
        "site": ("site", site_ids),
        "lat": ("site", sites["lat"].to_numpy(float)),
        "lon": ("site", sites["lon"].to_numpy(float)),
        "elevation": ("site", sites["elevation"].to_numpy(float)),
    }
    variables = {}
    for name, unit in SITE_VARIABLES.items():
        values = np.asarray(data[name], dtype=float)
        variables[name] = xr.Variable(
            ("time", "site"), values, {"units": unit, "long_name": LONG_NAMES[name]}
        )
    if rivers:
        coords["river"] = ("river", [str(r) for r in rivers])
        variables["discharge"] = xr.Variable(
            ("time", "river"),
            np.asarray(discharge, dtype=float),
            {"units": "m^3/s", "long_name": LONG_NAMES["discharge"]},
        )
    ds = xr.Dataset(variables, coords=coords)
    ds["lat"].attrs["units"] = "deg"
    ds["lon"].attrs["units"] = "deg"
    ds["elevation"].attrs["units"] = "m"
    ds["wind_speed"].attrs["height_m"] = float(wind_height_m)
    ds.attrs.update(
        {
            "source": source,
            "synthetic": int(bool(synthetic)),
            "wind_height_m": float(wind_height_m),
            "title": title,
            "time_convention": "hourly, timezone-naive UTC, label = start of interval",
        }
    )
    if extra_attrs:
        ds.attrs.update(extra_attrs)
    check_weather(ds, origin=source)
    return ds


def check_weather(weather: xr.Dataset, *, origin: str = "weather") -> None:
    """Raise :class:`WeatherError` unless ``weather`` has the Weather shape described in this module.

    Checks: every site variable present over (time, site); an hourly, gap-free, increasing, timezone-naive
    time index; no missing values; values within physically plausible ranges; a ``wind_height_m`` attribute.
    ``origin`` (a file name or source) is named in every message.
    """
    missing = [v for v in SITE_VARIABLES if v not in weather]
    if missing:
        raise WeatherError(
            f"{origin}: weather lacks {', '.join(missing)}; every source must provide "
            f"{', '.join(SITE_VARIABLES)}."
        )
    if "time" not in weather.indexes:
        raise WeatherError(f"{origin}: weather has no 'time' coordinate.")
    time = weather.indexes["time"]
    if not isinstance(time, pd.DatetimeIndex) or time.tz is not None:
        raise WeatherError(f"{origin}: the time index must be timezone-naive UTC datetimes.")
    if len(time) < 1:
        raise WeatherError(f"{origin}: weather has no time steps.")
    if len(time) > 1:
        steps = np.diff(time.values).astype("timedelta64[s]").astype(np.int64)
        bad = np.flatnonzero(steps != 3600)
        if bad.size:
            i = int(bad[0])
            raise WeatherError(
                f"{origin}: time steps must be exactly one hour with no gaps; found a step of "
                f"{steps[i] / 3600:g} h after {time[i]:%Y-%m-%d %H:%M} UTC. Fill or interpolate the gap first."
            )
    for name in SITE_VARIABLES:
        da = weather[name]
        if da.dims != ("time", "site"):
            raise WeatherError(f"{origin}: '{name}' must have dims (time, site), has {da.dims}.")
    if "wind_height_m" not in weather.attrs:
        raise WeatherError(
            f"{origin}: weather must state the height of wind_speed in attrs['wind_height_m']."
        )
    names = list(SITE_VARIABLES) + (["discharge"] if "discharge" in weather else [])
    for name in names:
        values = weather[name].values
        nan = np.isnan(values)
        if nan.any():
            t, j = np.argwhere(nan)[0]
            where = weather[name].dims[1]
            raise WeatherError(
                f"{origin}: '{name}' is missing at {time[t]:%Y-%m-%d %H:%M} UTC, {where} "
                f"{weather[where].values[j]!s} ({int(nan.sum())} missing values in all); fill or interpolate the gaps first."
            )
        lo, hi = _RANGES[name]
        if values.size and (values.min() < lo or values.max() > hi):
            raise WeatherError(
                f"{origin}: '{name}' [{SITE_VARIABLES.get(name, 'm^3/s')}] ranges {values.min():g} to "
                f"{values.max():g}, outside the plausible {lo:g} to {hi:g}; check its unit."
            )
