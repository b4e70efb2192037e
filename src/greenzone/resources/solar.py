"""Solar PV capacity factors from a Weather, with pvlib's models, vectorised across sites.

The chain is the one pvlib's :class:`pvlib.modelchain.ModelChain` runs with ``dc_model="pvwatts"``,
``ac_model="pvwatts"``, ``aoi_model="physical"``, ``spectral_model="no_loss"``, ``temperature_model="sapm"``
and ``transposition_model="haydavies"``; it is written out here so that all sites go through each step at
once instead of one ModelChain per site:

1. solar position at the middle of each hour (Weather values are means over ``[time, time + 1 h)``),
   by NREL's SPA (``method="nrel_numpy"``) with the hour's pressure and air temperature for refraction;
2. orientation: a fixed plane, or a horizontal single-axis tracker with backtracking
   (:func:`pvlib.tracking.singleaxis`);
3. plane-of-array irradiance by the Hay-Davies sky model (:func:`pvlib.irradiance.get_total_irradiance`);
4. reflection loss of the beam by the physical incidence angle modifier (:func:`pvlib.iam.physical`);
5. cell temperature by the SAPM model, open rack, glass/glass (:func:`pvlib.temperature.sapm_cell`);
6. DC power by PVWatts (:func:`pvlib.pvsystem.pvwatts_dc`) for ``dc_ac_ratio`` MW of modules per MW of
   inverter, times ``1 - system_losses``;
7. AC power by the PVWatts inverter model (:func:`pvlib.inverter.pvwatts`) with a nominal AC output of 1,
   so that the result is already the capacity factor relative to the AC (inverter) rating.

``tests/test_resources_solar.py`` checks the result against ModelChain itself on the same weather.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pvlib
import xarray as xr

from greenzone.resources.sites import select_sites, site_capacity_factor
from greenzone.weather.schema import check_weather

Tracking = Literal["fixed", "single_axis"]

SAPM_WIND_HEIGHT_M = 10.0
"""Height of the wind speed the SAPM cell-temperature model was fitted to [m]."""

WIND_SHEAR_EXPONENT = 1.0 / 7.0
"""Power-law exponent that moves the Weather's wind speed to :data:`SAPM_WIND_HEIGHT_M`."""

SAPM_PARAMETERS = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
"""SAPM cell-temperature parameters ``a``, ``b``, ``deltaT`` of an open-rack glass/glass module."""


def optimal_tilt(lat: np.ndarray | float) -> np.ndarray:
    """Fixed tilt that maximises annual yield, by a rule of thumb in latitude.

    ``tilt = 0.76 * |lat| + 3.1`` [deg], the linear fit C. R. Landau gives for latitudes 25 to 50 deg
    ("Optimum tilt of solar panels", solarpaneltilt.com); it stays within a few degrees of a full
    optimisation there, where the annual yield is flat around its optimum. Capped at 90 deg.

    Parameters
    ----------
    lat : latitude [deg], north positive.

    Returns
    -------
    numpy.ndarray
        Tilt from horizontal [deg].
    """
    return np.minimum(0.76 * np.abs(np.asarray(lat, dtype=float)) + 3.1, 90.0)


