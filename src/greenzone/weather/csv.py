"""Weather from CSV files in greenzone's documented long format.

Weather file (one row per hour and site)::

    # wind_height_m: 10
    # time_label: start
    # any other comment line is ignored
    time,site,ghi,dni,dhi,temp_air,pressure,wind_speed
    2024-01-01T00:00,shusha,0,0,0,-2.5,85000,3.1
    2024-01-01T00:00,lachin,0,0,0,-1.0,87000,2.4
    ...

============== ========= ===========================================================================
column         unit      meaning
============== ========= ===========================================================================
``time``       ISO 8601  start of the hour (see "Times" below)
``site``       text      site id; must match the ``sites`` index (other sites are ignored)
``ghi``        [W/m^2]   global horizontal irradiance, mean over the hour
``dni``        [W/m^2]   direct normal irradiance, mean over the hour (optional, with ``dhi``)
``dhi``        [W/m^2]   diffuse horizontal irradiance, mean over the hour (optional, with ``dni``)
``temp_air``   [degC]    air temperature at 2 m
``pressure``   [Pa]      surface air pressure (optional)
``wind_speed`` [m/s]     wind speed at the height given by ``# wind_height_m:`` or ``wind_height_m=``
============== ========= ===========================================================================

Column names are matched without regard to case or surrounding spaces. When ``pressure`` is absent it is
computed from each site's elevation with :func:`pvlib.atmosphere.alt2pres` (constant in time). When ``dni``
and ``dhi`` are both absent they are split from ``ghi`` with the Erbs model (:func:`pvlib.irradiance.erbs`),
using the solar zenith at the middle of each hour; give both or neither.

Discharge file (optional, one row per hour, one column per river, [m^3/s])::

    time,terter,hakari
    2024-01-01T00:00,12.5,8.1

Times
-----
Each ``time`` labels the *start* of its hour, greenzone's own convention, unless the header says
``# time_label: end`` (or ``time_label="end"`` is passed), in which case every label is moved back one hour.
Times with an explicit UTC offset (``2024-01-01T04:00+04:00`` or ``...Z``) are converted to UTC; times
without one are local times of ``timezone`` (an IANA name such as ``"Asia/Baku"``) when given, else UTC.
All times in one file must be written the same way. The result is hourly, timezone-naive UTC, label = start
of the hour; local time is converted here, once.
"""

from __future__ import annotations

import contextlib
import io
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import xarray as xr

from greenzone import safe_read
from greenzone.errors import WeatherError
from greenzone.safe_read import read_text
from greenzone.weather.schema import make_weather

VARIABLE_MAP: dict[str, str] = {
    "time": "time",
    "site": "site",
    "ghi": "ghi",
    "dni": "dni",
    "dhi": "dhi",
    "temp_air": "temp_air",
    "pressure": "pressure",
    "wind_speed": "wind_speed",
}
"""Column names of the CSV format (lower-cased) → greenzone variable names."""

REQUIRED_COLUMNS = ("time", "site", "ghi", "temp_air", "wind_speed")
"""Columns every weather CSV must have; ``dni``/``dhi`` and ``pressure`` are optional."""

MAX_ZENITH_DEG = 85.0
"""Above this solar zenith [deg] all irradiance is treated as diffuse (DNI = 0): dividing by cos(zenith)
near the horizon turns small errors into huge DNI values."""

_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_DISCHARGE = "\x00discharge"  # the one "site" of a discharge table, never a real site id
_HEADER_KEY = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")


