"""Hourly electricity demand per node [MW]: a built-in shape scaled to the annual total, or an hourly CSV.

The built-in shapes are SYNTHETIC (no measured load curve of the zone is published): typical daily curves
for residential, commercial and industrial load in local time, a weekend dip, and a temperature response
(heating below 15 degC and cooling above 22 degC of the day's mean temperature, per the node's
``heating_share_per_degc`` and ``cooling_share_per_degc``). Each calendar year of the weather is scaled so
that its energy equals the node's annual demand for the year (``annual_mwh``, or ``population`` × ``use_mwh_per_person``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import ZoneError
from greenzone.resources.series import read_local_hourly_csv
from greenzone.zone.schema import Demand, Zone

# Relative load by local hour (0..23), weekdays; est. shapes, not measured.
_DAILY_SHAPES: dict[str, np.ndarray] = {
    "residential": np.array(
        [
            0.45,
            0.40,
            0.37,
            0.36,
            0.37,
            0.45,
            0.60,
            0.75,
            0.72,
            0.65,
            0.62,
            0.62,
            0.64,
            0.62,
            0.60,
            0.63,
            0.72,
            0.88,
            0.98,
            1.00,
            1.00,
            0.90,
            0.72,
            0.55,
        ]
    ),
    "commercial": np.array(
        [
            0.42,
            0.40,
            0.40,
            0.40,
            0.41,
            0.45,
            0.55,
            0.72,
            0.90,
            0.98,
            1.00,
            1.00,
            0.98,
            1.00,
            1.00,
            0.98,
            0.95,
            0.88,
            0.78,
            0.70,
            0.62,
            0.55,
            0.48,
            0.45,
        ]
    ),
    "industrial": np.array(
        [
            0.80,
            0.78,
            0.78,
            0.78,
            0.78,
            0.80,
            0.88,
            0.96,
            1.00,
            1.00,
            1.00,
            1.00,
            0.97,
            1.00,
            1.00,
            1.00,
            0.98,
            0.95,
            0.92,
            0.90,
            0.88,
            0.86,
            0.84,
            0.82,
        ]
    ),
    "flat": np.ones(24),
}
_WEEKEND_FACTOR = {"residential": 1.05, "commercial": 0.65, "industrial": 0.85, "flat": 1.0}
_MIX = {"residential": 0.5, "commercial": 0.3, "industrial": 0.2}
HEATING_BASE_C = 15.0
"""Daily mean temperature below which load rises for heating [degC]."""
COOLING_BASE_C = 22.0
"""Daily mean temperature above which load rises for cooling [degC]."""


def shape(profile: str, local_time: pd.DatetimeIndex) -> np.ndarray:
    """Relative load [-] of a built-in profile at the given local times (peak weekday hour = 1)."""
    if profile == "mixed":
        return sum(w * shape(p, local_time) for p, w in _MIX.items())
    hours = local_time.hour.to_numpy()
    weekend = local_time.day_of_week.to_numpy() >= 5
    return _DAILY_SHAPES[profile][hours] * np.where(weekend, _WEEKEND_FACTOR[profile], 1.0)


def temperature_factor(demand: Demand, temp_air: np.ndarray, local_time: pd.DatetimeIndex) -> np.ndarray:
    """1 + heating and cooling response to the local day's mean temperature [-].

    Parameters
    ----------
    temp_air : hourly air temperature [degC] on the same times as ``local_time``.
    """
    daily_mean = pd.Series(temp_air, index=local_time).groupby(local_time.normalize()).transform("mean")
    t = daily_mean.to_numpy()
    return (
        1.0
        + demand.heating_share_per_degc * np.maximum(HEATING_BASE_C - t, 0.0)
        + demand.cooling_share_per_degc * np.maximum(t - COOLING_BASE_C, 0.0)
    )


def scale_to_annual(
    values: np.ndarray, time: pd.DatetimeIndex, annual_mwh: float, *, field: str = "demand"
) -> np.ndarray:
    """Scale hourly values so that each calendar year (UTC) holds ``annual_mwh`` [MWh].

    A year the time index covers only in part is scaled so that its mean power matches the annual mean
    power ``annual_mwh / hours in that year`` [MW]. ``field`` names the demand in messages.
    """
    out = np.asarray(values, dtype=float).copy()
    years = time.year.to_numpy()
    for year in np.unique(years):
        mask = years == year
        hours_in_year = 8784 if pd.Timestamp(year=int(year), month=1, day=1).is_leap_year else 8760
        mean = out[mask].mean()
        if mean <= 0:
            raise ZoneError(
                f"{field}: the hourly demand of {year} sums to zero; it cannot be scaled to annual_mwh "
                f"{annual_mwh:g} MWh. Give a CSV with some demand in that year, or leave annual_mwh out."
            )
        out[mask] *= (annual_mwh / hours_in_year) / mean
    return out


def read_demand_csv(path: str | Path, time: pd.DatetimeIndex, timezone: str, *, field: str) -> np.ndarray:
    """Hourly demand [MW] from a CSV with columns ``time`` (local time) and ``value`` [MW], on ``time`` (UTC);
    see :func:`greenzone.resources.series.read_local_hourly_csv`."""
    return read_local_hourly_csv(path, time, timezone, column="value", unit="MW", field=field, minimum=0.0)


def demand_profiles(zone: Zone, weather: xr.Dataset, *, year: int | None = None) -> xr.DataArray:
    """Hourly demand [MW] over (time, node) for the zone's year (or ``year``), on the weather's time axis."""
    year = zone.year if year is None else year
    time = pd.DatetimeIndex(weather.indexes["time"])
    local_time = time.tz_localize("UTC").tz_convert(zone.timezone).tz_localize(None)
    data = np.zeros((len(time), len(zone.nodes)))
    for j, node in enumerate(zone.nodes):
        d = node.demand
        if d is None:
            continue
        field = f"nodes[{j}].demand" if zone.zone_file is None else f"{zone.zone_file}: nodes[{j}].demand"
        if d.csv is not None:
            values = read_demand_csv(d.csv, time, zone.timezone, field=f"{field}.csv")
            if d.has_annual:
                values = scale_to_annual(values, time, d.annual_at(year), field=f"{field}.csv: {d.csv}")
        else:
            temp = weather["temp_air"].sel(site=node.id).values
            values = shape(d.profile, local_time) * temperature_factor(d, temp, local_time)
            values = scale_to_annual(values, time, d.annual_at(year))
        data[:, j] = values
    da = xr.DataArray(
        data,
        dims=("time", "node"),
        coords={"time": time.values, "node": zone.node_ids},
        name="demand",
        attrs={"units": "MW", "long_name": "electricity demand", "year": year},
    )
    return da