def solar_capacity_factor(
    weather: xr.Dataset,
    *,
    sites: list[str] | None = None,
    tracking: Tracking = "fixed",
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    dc_ac_ratio: float = 1.25,
    temp_coefficient_per_c: float = -0.0035,
    system_losses: float = 0.14,
    inverter_efficiency: float = 0.96,
    albedo: float = 0.2,
    axis_tilt_deg: float = 0.0,
    axis_azimuth_deg: float = 180.0,
    max_angle_deg: float = 55.0,
    gcr: float = 0.35,
    backtrack: bool = True,
    dc_yield_factor: float | np.ndarray = 1.0,
) -> xr.DataArray:
    """Hourly AC capacity factor of a PV plant at each site.

    Parameters
    ----------
    weather : a Weather (see :mod:`greenzone.weather.schema`): ``ghi``, ``dni``, ``dhi`` [W/m^2] as hourly
        means, ``temp_air`` [degC], ``pressure`` [Pa] and ``wind_speed`` [m/s] at
        ``attrs["wind_height_m"]`` [m], over (time, site), time labelling the start of each hour.
    sites : site ids to compute; all of the Weather's sites when None.
    tracking : ``"fixed"`` for a fixed plane, ``"single_axis"`` for a single-axis tracker.
    tilt_deg : tilt of a fixed plane from horizontal [deg]; None gives each site
        :func:`optimal_tilt` of its latitude. Ignored for trackers.
    azimuth_deg : azimuth a fixed plane faces [deg], clockwise from north (180 faces south; use 0 south of
        the equator). Ignored for trackers.
    dc_ac_ratio : module (DC) rating per inverter (AC) rating [MW/MW].
    temp_coefficient_per_c : relative change of DC power per degree of cell temperature [1/degC].
    system_losses : fraction of DC power lost to soiling, wiring, mismatch, availability and the like [-],
        applied as one factor ``1 - system_losses`` before the inverter (PVWatts' ``losses``).
    inverter_efficiency : nominal inverter efficiency [-] (PVWatts' ``eta_inv_nom``).
    albedo : ground reflectance [-].
    axis_tilt_deg, axis_azimuth_deg : tilt [deg] and azimuth [deg] of the tracker axis.
    max_angle_deg : largest rotation of the tracker from its flat position [deg].
    gcr : ground coverage ratio of the tracker rows [-].
    backtrack : whether the tracker backtracks to avoid row-to-row shading.
    dc_yield_factor : calibration factor on the DC output before the inverter [-], one for all sites or one
        per site in ``sites`` order (:class:`greenzone.zone.schema.Calibration`, quantity ``dc_yield``).

    Returns
    -------
    xarray.DataArray
        Capacity factor over (time, site) [MW/MW], AC output per MW of inverter capacity, in [0, 1]; the
        same time labels as ``weather``.

    Notes
    -----
    Solar geometry is evaluated at ``time + 30 min``, the middle of each hour the irradiance is averaged
    over. The SAPM cell-temperature model expects wind speed at 10 m; wind at any other
    ``attrs["wind_height_m"]`` is moved to 10 m by the power law with exponent 1/7. A tracker whose sun is
    below the horizon at mid-hour lies flat (tilt ``axis_tilt_deg``, facing ``axis_azimuth_deg``), so the
    diffuse light of an hour whose sunrise or sunset falls after or before its middle still counts;
    ModelChain returns 0 for such hours (its tracker angles are NaN there).

    Raises
    ------
    WeatherError
        If the Weather is malformed or lacks a requested site.
    ValueError
        If a plant parameter is out of its range.
    """
    if not 0.0 < inverter_efficiency <= 1.0:
        raise ValueError(f"inverter_efficiency must be in (0, 1], got {inverter_efficiency!r}.")
    factor = np.asarray(dc_yield_factor, dtype=float)
    if not np.all(factor > 0):
        raise ValueError(f"dc_yield_factor must be > 0, got {dc_yield_factor!r}.")
    dc = solar_dc_output(
        weather,
        sites=sites,
        tracking=tracking,
        tilt_deg=tilt_deg,
        azimuth_deg=azimuth_deg,
        dc_ac_ratio=dc_ac_ratio,
        temp_coefficient_per_c=temp_coefficient_per_c,
        system_losses=system_losses,
        albedo=albedo,
        axis_tilt_deg=axis_tilt_deg,
        axis_azimuth_deg=axis_azimuth_deg,
        max_angle_deg=max_angle_deg,
        gcr=gcr,
        backtrack=backtrack,
    )
    cf = inverter_capacity_factor(dc.to_numpy() * factor, inverter_efficiency)
    return (
        dc.copy(data=cf)
        .assign_attrs(
            long_name="solar PV capacity factor relative to AC (inverter) capacity",
            tracking=tracking,
            dc_ac_ratio=float(dc_ac_ratio),
        )
        .rename("capacity_factor")
    )


