"""Weather from the PVGIS typical meteorological year (TMY), fetched through pvlib and cached on disk.

PVGIS (EU JRC, https://re.jrc.ec.europa.eu/pvg_tools/) builds its TMY from 12 months chosen from different
years (``metadata["months_selected"]``). :func:`pvlib.iotools.get_pvgis_tmy` returns it in UTC; PVGIS stamps
each hour ``HH:MM`` where ``MM`` is ``00`` in the TMY tool and, in PVGIS's hourly series, the minute of the
satellite sample inside that hour (e.g. ``HH:10`` or ``HH:11`` for SARAH). The irradiance is therefore a
value *within* the hour starting at ``HH:00``, and :func:`pvgis_weather` labels it with that hour's start by
flooring the timestamp to the hour: greenzone's convention (hourly, timezone-naive UTC, label = start of the
hour).

Units as PVGIS gives them: irradiance [W/m^2], ``T2m`` [degC], ``SP`` [Pa], ``WS10m`` [m/s] at 10 m.

Working offline: :func:`get_pvgis_tmy` writes each answer to ``cache_dir`` (``pvgis_tmy_<lat>_<lon>.csv``
and ``.json``, lat/lon rounded to 3 decimals, about 100 m) and never asks PVGIS again for that place; copy
the cache folder to a machine without network access to use it there.
"""

from __future__ import annotations

import calendar
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import requests
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.weather.csv import _check_sites, build_weather

VARIABLE_MAP: dict[str, str] = {
    "G(h)": "ghi",
    "Gb(n)": "dni",
    "Gd(h)": "dhi",
    "T2m": "temp_air",
    "SP": "pressure",
    "WS10m": "wind_speed",
}
"""PVGIS TMY column names → greenzone variable names (the same names pvlib's ``map_variables=True`` gives)."""

WIND_HEIGHT_M = 10.0
"""PVGIS ``WS10m`` is the wind speed at 10 m above ground [m]."""

_WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed")


def get_pvgis_tmy(
    lat: float, lon: float, *, cache_dir: str | Path, timeout: float = 30
) -> tuple[pd.DataFrame, dict]:
    """PVGIS TMY for one place, from ``cache_dir`` when present, else from PVGIS (then cached).

    Parameters
    ----------
    lat, lon : place [deg north, deg east].
    cache_dir : folder of cached answers; created when missing.
    timeout : seconds to wait for PVGIS [s].

    Returns
    -------
    data : DataFrame as :func:`pvlib.iotools.get_pvgis_tmy` returns it with ``map_variables=True`` and
        ``coerce_year=None``: a UTC index carrying each month's real year, columns in pvlib names (``ghi``,
        ``dni``, ``dhi``, ``temp_air`` [degC], ``pressure`` [Pa], ``wind_speed`` [m/s] at 10 m, ...).
    metadata : dict as pvlib returns it (``location``, ``months_selected``, ``inputs``, ...).

    Raises
    ------
    WeatherError
        when PVGIS cannot be reached or refuses the request (the message says how to work offline), or a
        cached file cannot be read (the message says which file to delete).
    """
    cache = Path(cache_dir)
    data_file, meta_file = _cache_paths(cache, lat, lon)
    if data_file.is_file() and meta_file.is_file():
        return _read_cache(data_file, meta_file)
    try:
        data, metadata = pvlib.iotools.get_pvgis_tmy(
            lat, lon, map_variables=True, coerce_year=None, timeout=timeout
        )
    except (requests.RequestException, ValueError, KeyError) as err:
        raise WeatherError(
            f"PVGIS TMY for lat {lat:.3f}, lon {lon:.3f} could not be fetched ({type(err).__name__}: {err}). "
            f"To work offline, fetch it once on a machine with network access and copy {cache} (files "
            f"{data_file.name} and {meta_file.name}) here, or use the synthetic or CSV weather source."
        ) from None
    _write_cache(data, metadata, data_file, meta_file)
    return data, metadata


def pvgis_weather(
    *, sites: pd.DataFrame, cache_dir: str | Path, year: int = 2001, timeout: float = 30
) -> xr.Dataset:
    """Weather from the PVGIS TMY of each site, laid onto the calendar year ``year``.

    Each TMY month comes from its own source year; every timestamp is given the year ``year`` and floored
    to the start of its hour (see the module docstring), giving one gap-free hourly UTC year. A 29 February
    in a source month is dropped when ``year`` is not a leap year; when ``year`` is a leap year and the TMY
    has no 29 February, that day repeats 28 February (``attrs["feb29_filled"] = 1``).

    Parameters
    ----------
    sites : DataFrame indexed by site id with columns ``lat``, ``lon`` [deg] and ``elevation`` [m].
    cache_dir : folder of cached PVGIS answers (see :func:`get_pvgis_tmy`).
    year : calendar year of the result.
    timeout : seconds to wait for PVGIS per site [s].

    Returns
    -------
    Weather with ``source="pvgis"``, ``synthetic=0``, ``wind_height_m=10``; pressure [Pa].
    """
    origin = "PVGIS TMY"
    _check_sites(sites, origin)
    if not 1900 <= int(year) <= 2200:
        raise WeatherError(f"{origin}: year {year} is not a plausible calendar year.")
    time = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left", name="time")
    data = {name: np.empty((len(time), len(sites))) for name in _WEATHER_COLUMNS}
    months: dict[str, list] = {}
    filled = False
    for j, (site, row) in enumerate(sites.iterrows()):
        raw, metadata = get_pvgis_tmy(
            float(row["lat"]), float(row["lon"]), cache_dir=cache_dir, timeout=timeout
        )
        where = f"{origin} for site {site} (lat {row['lat']:.3f}, lon {row['lon']:.3f})"
        frame, site_filled = _onto_year(raw, int(year), time, where, cache_dir, row)
        filled |= site_filled
        for name in _WEATHER_COLUMNS:
            data[name][:, j] = frame[name].to_numpy(float)
        months[str(site)] = metadata.get("months_selected", []) if isinstance(metadata, dict) else []
    return build_weather(
        origin=origin,
        time=time,
        sites=sites,
        data=data,
        wind_height_m=WIND_HEIGHT_M,
        source="pvgis",
        synthetic=False,
        title=f"PVGIS typical meteorological year, months from several years laid onto {year}",
        extra_attrs={
            "tmy_year": int(year),
            "months_selected": json.dumps(months),
            "feb29_filled": int(filled),
        },
    )


