"""Hourly series given in local time (demand and price CSVs), mapped once onto the model's UTC hours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from greenzone.errors import ZoneError
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
    repeated for every year by hour of the year. ``field`` names the zone field in error messages;
    ``minimum`` is the smallest value allowed.
    """
    try:
        df = pd.read_csv(path, comment="#")
    except (OSError, ValueError) as exc:
        raise ZoneError(f"{path}: cannot read the CSV named in {field} ({exc}).") from None
    missing = {"time", column} - set(df.columns)
    if missing:
        raise ZoneError(
            f"{path} ({field}): needs columns 'time' (local time) and '{column}' [{unit}]; lacks {sorted(missing)}."
        )
    try:
        local = pd.DatetimeIndex(pd.to_datetime(df["time"]))
    except (ValueError, TypeError) as exc:
        raise ZoneError(f"{path} ({field}): the 'time' column cannot be read as dates ({exc}).") from None
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(float)
    if np.isnan(values).any():
        row = int(np.flatnonzero(np.isnan(values))[0]) + 2
        raise ZoneError(f"{path} ({field}): line {row}: '{column}' is empty or not a number.")
    if minimum is not None and (values < minimum).any():
        raise ZoneError(f"{path} ({field}): '{column}' must be >= {minimum:g} {unit}.")
    utc = local.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC").tz_localize(None)
    if utc.has_duplicates or utc.isna().any():
        raise ZoneError(f"{path} ({field}): duplicate or non-existent local times (daylight-saving change?).")
    steps = np.diff(utc.values).astype("timedelta64[s]").astype(np.int64)
    if (steps != 3600).any():
        i = int(np.flatnonzero(steps != 3600)[0])
        raise ZoneError(
            f"{path} ({field}): hourly values needed with no gaps; the step after {local[i]} is not 1 h."
        )
    series = pd.Series(values, index=utc)
    if time.isin(utc).all():
        return series.reindex(time).to_numpy()
    if len(series) in (8760, 8784):
        start = time.year.map(lambda y: pd.Timestamp(year=y, month=1, day=1))
        hour_of_year = np.asarray((time - start) // pd.Timedelta("1h"))
        return values[hour_of_year % len(values)]
    raise ZoneError(
        f"{path} ({field}): the CSV covers {utc[0]} to {utc[-1]} UTC but the model runs {time[0]} to {time[-1]}; "
        "give every hour or exactly one year of hours."
    )


def hourly_price(
    series: float | HourlySeries, time: pd.DatetimeIndex, timezone: str, field: str
) -> np.ndarray:
    """A constant price, or an hourly price CSV in local time, on the model hours [USD/MWh]."""
    if not isinstance(series, HourlySeries):
        return np.full(len(time), float(series))
    return read_local_hourly_csv(
        series.csv, time, timezone, column=series.column, unit="USD/MWh", field=field
    )
