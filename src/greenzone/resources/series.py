"""Hourly series given in local time (demand and price CSVs), mapped once onto the model's UTC hours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from greenzone import safe_read
from greenzone.errors import ZoneError
from greenzone.safe_read import CsvTable, parse_numbers, parse_times, read_csv_table
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
    table = read_csv_table(
        path, what="CSV", error=ZoneError, limit=safe_read.MAX_SERIES_CSV_BYTES, label=f"{field}: {path}"
    )
    missing = [name for name in ("time", column) if name not in table.columns]
    if missing:
        raise ZoneError(
            f"{table.label}: needs columns 'time' (local time) and '{column}' [{unit}]; lacks "
            f"{', '.join(repr(m) for m in missing)} (has {', '.join(table.columns)})."
        )
    if not len(table):
        raise ZoneError(f"{table.label}: has a header but no rows; give one row per hour.")
    utc = parse_times(table, "time", timezone=timezone, error=ZoneError)
    values = parse_numbers(table, column, unit=unit, error=ZoneError)
    if minimum is not None and (values < minimum).any():
        row = int(np.flatnonzero(values < minimum)[0])
        raise ZoneError(
            f"{table.line(row)}: '{column}' is {values[row]:g}; it must be >= {minimum:g} {unit}."
        )
    _check_hourly(table, utc)
    series = pd.Series(values, index=utc)
    if time.isin(utc).all():
        return series.reindex(time).to_numpy()
    if len(series) in (8760, 8784):
        start = time.year.map(lambda y: pd.Timestamp(year=y, month=1, day=1))
        hour_of_year = np.asarray((time - start) // pd.Timedelta("1h"))
        return values[hour_of_year % len(values)]
    raise ZoneError(
        f"{table.label}: the CSV covers {utc[0]} to {utc[-1]} UTC but the model runs {time[0]} to {time[-1]}; "
        "give every hour or exactly one year of hours."
    )


def _check_hourly(table: CsvTable, utc: pd.DatetimeIndex) -> None:
    """Refuse repeated hours and steps other than one hour, naming the line."""
    if utc.has_duplicates:
        row = int(np.flatnonzero(utc.duplicated())[0])
        raise ZoneError(
            f"{table.line(row)}: {utc[row]} UTC appears twice; give each hour once (near a daylight-saving "
            "change, write the times with their UTC offset)."
        )
    steps = np.diff(utc.asi8) // 10**9 if len(utc) > 1 else np.array([], dtype=np.int64)
    if (steps != 3600).any():
        row = int(np.flatnonzero(steps != 3600)[0]) + 1
        raise ZoneError(
            f"{table.line(row)}: hourly values needed with no gaps, in time order; the step from the row before "
            f"is {steps[row - 1] / 3600:g} h, not 1 h."
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