def _onto_year(
    raw: pd.DataFrame, year: int, time: pd.DatetimeIndex, where: str, cache_dir: str | Path, row: pd.Series
) -> tuple[pd.DataFrame, bool]:
    """One site's TMY renamed to our variables and re-indexed onto ``time`` (naive UTC hour starts)."""
    data_file, _ = _cache_paths(Path(cache_dir), float(row["lat"]), float(row["lon"]))
    fix = f"delete {data_file} to fetch it again"
    frame = raw.rename(columns=VARIABLE_MAP)
    missing = [c for c in _WEATHER_COLUMNS if c not in frame.columns]
    if missing:
        source_names = {v: k for k, v in VARIABLE_MAP.items()}
        names = ", ".join(f"'{c}' (PVGIS '{source_names[c]}')" for c in missing)
        raise WeatherError(f"{where}: the TMY lacks {names}; {fix}.")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    # PVGIS stamps an hour at HH:MM, MM being the sample minute within the hour (00 for the TMY tool, e.g.
    # 10 or 11 for SARAH hourly series). The value belongs to the hour HH:00-HH+1:00, so flooring gives that
    # hour's start, which is our label; rounding would move samples from HH:31 on into the next hour.
    index = index.floor("h")
    keep = (
        ~((index.month == 2) & (index.day == 29)) if not calendar.isleap(year) else np.ones(len(index), bool)
    )
    frame, index = frame[keep], index[keep]
    index = pd.to_datetime(
        pd.DataFrame({"year": year, "month": index.month, "day": index.day, "hour": index.hour})
    )
    frame = frame[list(_WEATHER_COLUMNS)].set_axis(pd.DatetimeIndex(index), axis=0)
    if frame.index.duplicated().any():
        dup = frame.index[frame.index.duplicated()][0]
        raise WeatherError(f"{where}: two rows fall in the hour {dup:%m-%d %H:00} UTC; {fix}.")
    frame = frame.reindex(time)
    filled = False
    feb29 = (time.month == 2) & (time.day == 29)
    if feb29.any() and frame[feb29].isna().all(axis=None):
        frame.loc[feb29] = frame.shift(24)[feb29].to_numpy()
        filled = True
    gone = frame.isna().any(axis=1).to_numpy()
    if gone.any():
        raise WeatherError(
            f"{where}: the TMY lacks {int(gone.sum())} hour(s) of {year}, first {time[gone][0]:%m-%d %H:00} UTC; "
            f"{fix}."
        )
    return frame, filled


def _cache_paths(cache: Path, lat: float, lon: float) -> tuple[Path, Path]:
    stem = f"pvgis_tmy_{lat:+.3f}_{lon:+.3f}"
    return cache / f"{stem}.csv", cache / f"{stem}.json"


def _write_cache(data: pd.DataFrame, metadata: dict, data_file: Path, meta_file: Path) -> None:
    """Write both files through temporary names, so an interrupted write never leaves half a cache."""
    data_file.parent.mkdir(parents=True, exist_ok=True)
    frame = data.copy()
    index = pd.DatetimeIndex(frame.index)
    frame.index = (index if index.tz is not None else index.tz_localize("UTC")).tz_convert("UTC")
    frame.index.name = "time(UTC)"
    tmp_data = data_file.with_suffix(".csv.tmp")
    tmp_meta = meta_file.with_suffix(".json.tmp")
    frame.to_csv(tmp_data, date_format="%Y-%m-%dT%H:%M:%S%z")
    tmp_meta.write_text(json.dumps(metadata, indent=1, default=str), encoding="utf-8")
    os.replace(tmp_meta, meta_file)
    os.replace(tmp_data, data_file)


def _read_cache(data_file: Path, meta_file: Path) -> tuple[pd.DataFrame, dict]:
    try:
        data = pd.read_csv(data_file, index_col=0)
        data.index = pd.to_datetime(data.index, utc=True, format="ISO8601")
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise WeatherError(
            f"{data_file}: the cached PVGIS TMY cannot be read ({str(err).splitlines()[0]}); delete {data_file.name} and "
            f"{meta_file.name} to fetch it again."
        ) from None
    return data, metadata