def read_csv(
    path: str | Path,
    *,
    sites: pd.DataFrame,
    timezone: str | None = None,
    wind_height_m: float | None = None,
    time_label: str | None = None,
    discharge_path: str | Path | None = None,
    context: str | None = None,
) -> xr.Dataset:
    """Read a weather CSV in the long format described in this module into a Weather.

    Parameters
    ----------
    path : the weather CSV file.
    sites : DataFrame indexed by site id with columns ``lat``, ``lon`` [deg] and ``elevation`` [m]; every
        site must be in the file, other sites in the file are ignored.
    timezone : IANA time zone of times written without a UTC offset (e.g. ``"Asia/Baku"``); ``None``: UTC.
    wind_height_m : height of ``wind_speed`` above ground [m]; overrides a ``# wind_height_m:`` header line.
        One of the two is required.
    time_label : ``"start"`` (default) or ``"end"``: which end of its hour each ``time`` marks; overrides a
        ``# time_label:`` header line. Source labels are converted to interval start.
    discharge_path : optional river discharge CSV (see :func:`read_discharge_csv`); it must cover every hour
        of the weather file.
    context : what refers to the file, put in front of every message, e.g. ``"zone.yaml: weather.path"``.

    Returns
    -------
    Weather (see :mod:`greenzone.weather.schema`) with ``source="csv"`` and ``synthetic=0``; hourly,
    timezone-naive UTC, label = start of the hour.

    Raises
    ------
    WeatherError
        naming the file, the column, row or time, and how to fix it.
    """
    with _referenced_by(context):
        path = Path(path)
        origin = path.name
        _check_sites(sites, origin)
        text = read_text(path, what="weather CSV", error=WeatherError, limit=safe_read.MAX_WEATHER_CSV_BYTES)
        header, n_header = _read_header(text)
        height = _wind_height(header, wind_height_m, origin)
        shift = _label_shift(header, time_label, origin)
        tz = _timezone(timezone, origin)

        table = _read_table(text, n_header, origin)
        missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
        if missing:
            raise WeatherError(
                f"{origin}: missing column(s) {', '.join(repr(c) for c in missing)}; a weather CSV needs the "
                f"columns {', '.join(REQUIRED_COLUMNS)} (plus optional dni, dhi, pressure). Found: "
                f"{', '.join(table.columns)}."
            )
        has_split = [c for c in ("dni", "dhi") if c in table.columns]
        if len(has_split) == 1:
            other = ({"dni", "dhi"} - set(has_split)).pop()
            raise WeatherError(
                f"{origin}: column '{has_split[0]}' is given without '{other}'; give both dni and dhi, or neither "
                "(then both are split from ghi with the Erbs model)."
            )

        wanted = [str(s) for s in sites.index]
        table = table[table["site"].isin(wanted)]
        absent = [s for s in wanted if s not in set(table["site"])]
        if absent:
            raise WeatherError(
                f"{origin}: no rows for site(s) {', '.join(absent)}; the 'site' column must contain every site of "
                "the zone (check the spelling of the ids)."
            )

        table = table.assign(time=_parse_times(table, tz, origin) - shift)
        columns = [c for c in VARIABLE_MAP if c in table.columns and c not in ("time", "site")]
        values = _parse_numbers(table, columns, origin)
        time = _common_hours(table, wanted, origin)

        frame = values.assign(time=table["time"].to_numpy(), site=table["site"].to_numpy())
        data: dict[str, np.ndarray] = {}
        for column in columns:
            wide = frame.pivot(index="time", columns="site", values=column).reindex(
                index=time, columns=wanted
            )
            data[VARIABLE_MAP[column]] = wide.to_numpy(float)
        if "pressure" not in data:
            data["pressure"] = pressure_from_elevation(sites, len(time))
        if "dni" not in data:
            data["dni"], data["dhi"] = split_ghi_erbs(data["ghi"], time=time, sites=sites)

        rivers, discharge = None, None
        if discharge_path is not None:
            flows = read_discharge_csv(discharge_path, timezone=timezone)
            gone = time.difference(flows.index)
            if len(gone):
                raise WeatherError(
                    f"{Path(discharge_path).name}: discharge lacks {len(gone)} hour(s) of the weather in {origin}, "
                    f"first {gone[0]:%Y-%m-%d %H:%M} UTC; it must cover {time[0]:%Y-%m-%d %H:%M} to "
                    f"{time[-1]:%Y-%m-%d %H:%M} UTC."
                )
            rivers = [str(r) for r in flows.columns]
            discharge = flows.loc[time].to_numpy(float)

        return build_weather(
            origin=origin,
            time=time,
            sites=sites,
            data=data,
            wind_height_m=height,
            source="csv",
            synthetic=False,
            title=f"Weather from {origin}",
            rivers=rivers,
            discharge=discharge,
            extra_attrs={"source_file": str(path)},
        )