def inverter_capacity_factor(dc: np.ndarray, inverter_efficiency: float) -> np.ndarray:
    """AC output per MW of inverter capacity [MW/MW] of a DC input per MW of inverter capacity [MW/MW], by the
    PVWatts inverter model with its AC rating at 1 (clipping included), in [0, 1]."""
    # PVWatts' inverter limits AC to eta_inv_nom * pdc0; pdc0 = 1 / eta makes the AC rating exactly 1.
    ac = pvlib.inverter.pvwatts(dc, pdc0=1.0 / inverter_efficiency, eta_inv_nom=inverter_efficiency)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float), nan=0.0), 0.0, 1.0)


def solar_dc_output(
    weather: xr.Dataset,
    *,
    sites: list[str] | None = None,
    tracking: Tracking = "fixed",
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    dc_ac_ratio: float = 1.25,
    temp_coefficient_per_c: float = -0.0035,
    system_losses: float = 0.14,
    albedo: float = 0.2,
    axis_tilt_deg: float = 0.0,
    axis_azimuth_deg: float = 180.0,
    max_angle_deg: float = 55.0,
    gcr: float = 0.35,
    backtrack: bool = True,
) -> xr.DataArray:
    """Hourly DC output of a PV plant per MW of its inverter (AC) capacity [MW/MW], after ``system_losses``
    and before the inverter: steps 1 to 6 of the chain above; the parameters are those of
    :func:`solar_capacity_factor`. Not capped: it may exceed the AC rating, which the inverter clips."""
    _check_parameters(
        tracking=tracking,
        tilt_deg=tilt_deg,
        dc_ac_ratio=dc_ac_ratio,
        system_losses=system_losses,
        inverter_efficiency=1.0,
        albedo=albedo,
        gcr=gcr,
        max_angle_deg=max_angle_deg,
    )
    check_weather(weather, origin="solar_capacity_factor")
    weather = select_sites(weather, sites)
    start = weather.indexes["time"]
    times = (start + pd.Timedelta(minutes=30)).tz_localize("UTC")

    def values(name: str) -> np.ndarray:
        return np.asarray(weather[name].transpose("time", "site").to_numpy(), dtype=float)

    ghi, dni, dhi = values("ghi"), values("dni"), values("dhi")
    temp_air, pressure = values("temp_air"), values("pressure")
    wind_10m = (
        values("wind_speed")
        * (SAPM_WIND_HEIGHT_M / float(weather.attrs["wind_height_m"])) ** WIND_SHEAR_EXPONENT
    )

    lat = np.asarray(weather["lat"].to_numpy(), dtype=float)
    zenith, azimuth = _solar_position(
        times,
        lat=lat,
        lon=np.asarray(weather["lon"].to_numpy(), dtype=float),
        elevation=np.asarray(weather["elevation"].to_numpy(), dtype=float),
        pressure=pressure,
        temp_air=temp_air,
    )
    if tracking == "single_axis":
        surface_tilt, surface_azimuth = _tracker_orientation(
            zenith,
            azimuth,
            axis_tilt_deg=axis_tilt_deg,
            axis_azimuth_deg=axis_azimuth_deg,
            max_angle_deg=max_angle_deg,
            gcr=gcr,
            backtrack=backtrack,
        )
    else:
        tilt = optimal_tilt(lat) if tilt_deg is None else float(tilt_deg)
        surface_tilt = np.broadcast_to(tilt, zenith.shape)
        surface_azimuth = np.full(zenith.shape, float(azimuth_deg))

    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt,
        surface_azimuth,
        zenith,
        azimuth,
        dni,
        ghi,
        dhi,
        dni_extra=pvlib.irradiance.get_extra_radiation(times.day_of_year.to_numpy())[:, None],
        albedo=albedo,
        model="haydavies",
    )
    aoi = pvlib.irradiance.aoi(surface_tilt, surface_azimuth, zenith, azimuth)
    effective = poa["poa_direct"] * pvlib.iam.physical(aoi) + poa["poa_diffuse"]
    temp_cell = pvlib.temperature.sapm_cell(poa["poa_global"], temp_air, wind_10m, **SAPM_PARAMETERS)
    dc = pvlib.pvsystem.pvwatts_dc(
        effective, temp_cell, pdc0=dc_ac_ratio, gamma_pdc=temp_coefficient_per_c
    ) * (1.0 - system_losses)

    return site_capacity_factor(
        np.nan_to_num(np.asarray(dc, dtype=float), nan=0.0),
        weather,
        start,
        {"long_name": "PV DC output per MW of inverter capacity", "units": "MW/MW"},
    ).rename("dc_output")


