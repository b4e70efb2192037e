"""Hourly series given in local time (demand and price CSVs), mapped once onto the model's UTC hours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from greenzone.errors import ZoneError
from greenzone.safe_read import read_hourly_series
from greenzone.zone.schema import HourlySeries


def read_local_hourly_csv(
    path: str | Path,
    time: pd.DatetimeIndex,
    timezone: str,
    *,
    column: str,
    unit: str,
    field: str,
    minimum: float | None = None,
) -> np.ndarray:
    """Values of ``column`` [``unit``] from a CSV whose ``time`` column is in local time, on ``time`` (UTC).

    The CSV either covers every hour of ``time`` or holds one year of hours (8,760 or 8,784), which is then
    repeated for every year by hour of the year. Times written with a UTC offset (``2027-01-01 00:00+04:00``)
    are converted to UTC; times without one are local times of ``timezone``. ``field`` names the zone field in
    messages (with the zone file in front when known: ``zone.yaml: nodes[2].demand.csv``); ``minimum`` is the
    smallest value allowed. The file is read under :mod:`greenzone.safe_read` (size, kind, UTF-8); every cell
    must be a finite number.
    """
    series = read_hourly_series(
        path,
        timezone=timezone,
        column=column,
        unit=unit,
        label=f"{field}: {path}",
        error=ZoneError,
        minimum=minimum,
    )
    utc, values = series.index, series.to_numpy()
    if time.isin(utc).all():
        return series.reindex(time).to_numpy()
    if len(series) in (8760, 8784):
        start = time.year.map(lambda y: pd.Timestamp(year=y, month=1, day=1))
        hour_of_year = np.asarray((time - start) // pd.Timedelta("1h"))
        return values[hour_of_year % len(values)]
    raise ZoneError(
        f"{field}: {path}: the CSV covers {utc[0]} to {utc[-1]} UTC but the model runs {time[0]} to {time[-1]}; "
        "give every hour or exactly one year of hours."
    )


def hourly_price(
    series: float | HourlySeries, time: pd.DatetimeIndex, timezone: str, field: str
) -> np.ndarray:
    """A constant price, or an hourly price CSV in local time, on the model hours [USD/MWh]."""
    if not isinstance(series, HourlySeries):
        return np.full(len(time), float(series))
    where = f"{series._zone_file}: {field}.csv" if series._zone_file else f"{field}.csv"
    return read_local_hourly_csv(
        series.csv, time, timezone, column=series.column, unit="USD/MWh", field=where
    )