def read_discharge_csv(
    path: str | Path, timezone: str | None = None, context: str | None = None
) -> pd.DataFrame:
    """Read river discharge [m^3/s] from a CSV with columns ``time, <river id>, <river id>, ...``.

    Times follow the same rules as :func:`read_csv` (start of the hour; explicit offsets converted; naive
    times are local times of ``timezone``, else UTC; ``# time_label: end`` shifts them back one hour).
    Leading ``#`` comment lines are allowed. ``context`` (e.g. ``"zone.yaml: weather.discharge"``) is put in
    front of every message.

    Returns
    -------
    DataFrame indexed by hourly, timezone-naive UTC time (start of the hour), one column per river [m^3/s].
    """
    with _referenced_by(context):
        path = Path(path)
        origin = path.name
        text = read_text(path, what="discharge CSV", error=WeatherError, limit=safe_read.MAX_SERIES_CSV_BYTES)
        header, n_header = _read_header(text)
        shift = _label_shift(header, None, origin)
        tz = _timezone(timezone, origin)
        table = _read_table(text, n_header, origin)
        if "time" not in table.columns:
            raise WeatherError(
                f"{origin}: a discharge CSV needs a 'time' column and one column per river id."
            )
        rivers = [c for c in table.columns if c not in ("time", "_line")]
        if not rivers:
            raise WeatherError(
                f"{origin}: no river columns; write one column of discharge [m^3/s] per river id."
            )
        table = table.assign(site=_DISCHARGE)
        table = table.assign(time=_parse_times(table, tz, origin) - shift)
        values = _parse_numbers(table, rivers, origin)
        time = _common_hours(table, [_DISCHARGE], origin)
        flows = values.set_axis(pd.DatetimeIndex(table["time"].to_numpy()), axis=0).reindex(time)
        negative = flows.lt(0).to_numpy()
        if negative.any():
            t, j = np.argwhere(negative)[0]
            raise WeatherError(
                f"{origin}: negative discharge in column '{rivers[j]}' at {time[t]:%Y-%m-%d %H:%M} UTC; discharge "
                "is a flow in [m^3/s] and cannot be negative."
            )
        flows.index.name = "time"
        flows.attrs["units"] = "m^3/s"
        return flows


@contextlib.contextmanager
def _referenced_by(context: str | None) -> Iterator[None]:
    """Put ``context`` (the zone file and field that name the CSV) in front of any WeatherError raised inside."""
    try:
        yield
    except WeatherError as err:
        if context is None:
            raise
        raise WeatherError(f"{context}: {err}") from None


# --- helpers shared by the weather readers (pvgis.py and era5.py import them) ---------------------------


def build_weather(*, origin: str, **kwargs) -> xr.Dataset:
    """:func:`make_weather`, with any :class:`WeatherError` re-worded to name ``origin`` (a file name)."""
    try:
        return make_weather(**kwargs)
    except WeatherError as err:
        text = str(err)
        prefix = f"{kwargs['source']}: "
        if text.startswith(prefix):
            text = text[len(prefix) :]
        raise WeatherError(f"{origin}: {text}") from None


def _check_sites(sites: pd.DataFrame, origin: str) -> None:
    """Raise unless ``sites`` is a non-empty DataFrame indexed by unique ids with lat, lon, elevation."""
    if not isinstance(sites, pd.DataFrame) or sites.empty:
        raise WeatherError(f"{origin}: 'sites' must be a non-empty DataFrame indexed by site id.")
    missing = [c for c in ("lat", "lon", "elevation") if c not in sites.columns]
    if missing:
        raise WeatherError(
            f"{origin}: the sites table lacks column(s) {', '.join(missing)}; it needs lat, lon [deg] and "
            "elevation [m], indexed by site id."
        )
    if not sites.index.is_unique:
        dup = sites.index[sites.index.duplicated()][0]
        raise WeatherError(f"{origin}: site id '{dup}' appears twice in the sites table.")