def _solar_position(
    times: pd.DatetimeIndex,
    *,
    lat: np.ndarray,
    lon: np.ndarray,
    elevation: np.ndarray,
    pressure: np.ndarray,
    temp_air: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent (refracted) solar zenith [deg] and azimuth [deg] over (time, site), by NREL's SPA."""
    zenith = np.empty(pressure.shape)
    azimuth = np.empty(pressure.shape)
    for j in range(pressure.shape[1]):
        position = pvlib.solarposition.get_solarposition(
            times,
            lat[j],
            lon[j],
            altitude=elevation[j],
            pressure=pressure[:, j],
            temperature=temp_air[:, j],
            method="nrel_numpy",
        )
        zenith[:, j] = position["apparent_zenith"].to_numpy()
        azimuth[:, j] = position["azimuth"].to_numpy()
    return zenith, azimuth


def _tracker_orientation(
    zenith: np.ndarray,
    azimuth: np.ndarray,
    *,
    axis_tilt_deg: float,
    axis_azimuth_deg: float,
    max_angle_deg: float,
    gcr: float,
    backtrack: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Surface tilt [deg] and azimuth [deg] of a single-axis tracker; flat while the sun is down."""
    angles = pvlib.tracking.singleaxis(
        zenith.ravel(),
        azimuth.ravel(),
        axis_tilt=axis_tilt_deg,
        axis_azimuth=axis_azimuth_deg,
        max_angle=max_angle_deg,
        backtrack=backtrack,
        gcr=gcr,
    )
    tilt = np.nan_to_num(np.asarray(angles["surface_tilt"], dtype=float), nan=axis_tilt_deg)
    surface_azimuth = np.nan_to_num(np.asarray(angles["surface_azimuth"], dtype=float), nan=axis_azimuth_deg)
    return tilt.reshape(zenith.shape), surface_azimuth.reshape(zenith.shape)


def _check_parameters(
    *,
    tracking: str,
    tilt_deg: float | None,
    dc_ac_ratio: float,
    system_losses: float,
    inverter_efficiency: float,
    albedo: float,
    gcr: float,
    max_angle_deg: float,
) -> None:
    if tracking not in ("fixed", "single_axis"):
        raise ValueError(f"tracking must be 'fixed' or 'single_axis', not {tracking!r}.")
    checks = {
        "tilt_deg": (tilt_deg, tilt_deg is None or 0.0 <= tilt_deg <= 90.0, "None or in [0, 90]"),
        "dc_ac_ratio": (dc_ac_ratio, 0.0 < dc_ac_ratio <= 5.0, "in (0, 5]"),
        "system_losses": (system_losses, 0.0 <= system_losses < 1.0, "in [0, 1)"),
        "inverter_efficiency": (inverter_efficiency, 0.0 < inverter_efficiency <= 1.0, "in (0, 1]"),
        "albedo": (albedo, 0.0 <= albedo <= 1.0, "in [0, 1]"),
        "gcr": (gcr, 0.0 < gcr <= 1.0, "in (0, 1]"),
        "max_angle_deg": (max_angle_deg, 0.0 <= max_angle_deg <= 90.0, "in [0, 90]"),
    }
    for name, (value, ok, allowed) in checks.items():
        if not ok:
            raise ValueError(f"{name} must be {allowed}, got {value!r}.")
