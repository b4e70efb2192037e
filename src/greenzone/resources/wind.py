"""Wind capacity factors from a Weather, with windpowerlib's turbine library and models, vectorised.

The chain is the one :class:`windpowerlib.ModelChain` runs with ``wind_speed_model="logarithmic"``,
``temperature_model="linear_gradient"``, ``density_model="ideal_gas"``, ``power_output_model="power_curve"``
and ``density_correction=True``, written out in numpy over all hours and sites at once (windpowerlib's
density correction loops over time steps):

1. wind speed at hub height by the logarithmic profile with the site's roughness length;
2. air temperature at hub height by a linear gradient of -6.5 K/km from 2 m;
3. air pressure at hub height by the linearised barometric formula (-1/8 hPa per metre, as windpowerlib's
   ``density.ideal_gas``), and air density by the ideal gas law;
4. power from the turbine's power curve, its wind speeds scaled by ``(1.225 / density) ** e`` with
   ``e`` = 1/3 below 7.5 m/s, 2/3 above 12.5 m/s and linear in between (IEC 61400-12 style);
5. capacity factor = power / nominal power * (1 - loss_factor).

Power curves come from the turbine library that ships with windpowerlib (``windpowerlib/oedb/*.csv``, an
extract of the Open Energy Database); nothing is downloaded. ``tests/test_resources_wind.py`` checks the
result against windpowerlib's ModelChain on the same weather.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd
import windpowerlib
import xarray as xr

from greenzone.errors import ZoneError
from greenzone.resources.sites import select_sites, site_capacity_factor
from greenzone.weather.schema import check_weather

RHO_REFERENCE = 1.225
"""Air density the power curves are given for [kg/m^3]."""

GAS_CONSTANT_DRY_AIR = 287.058
"""Specific gas constant of dry air [J/(kg K)]."""

PRESSURE_GRADIENT = -12.5
"""Change of air pressure with height near the ground, -1/8 hPa per metre [Pa/m] (windpowerlib's value)."""

LAPSE_RATE = -0.0065
"""Temperature gradient of the standard atmosphere [K/m]."""

TEMPERATURE_HEIGHT_M = 2.0
"""Height of the Weather's ``temp_air`` [m]."""

_LIBRARY = os.path.join(os.path.dirname(windpowerlib.__file__), "oedb")
_CHUNK = 65_536


def available_turbines() -> list[str]:
    """Turbine types in windpowerlib's local library that have a power curve and a nominal power.

    Returns
    -------
    list of str
        Sorted turbine type names, e.g. ``"E-115/3200"``, to pass as ``turbine``.
    """
    return list(_library()[0])


def turbine_power_curve(turbine: str) -> tuple[np.ndarray, np.ndarray]:
    """Power curve of a turbine type, per MW of its nominal power, at 1.225 kg/m^3.

    Parameters
    ----------
    turbine : a type from :func:`available_turbines`, e.g. ``"E-115/3200"``.

    Returns
    -------
    wind_speeds : numpy.ndarray
        Hub-height wind speeds, increasing [m/s].
    power : numpy.ndarray
        Electrical power at those speeds per MW of nominal power [MW/MW]. A few library curves peak up to
        2.5 % above their nominal power; those values are kept as published.

    Raises
    ------
    ZoneError
        If the turbine type is not in the library; the message lists close matches.
    """
    speeds, power = _power_curve(turbine)
    return speeds.copy(), power.copy()


def wind_capacity_factor(
    weather: xr.Dataset,
    *,
    roughness_length_m: float | Mapping[str, float],
    turbine: str = "E-115/3200",
    hub_height_m: float = 100.0,
    loss_factor: float = 0.10,
    sites: list[str] | None = None,
    yield_factor: float | np.ndarray = 1.0,
) -> xr.DataArray:
    """Hourly capacity factor of a wind turbine at each site.

    Parameters
    ----------
    weather : a Weather (see :mod:`greenzone.weather.schema`): ``wind_speed`` [m/s] at
        ``attrs["wind_height_m"]`` [m], ``temp_air`` [degC] at 2 m and surface ``pressure`` [Pa], over
        (time, site).
    roughness_length_m : surface roughness length [m], one for all sites or one per site id.
    turbine : turbine type in windpowerlib's library (:func:`available_turbines`).
    hub_height_m : hub height above ground [m].
    loss_factor : fraction of the turbine's output lost to wakes, availability and electrical losses [-].
    sites : site ids to compute; all of the Weather's sites when None.
    yield_factor : calibration factor on the output after losses [-], one for all sites or one per site in
        ``sites`` order (:class:`greenzone.zone.schema.Calibration`, quantity ``yield``); the result stays
        capped at 1.

    Returns
    -------
    xarray.DataArray
        Capacity factor over (time, site) [MW/MW], output per MW of nominal turbine power, in [0, 1].

    Notes
    -----
    Hub-height temperature is ``temp_air - 0.0065 * (hub_height_m - 2)`` [degC] and hub-height pressure
    ``pressure - 12.5 * hub_height_m`` [Pa], both as windpowerlib computes them. The linear pressure drop
    is the sea-level slope of the barometric formula; at 2000 m it overstates the drop over 100 m by about
    a quarter, so the density comes out 0.3 % low, and annual output about 0.1 % low.

    Raises
    ------
    ZoneError
        If the turbine type is unknown or a site has no roughness length.
    WeatherError
        If the Weather is malformed or lacks a requested site.
    ValueError
        If a parameter is out of its range.
    """
    if not 0.0 <= loss_factor < 1.0:
        raise ValueError(f"loss_factor must be in [0, 1), got {loss_factor!r}.")
    if not np.all(np.asarray(yield_factor, dtype=float) > 0):
        raise ValueError(f"yield_factor must be > 0, got {yield_factor!r}.")
    if not hub_height_m > TEMPERATURE_HEIGHT_M:
        raise ValueError(f"hub_height_m must be above {TEMPERATURE_HEIGHT_M:g} m, got {hub_height_m!r}.")
    curve_speeds, curve_power = _power_curve(turbine)
    check_weather(weather, origin="wind_capacity_factor")
    weather = select_sites(weather, sites)
    site_ids = [str(s) for s in weather["site"].to_numpy()]
    z0 = _roughness(roughness_length_m, site_ids)
    wind_height = float(weather.attrs["wind_height_m"])
    if np.any(z0 >= min(wind_height, hub_height_m)):
        raise ValueError(
            f"roughness lengths must lie below the wind measurement height ({wind_height:g} m) and the hub "
            f"height ({hub_height_m:g} m); got {dict(zip(site_ids, z0.tolist(), strict=True))}."
        )

    def values(name: str) -> np.ndarray:
        return np.asarray(weather[name].transpose("time", "site").to_numpy(), dtype=float)

    wind_hub = logarithmic_profile(values("wind_speed"), wind_height, hub_height_m, z0)
    rho = air_density(values("pressure"), values("temp_air"), hub_height_m)
    power = density_corrected_power(wind_hub, rho, curve_speeds, curve_power)
    cf = np.clip(power * (1.0 - loss_factor) * np.asarray(yield_factor, dtype=float), 0.0, 1.0)

    return site_capacity_factor(
        cf,
        weather,
        weather.indexes["time"],
        {
            "long_name": "wind capacity factor relative to nominal turbine power",
            "turbine": turbine,
            "hub_height_m": float(hub_height_m),
            "loss_factor": float(loss_factor),
        },
    )


def logarithmic_profile(
    wind_speed: np.ndarray, height_m: float, hub_height_m: float, roughness_length_m: np.ndarray | float
) -> np.ndarray:
    """Wind speed at hub height by the logarithmic wind profile (neutral stratification, no obstacles).

    Parameters
    ----------
    wind_speed : wind speed at ``height_m`` [m/s].
    height_m : height of ``wind_speed`` above ground [m].
    hub_height_m : hub height above ground [m].
    roughness_length_m : surface roughness length [m], broadcasting against ``wind_speed``.

    Returns
    -------
    numpy.ndarray
        Wind speed at hub height [m/s]: ``v * ln(h_hub / z0) / ln(h / z0)``.
    """
    z0 = np.asarray(roughness_length_m, dtype=float)
    return np.asarray(wind_speed, dtype=float) * (np.log(hub_height_m / z0) / np.log(height_m / z0))


def air_density(pressure: np.ndarray, temp_air: np.ndarray, hub_height_m: float) -> np.ndarray:
    """Air density at hub height from surface pressure and 2 m air temperature.

    Parameters
    ----------
    pressure : surface air pressure [Pa].
    temp_air : air temperature at 2 m [degC].
    hub_height_m : hub height above ground [m].

    Returns
    -------
    numpy.ndarray
        Air density at hub height [kg/m^3], by the ideal gas law ``p_hub / (R T_hub)`` with ``T_hub`` from a
        -6.5 K/km gradient and ``p_hub`` from a -1/8 hPa/m pressure gradient.
    """
    t_hub = np.asarray(temp_air, dtype=float) + 273.15 + LAPSE_RATE * (hub_height_m - TEMPERATURE_HEIGHT_M)
    p_hub = np.asarray(pressure, dtype=float) + PRESSURE_GRADIENT * hub_height_m
    return p_hub / (GAS_CONSTANT_DRY_AIR * t_hub)


def density_corrected_power(
    wind_speed: np.ndarray, density: np.ndarray, curve_speeds: np.ndarray, curve_power: np.ndarray
) -> np.ndarray:
    """Power from a power curve corrected for air density, vectorised over any number of hours and sites.

    Each curve speed ``v_i`` moves to ``v_i * (1.225 / density) ** e(v_i)``, ``e`` being 1/3 below 7.5 m/s,
    2/3 above 12.5 m/s and linear in between; power is interpolated linearly on the moved curve and is
    zero below its first and above its last speed (as :func:`numpy.interp` with ``left=right=0``, which
    windpowerlib's ``power_curve_density_correction`` applies one time step at a time).

    Parameters
    ----------
    wind_speed : hub-height wind speed [m/s].
    density : air density at hub height [kg/m^3], the same shape as ``wind_speed``.
    curve_speeds : power-curve wind speeds, increasing [m/s].
    curve_power : power at ``curve_speeds``, in any unit.

    Returns
    -------
    numpy.ndarray
        Power in the unit of ``curve_power``, the shape of ``wind_speed``.
    """
    v = np.asarray(wind_speed, dtype=float)
    shape = v.shape
    v = v.ravel()
    ratio = (RHO_REFERENCE / np.broadcast_to(np.asarray(density, dtype=float), shape)).ravel()
    xs = np.asarray(curve_speeds, dtype=float)
    ps = np.asarray(curve_power, dtype=float)
    exponent = np.interp(xs, [7.5, 12.5], [1.0 / 3.0, 2.0 / 3.0])
    out = np.zeros(v.size)
    last = xs.size - 1
    for lo in range(0, v.size, _CHUNK):
        vc = v[lo : lo + _CHUNK]
        moved = xs[None, :] * ratio[lo : lo + _CHUNK, None] ** exponent[None, :]
        i = np.count_nonzero(moved <= vc[:, None], axis=1) - 1  # last moved speed <= v
        j = np.clip(i, 0, last - 1)
        rows = np.arange(vc.size)
        x0, x1 = moved[rows, j], moved[rows, j + 1]
        frac = np.clip((vc - x0) / (x1 - x0), 0.0, 1.0)
        p = ps[j] + frac * (ps[j + 1] - ps[j])
        inside = (i >= 0) & ((i < last) | (vc == moved[:, last]))
        out[lo : lo + _CHUNK] = np.where(inside, p, 0.0)
    return out.reshape(shape)


@functools.cache
def _library() -> tuple[tuple[str, ...], dict[str, float], pd.DataFrame]:
    """Turbine types with a power curve, their nominal power [W] and the power curve table [W].

    Read from the CSV files windpowerlib ships (the files ``windpowerlib.WindTurbine`` reads; its
    ``get_turbine_data_from_file`` is not called because it uses pandas' deprecated ``inplace``).
    """
    curves = pd.read_csv(os.path.join(_LIBRARY, "power_curves.csv"), index_col=0)
    curves.index = curves.index.astype(str)
    data = pd.read_csv(os.path.join(_LIBRARY, "turbine_data.csv"), index_col=0)
    data.index = data.index.astype(str)
    nominal = pd.to_numeric(data["nominal_power"], errors="coerce").dropna()
    nominal = nominal[nominal > 0]
    names = sorted(set(curves.index) & set(nominal.index))
    return tuple(names), {name: float(nominal.loc[name]) for name in names}, curves


@functools.cache
def _power_curve(turbine: str) -> tuple[np.ndarray, np.ndarray]:
    names, nominal, curves = _library()
    if turbine not in nominal:
        close = difflib.get_close_matches(str(turbine), names, n=5, cutoff=0.5)
        hint = f"close matches: {', '.join(close)}" if close else "no close match"
        raise ZoneError(
            f"unknown wind turbine type {turbine!r} ({hint}); greenzone.resources.wind.available_turbines() "
            f"lists the {len(names)} types in windpowerlib's turbine library."
        )
    row = curves.loc[turbine].dropna()
    speeds = row.index.to_numpy(dtype=float)
    order = np.argsort(speeds)
    speeds = speeds[order]
    power = row.to_numpy(dtype=float)[order] / nominal[turbine]
    speeds.flags.writeable = False
    power.flags.writeable = False
    return speeds, power


def _roughness(roughness_length_m: float | Mapping[str, float], site_ids: list[str]) -> np.ndarray:
    """Roughness length per site [m], as an array over sites."""
    if isinstance(roughness_length_m, Mapping):
        missing = [s for s in site_ids if s not in roughness_length_m]
        if missing:
            raise ZoneError(
                f"no roughness length for site {', '.join(map(repr, missing))}; give one per site."
            )
        z0 = np.array([float(roughness_length_m[s]) for s in site_ids])
    else:
        z0 = np.full(len(site_ids), float(roughness_length_m))
    if np.any(~(z0 > 0.0)):
        raise ValueError(f"roughness lengths must be positive [m], got {z0.tolist()}.")
    return z0