def pressure_from_elevation(sites: pd.DataFrame, n_hours: int) -> np.ndarray:
    """Standard-atmosphere surface pressure [Pa] at each site's elevation, repeated over ``n_hours``."""
    pressure = pvlib.atmosphere.alt2pres(sites["elevation"].to_numpy(float))
    return np.broadcast_to(pressure, (n_hours, len(sites))).copy()


def mid_hour_zenith(time: pd.DatetimeIndex, sites: pd.DataFrame) -> np.ndarray:
    """Solar zenith [deg] at the middle of each hour (``time`` = naive UTC hour starts), shape (time, site)."""
    middle = pd.DatetimeIndex(time).tz_localize("UTC") + pd.Timedelta(minutes=30)
    zenith = np.empty((len(middle), len(sites)))
    for j, (lat, lon, elevation) in enumerate(sites[["lat", "lon", "elevation"]].to_numpy(float)):
        position = pvlib.solarposition.get_solarposition(middle, lat, lon, altitude=elevation)
        zenith[:, j] = position["zenith"].to_numpy()
    return zenith


def split_direct(
    ghi: np.ndarray, direct_horizontal: np.ndarray, *, time: pd.DatetimeIndex, sites: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """DNI and DHI [W/m^2] from GHI and its direct part on a horizontal surface [W/m^2], shape (time, site).

    DNI = direct_horizontal / cos(zenith at mid-hour), capped at the extraterrestrial DNI; DNI = 0 where the
    zenith exceeds :data:`MAX_ZENITH_DEG`. DHI = GHI − DNI·cos(zenith), so what the guard and the cap take
    from the direct beam goes to the diffuse part and the closure GHI = DHI + DNI·cos(zenith) holds exactly.
    """
    return _close(ghi, direct_horizontal, mid_hour_zenith(time, sites), time)


def split_ghi_erbs(
    ghi: np.ndarray, *, time: pd.DatetimeIndex, sites: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """DNI and DHI [W/m^2] split from GHI [W/m^2] with the Erbs model at mid-hour, shape (time, site).

    The diffuse fraction comes from :func:`pvlib.irradiance.erbs`; the direct part GHI − DHI is then turned
    into DNI exactly as in :func:`split_direct` (same low-sun guard, cap and closure).
    """
    zenith = mid_hour_zenith(time, sites)
    day_of_year = (pd.DatetimeIndex(time) + pd.Timedelta(minutes=30)).day_of_year.to_numpy()
    direct = np.empty_like(ghi, dtype=float)
    for j in range(ghi.shape[1]):
        parts = pvlib.irradiance.erbs(ghi[:, j], zenith[:, j], day_of_year, max_zenith=MAX_ZENITH_DEG)
        direct[:, j] = ghi[:, j] - np.nan_to_num(np.asarray(parts["dhi"], dtype=float))
    return _close(ghi, direct, zenith, time)


def _close(
    ghi: np.ndarray, direct_horizontal: np.ndarray, zenith: np.ndarray, time: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    cos_zenith = np.cos(np.radians(zenith))
    direct = np.clip(direct_horizontal, 0.0, np.clip(ghi, 0.0, None))
    sun_up = zenith <= MAX_ZENITH_DEG
    dni = np.where(sun_up, direct / np.where(sun_up, cos_zenith, 1.0), 0.0)
    day_of_year = pd.DatetimeIndex(time).day_of_year.to_numpy()
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(day_of_year), dtype=float)[:, None]
    dni = np.minimum(dni, dni_extra)
    dhi = np.clip(ghi - dni * cos_zenith, 0.0, None)
    return dni, dhi


# --- private --------------------------------------------------------------------------------------------


def _read_header(text: str) -> tuple[dict[str, str], int]:
    """Leading ``#`` comment lines (and blank lines) of a file's text as ``{key: value}`` and their count."""
    header: dict[str, str] = {}
    count = 0
    for line in io.StringIO(text):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        count += 1
        match = _HEADER_KEY.match(stripped)
        if match:
            header[match.group(1).lower()] = match.group(2)
    return header, count


def _read_table(text: str, n_header: int, origin: str) -> pd.DataFrame:
    """The CSV as strings, lower-case column names, with a ``_line`` column holding each row's line number."""
    try:
        table = pd.read_csv(
            io.StringIO(text),
            skiprows=n_header,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise WeatherError(
            f"{origin}: cannot be read as CSV ({' '.join(str(err).split())}); check the delimiter is a comma."
        ) from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "_line" in table.columns or len(set(table.columns)) < len(table.columns):
        raise WeatherError(f"{origin}: a column name appears twice (or is '_line'); name each column once.")
    table = table.assign(_line=np.arange(len(table)) + n_header + 2)
    blank = (table.drop(columns="_line") == "").all(axis=1)
    table = table[~blank]
    for column in ("time", "site"):
        if column in table.columns:
            table[column] = table[column].str.strip()
    if table.empty:
        raise WeatherError(f"{origin}: has a header but no data rows.")
    return table


def _wind_height(header: dict[str, str], argument: float | None, origin: str) -> float:
    """The wind measurement height [m]: the argument if given, else the ``# wind_height_m:`` header line."""
    if argument is None and "wind_height_m" not in header:
        raise WeatherError(
            f"{origin}: the height of wind_speed is not stated; add a header line '# wind_height_m: 10' "
            "(or pass wind_height_m=...)."
        )
    raw = argument if argument is not None else header["wind_height_m"]
    try:
        height = float(raw)
    except (TypeError, ValueError):
        raise WeatherError(f"{origin}: wind_height_m '{raw}' is not a number of metres.") from None
    if not 0 < height <= 300:
        raise WeatherError(f"{origin}: wind_height_m {height:g} is outside 0 to 300 m; check its value.")
    return height


def _label_shift(header: dict[str, str], argument: str | None, origin: str) -> pd.Timedelta:
    label = (argument if argument is not None else header.get("time_label", "start")).strip().lower()
    if label not in ("start", "end"):
        raise WeatherError(f"{origin}: time_label must be 'start' or 'end', not '{label}'.")
    return pd.Timedelta(hours=1 if label == "end" else 0)


def _timezone(name: str | None, origin: str) -> str | None:
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise WeatherError(
            f"{origin}: unknown time zone '{name}'; use an IANA name such as 'Asia/Baku'."
        ) from None
    return name


def _parse_times(table: pd.DataFrame, tz: str | None, origin: str) -> pd.Series:
    """``table.time`` as naive UTC datetimes (the local-time conversion happens here, once)."""
    text = table["time"]
    has_offset = text.str.contains(_OFFSET)
    if has_offset.any() and not has_offset.all():
        first_with = table["_line"][has_offset].iloc[0]
        first_without = table["_line"][~has_offset].iloc[0]
        raise WeatherError(
            f"{origin}: some times carry a UTC offset (line {first_with}) and some do not (line "
            f"{first_without}); write every time the same way."
        )
    if has_offset.all():
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        line = table["_line"][bad].iloc[0]
        raise WeatherError(
            f"{origin}: line {line}: time '{text[bad].iloc[0]}' is not an ISO 8601 time such as "
            f"'2024-01-01T13:00' or '2024-01-01T13:00+04:00' ({int(bad.sum())} bad time(s) in all)."
        )
    if not has_offset.all() and tz is not None:
        localized = []
        for site, times in parsed.groupby(table["site"], sort=False):
            try:
                localized.append(times.dt.tz_localize(tz, ambiguous="infer", nonexistent="raise"))
            except Exception as err:  # pytz/pandas raise several ValueError subclasses here
                what = f"site {site}" if site != _DISCHARGE else "discharge"
                raise WeatherError(
                    f"{origin}: {what}: local time cannot be converted to UTC in {tz} ({err}); near a "
                    "daylight-saving change write times with an explicit UTC offset, e.g. "
                    "'2024-03-31T02:00+04:00'."
                ) from None
        parsed = pd.concat(localized).reindex(parsed.index)
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.dt.as_unit("ns")


def _parse_numbers(table: pd.DataFrame, columns: list[str], origin: str) -> pd.DataFrame:
    """The numeric columns as floats; raise naming the line of the first empty or unparseable value."""
    values = {}
    for column in columns:
        text = table[column].str.strip()
        number = pd.to_numeric(text, errors="coerce")
        bad = number.isna() | ~np.isfinite(number)
        if bad.any():
            first = bad.to_numpy().nonzero()[0][0]
            raw = text.iloc[first]
            site = table["site"].iloc[first]
            where = f"line {table['_line'].iloc[first]} ({table['time'].iloc[first]:%Y-%m-%d %H:%M} UTC" + (
                f", site {site})" if site != _DISCHARGE else ")"
            )
            if raw.lower() in ("", "nan", "na", "null"):
                what = "is empty"
            elif np.isnan(number.iloc[first]):
                what = f"'{raw}' is not a number"
            else:
                what = f"'{raw}' is not a finite number"
            raise WeatherError(
                f"{origin}: {where}: column '{column}' {what} ({int(bad.sum())} bad value(s) in this column); "
                "fill or interpolate the gaps before reading (greenzone does not interpolate)."
            )
        values[column] = number.to_numpy(float)
    return pd.DataFrame(values, index=table.index)


def _common_hours(table: pd.DataFrame, sites: list[str], origin: str) -> pd.DatetimeIndex:
    """The one hourly, gap-free UTC index every site shares; raise naming the first offending time."""
    time: pd.DatetimeIndex | None = None
    for site in sites:
        rows = table[table["site"] == site]
        label = f"site {site}" if site != _DISCHARGE else "discharge"
        times = pd.DatetimeIndex(rows["time"])
        dup = times.duplicated()
        if dup.any():
            line = rows["_line"].to_numpy()[dup][0]
            raise WeatherError(
                f"{origin}: line {line}: {label} has {times[dup][0]:%Y-%m-%d %H:%M} UTC twice "
                f"({int(dup.sum())} duplicated hour(s) at this {'site' if site != _DISCHARGE else 'file'}); "
                "remove the duplicate rows, keeping one row per hour (near a daylight-saving change, write "
                "times with a UTC offset)."
            )
        off_hour = times != times.floor("h")
        if off_hour.any():
            line = rows["_line"].to_numpy()[off_hour][0]
            raise WeatherError(
                f"{origin}: line {line}: {label} time {times[off_hour][0]:%Y-%m-%d %H:%M} UTC is not on the "
                "hour; the data must be hourly, one row per hour starting at HH:00."
            )
        times = times.sort_values()
        steps = np.diff(times.asi8) if len(times) > 1 else np.array([], dtype=np.int64)
        hour = pd.Timedelta(hours=1).value
        bad = np.flatnonzero(steps != hour)
        if bad.size:
            i = int(bad[0])
            gap = int(steps[i] // hour) - 1
            first, last = times[i] + pd.Timedelta(hours=1), times[i + 1] - pd.Timedelta(hours=1)
            missing = f"{first:%Y-%m-%d %H:%M}" + (f" to {last:%Y-%m-%d %H:%M}" if gap > 1 else "")
            total = int((steps[bad] // hour - 1).sum())
            raise WeatherError(
                f"{origin}: {label}: {(steps[i] / hour):g} h from {times[i]:%Y-%m-%d %H:%M} to "
                f"{times[i + 1]:%Y-%m-%d %H:%M} UTC: {gap} hour(s) missing, {missing} UTC ({total} missing "
                f"hour(s) in all, in {bad.size} gap(s)); the data must be hourly without gaps: fill or "
                "interpolate the missing hours (one row per hour and site) and read the file again."
            )
        if time is None:
            time = times
        elif not times.equals(time):
            lacking = time.symmetric_difference(times)
            which = site if lacking[0] in time else sites[0]
            raise WeatherError(
                f"{origin}: site {site} covers {times[0]:%Y-%m-%d %H:%M} to {times[-1]:%Y-%m-%d %H:%M} UTC "
                f"but site {sites[0]} covers {time[0]:%Y-%m-%d %H:%M} to {time[-1]:%Y-%m-%d %H:%M} UTC; every "
                f"site needs the same hours (site {which} lacks {len(lacking)} hour(s), first "
                f"{lacking[0]:%Y-%m-%d %H:%M} UTC): fill or interpolate them, or cut every site to the same hours."
            )
    assert time is not None
    return pd.DatetimeIndex(time, name="time")
