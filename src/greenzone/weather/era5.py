"""Weather from ERA5 reanalysis: NetCDF files from the Copernicus CDS, or atlite cutouts built from ERA5.

ERA5 time labels (ECMWF, "ERA5: data documentation"; atlite issue #158; pvlib issue #2772): radiation in
the reanalysis is *accumulated over the hour ending at* the timestamp (``ssrd`` at 14:00 covers
13:00-14:00, [J/m^2]); temperature, pressure and wind are *instantaneous* values at the timestamp. Both
readers here turn this into greenzone's convention (hourly, timezone-naive UTC, label = start of the hour):

* an accumulation stamped ``t + 1 h`` becomes the mean over ``[t, t + 1 h)`` labelled ``t``
  ([J/m^2] / 3600 s = [W/m^2]);
* an instantaneous variable becomes the mean of its values at ``t`` and ``t + 1 h`` (the trapezoid
  estimate of its mean over the same hour, so every variable describes the same interval);
* hence ``N`` time steps in the files give ``N - 1`` hours, from the first step to the last but one. To
  cover a whole year ``Y``, include 1 January ``Y + 1`` 00:00 (e.g. the next year's file).

Irradiance components: ``fdir`` (and an atlite cutout's ``influx_direct``) is the direct part on a
*horizontal* surface. DNI = direct / cos(zenith), the zenith taken at the middle of the hour; above 85°
zenith DNI = 0 and the whole of GHI counts as diffuse; DNI is capped at the extraterrestrial DNI; and
DHI = GHI − DNI·cos(zenith), so GHI = DHI + DNI·cos(zenith) holds exactly. Without ``fdir``, DNI and DHI are
split from GHI with the Erbs model.

Each site takes the nearest grid cell (no interpolation); the cell's centre is kept as ``grid_lat`` and
``grid_lon`` on the ``site`` coordinate. Temperature and pressure are the cell's, not corrected to the
site's elevation.

Not supported: ERA5-Land (its accumulations run from 00 UTC, not over one hour), ERA5 forecast fields
with ``step`` dimensions, GRIB files.
"""

from __future__ import annotations

import functools
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.weather.csv import (
    _check_sites,
    build_weather,
    pressure_from_elevation,
    split_direct,
    split_ghi_erbs,
)

VARIABLE_MAP: dict[str, str] = {
    "ssrd": "ghi",
    "fdir": "direct_horizontal",
    "t2m": "temp_air",
    "sp": "pressure",
    "u100": "u",
    "v100": "v",
    "u10": "u",
    "v10": "v",
}
"""ERA5 short names → greenzone names (``u``/``v`` are the wind components before ``hypot``)."""

CDS_NAMES: dict[str, str] = {
    "ssrd": "surface_solar_radiation_downwards",
    "fdir": "total_sky_direct_solar_radiation_at_surface",
    "t2m": "2m_temperature",
    "sp": "surface_pressure",
    "u100": "100m_u_component_of_wind",
    "v100": "100m_v_component_of_wind",
    "u10": "10m_u_component_of_wind",
    "v10": "10m_v_component_of_wind",
}
"""ERA5 short names → CDS request names."""

CUTOUT_VARIABLE_MAP: dict[str, str] = {
    "influx_direct": "direct_horizontal",
    "influx_diffuse": "diffuse_horizontal",
    "temperature": "temp_air",
    "wnd100m": "wind_speed",
}
"""atlite cutout names → greenzone names (``influx_toa`` and ``runoff`` are not used)."""

DEFAULT_VARIABLES: tuple[str, ...] = tuple(
    CDS_NAMES[v] for v in ("ssrd", "fdir", "t2m", "sp", "u100", "v100")
)
"""The CDS variables :func:`get_era5` asks for unless told otherwise."""

DATASET = "reanalysis-era5-single-levels"
_HOUR_S = 3600.0


def read_era5(paths: str | Path | Sequence[str | Path], *, sites: pd.DataFrame) -> xr.Dataset:
    """Read ERA5 single-level NetCDF files, as the CDS delivers them, into a Weather.

    Parameters
    ----------
    paths : one file or several (e.g. one per year, or the accumulated and instantaneous files of one
        request); ``.zip`` archives from the CDS are unpacked. Files are merged by variable and joined in
        time.
    sites : DataFrame indexed by site id with columns ``lat``, ``lon`` [deg] and ``elevation`` [m]; each
        must lie inside the files' area.

    Variables: ``ssrd`` [J/m^2] (required), ``fdir`` [J/m^2] (optional; else Erbs), ``t2m`` [K], ``sp`` [Pa],
    and ``u100``/``v100`` [m/s] (``wind_height_m=100``) or else ``u10``/``v10`` (``wind_height_m=10``).
    Time coordinate ``valid_time`` (CDS since 2024) or ``time`` (older files); coordinates ``latitude``
    (either order) and ``longitude`` (-180..180 or 0..360). See the module docstring for the time labels.

    Returns
    -------
    Weather with ``source="era5"``, ``synthetic=0``.
    """
    files = _as_paths(paths)
    origin = ", ".join(p.name for p in files)
    _check_sites(sites, origin)
    with tempfile.TemporaryDirectory(prefix="greenzone-era5-") as unpack:
        parts = []
        for path in files:
            parts += _open_era5(path, Path(unpack), sites)
        ds = _combine(parts, origin)

    missing = [v for v in ("ssrd", "t2m", "sp") if v not in ds]
    if "u100" in ds and "v100" in ds:
        wind, height = ("u100", "v100"), 100.0
    elif "u10" in ds and "v10" in ds:
        wind, height = ("u10", "v10"), 10.0
    else:
        wind, height = (), 0.0
        missing.append("u100 and v100 (or u10 and v10)")
    if missing:
        raise WeatherError(
            f"{origin}: ERA5 variable(s) {', '.join(missing)} missing (found: {', '.join(ds.data_vars)}). "
            f"Add {', '.join(_cds_names(missing))} to the CDS request; get_era5() asks for them by default."
        )
    _check_units(ds, origin, {"ssrd": "J", "fdir": "J", "t2m": "K", "sp": "Pa"})
    time = _hourly(ds, origin)

    ghi = _accumulated_mean(ds["ssrd"], joules=True)
    temp_air = _instant_mean(ds["t2m"]) - 273.15
    pressure = _instant_mean(ds["sp"])
    wind_speed = _instant_mean(np.hypot(ds[wind[0]], ds[wind[1]]))
    if "fdir" in ds:
        dni, dhi = split_direct(ghi, _accumulated_mean(ds["fdir"], joules=True), time=time, sites=sites)
    else:
        dni, dhi = split_ghi_erbs(ghi, time=time, sites=sites)
    weather = build_weather(
        origin=origin,
        time=time,
        sites=sites,
        data={
            "ghi": ghi,
            "dni": dni,
            "dhi": dhi,
            "temp_air": temp_air,
            "pressure": pressure,
            "wind_speed": wind_speed,
        },
        wind_height_m=height,
        source="era5",
        synthetic=False,
        title="ERA5 reanalysis (Copernicus Climate Change Service), nearest grid cell",
        extra_attrs={
            "source_files": origin,
            "direct_from": "fdir" if "fdir" in ds else "erbs",
        },
    )
    return _with_cells(weather, ds)


def read_atlite_cutout(path: str | Path, *, sites: pd.DataFrame) -> xr.Dataset:
    """Read an atlite cutout prepared from ERA5 into a Weather.

    Assumed layout (atlite's ``era5`` module): coordinates ``x`` (longitude [deg]), ``y`` (latitude [deg])
    and ``time``; variables ``influx_direct`` and ``influx_diffuse`` [W/m^2] (on a horizontal surface: the
    ERA5 ``fdir`` and ``ssrd − fdir`` divided by 3600 s), ``temperature`` [K] (ERA5 ``t2m``) and
    ``wnd100m`` [m/s] (``hypot(u100, v100)``). atlite keeps ERA5's time labels (it computes its solar
    position 30 minutes before each label for that reason), so ``influx_*`` are means over the hour ending
    at the label and ``temperature``/``wnd100m`` are instantaneous: converted as for :func:`read_era5`.
    A cutout has no surface pressure: it comes from each site's elevation (standard atmosphere).
    ``influx_toa`` is not needed; ``runoff`` (a depth [m] per cell) is not read, since river discharge needs
    catchment areas: give discharge separately. Cutouts whose ``module`` attribute names another source
    (e.g. SARAH, whose radiation is timed differently) are refused.

    Returns
    -------
    Weather with ``source="atlite"``, ``synthetic=0``, ``wind_height_m=100``.
    """
    path = Path(path)
    origin = path.name
    _check_sites(sites, origin)
    if not path.is_file():
        raise WeatherError(f"{path}: file not found; check the path to the atlite cutout.")
    try:
        with xr.open_dataset(path) as raw:
            module = raw.attrs.get("module", "era5")
            modules = [module] if isinstance(module, str) else [str(m) for m in np.atleast_1d(module)]
            if any(m != "era5" for m in modules):
                raise WeatherError(
                    f"{origin}: cutout built from module(s) {', '.join(modules)}; only ERA5 cutouts are "
                    "supported (other sources label their radiation differently). Prepare it with module='era5'."
                )
            for coord in ("x", "y", "time"):
                if coord not in raw.coords:
                    raise WeatherError(
                        f"{origin}: no '{coord}' coordinate; an atlite cutout has x (lon), y (lat) and time."
                    )
            missing = [v for v in CUTOUT_VARIABLE_MAP if v not in raw]
            if missing:
                raise WeatherError(
                    f"{origin}: cutout variable(s) {', '.join(missing)} missing (found: "
                    f"{', '.join(raw.data_vars)}); prepare the cutout with the 'influx', 'temperature' and "
                    "'wind' features."
                )
            ds = _nearest_cells(raw[list(CUTOUT_VARIABLE_MAP)], sites, origin, lat="y", lon="x").load()
    except (OSError, ValueError) as err:
        raise WeatherError(f"{origin}: cannot be read as NetCDF ({err}).") from None
    _check_units(ds, origin, {"influx_direct": "W", "influx_diffuse": "W", "temperature": "K"})
    time = _hourly(ds, origin)
    direct = _accumulated_mean(ds["influx_direct"], joules=False)
    diffuse = _accumulated_mean(ds["influx_diffuse"], joules=False)
    ghi = direct + diffuse
    dni, dhi = split_direct(ghi, direct, time=time, sites=sites)
    weather = build_weather(
        origin=origin,
        time=time,
        sites=sites,
        data={
            "ghi": ghi,
            "dni": dni,
            "dhi": dhi,
            "temp_air": _instant_mean(ds["temperature"]) - 273.15,
            "pressure": pressure_from_elevation(sites, len(time)),
            "wind_speed": _instant_mean(ds["wnd100m"]),
        },
        wind_height_m=100.0,
        source="atlite",
        synthetic=False,
        title="ERA5 reanalysis via an atlite cutout, nearest grid cell",
        extra_attrs={"source_file": str(path)},
    )
    return _with_cells(weather, ds)


def get_era5(
    *,
    area: Sequence[float],
    years: Iterable[int],
    target: str | Path,
    variables: Sequence[str] = DEFAULT_VARIABLES,
) -> list[Path]:
    """Download ERA5 single-level hourly data from the Copernicus CDS, one file per year.

    Needs the ``cdsapi`` package (``pip install 'greenzone[era5]'``) and a CDS account with its key in
    ``~/.cdsapirc``. Years whose file is already in ``target`` are not requested again.

    Parameters
    ----------
    area : ``(north, west, south, east)`` [deg], the CDS order.
    years : calendar years to fetch; add the following year too if the last hour of the last year matters
        (see the module docstring).
    target : folder for the files ``era5_<year>.nc`` (a file may be a zip of several NetCDF files when the
        CDS splits accumulated and instantaneous variables; :func:`read_era5` reads both).
    variables : CDS variable names (:data:`DEFAULT_VARIABLES`; see :data:`CDS_NAMES`).

    Returns
    -------
    The paths of the files, one per year, in the order of ``years``.
    """
    north, west, south, east = _check_area(area)
    years = [int(y) for y in years]
    if not years:
        raise WeatherError("get_era5: no years given; pass e.g. years=[2019].")
    try:
        import cdsapi
    except ImportError:
        raise WeatherError(
            "get_era5 needs the cdsapi package: install the era5 extra: pip install 'greenzone[era5]'"
        ) from None
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    client = None
    files = []
    for year in years:
        path = folder / f"era5_{year}.nc"
        files.append(path)
        if path.is_file():
            continue
        request = {
            "product_type": ["reanalysis"],
            "variable": list(variables),
            "year": [f"{year}"],
            "month": [f"{m:02d}" for m in range(1, 13)],
            "day": [f"{d:02d}" for d in range(1, 32)],
            "time": [f"{h:02d}:00" for h in range(24)],
            "data_format": "netcdf",
            "download_format": "unarchived",
            "area": [north, west, south, east],
        }
        partial = path.with_suffix(".nc.part")
        try:
            client = client or cdsapi.Client()
            client.retrieve(DATASET, request, str(partial))
        except Exception as err:  # cdsapi raises plain Exceptions for HTTP, auth and quota failures
            partial.unlink(missing_ok=True)
            raise WeatherError(
                f"get_era5: the CDS request for {year} failed ({type(err).__name__}: {err}). Check the key in "
                "~/.cdsapirc and that the licence for ERA5 is accepted on the CDS website; offline, pass "
                "files downloaded elsewhere to read_era5()."
            ) from None
        partial.replace(path)
    return files


# --- private --------------------------------------------------------------------------------------------


def _as_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not files:
        raise WeatherError("read_era5: no files given.")
    for path in files:
        if not path.is_file():
            raise WeatherError(f"{path}: file not found; check the path to the ERA5 NetCDF file.")
    return files


def _open_era5(path: Path, unpack: Path, sites: pd.DataFrame) -> list[xr.Dataset]:
    """The datasets in ``path`` (a NetCDF file or a CDS zip of them) at the sites' cells, loaded."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".nc")]
            if not members:
                raise WeatherError(f"{path.name}: a zip file without NetCDF (.nc) files in it.")
            folder = unpack / path.stem
            archive.extractall(folder, members=members)
        sources = [(f"{path.name}:{m}", folder / m) for m in members]
    else:
        sources = [(path.name, path)]
    opened = []
    for name, source in sources:
        try:
            with xr.open_dataset(source) as ds:
                normal = _normalise(ds, name)
                opened.append(_nearest_cells(normal, sites, name, lat="latitude", lon="longitude"))
        except (OSError, ValueError) as err:
            raise WeatherError(f"{name}: cannot be read as NetCDF ({err}).") from None
    return opened


def _normalise(ds: xr.Dataset, name: str) -> xr.Dataset:
    """Rename ``valid_time`` to ``time``, fold an ``expver`` dimension, drop bookkeeping coordinates."""
    if "valid_time" in ds.dims:
        if "time" in ds.variables:
            ds = ds.drop_vars("time")
        ds = ds.rename({"valid_time": "time"})
    if "time" not in ds.dims:
        raise WeatherError(
            f"{name}: no 'valid_time' or 'time' dimension; is this an hourly ERA5 single-level file?"
        )
    if "expver" in ds.dims:
        # Older CDS files mixing final ERA5 (expver 1) and preliminary ERA5T (expver 5): each hour is in one.
        layers = [ds.isel(expver=i, drop=True) for i in range(ds.sizes["expver"])]
        ds = functools.reduce(lambda a, b: a.combine_first(b), layers)
    for coord in ("latitude", "longitude"):
        if coord not in ds.coords:
            raise WeatherError(f"{name}: no '{coord}' coordinate; is this an ERA5 single-level file?")
    extra = [c for c in ds.coords if c not in ("time", "latitude", "longitude")]
    ds = ds.drop_vars(extra)
    return ds[[v for v in ds.data_vars if v in VARIABLE_MAP]]


def _nearest_cells(ds: xr.Dataset, sites: pd.DataFrame, name: str, *, lat: str, lon: str) -> xr.Dataset:
    """``ds`` at the grid cell nearest each site, with a ``site`` dimension and the cell centres kept."""
    lats = ds[lat].to_numpy().astype(float)
    lons = ds[lon].to_numpy().astype(float)
    rows, cols = [], []
    for site, row in sites.iterrows():
        dlat = np.abs(lats - float(row["lat"]))
        dlon = np.abs((lons - float(row["lon"]) + 180.0) % 360.0 - 180.0)
        i, j = int(dlat.argmin()), int(dlon.argmin())
        step_lat = np.abs(np.diff(lats)).min() if lats.size > 1 else 0.25
        step_lon = np.abs(np.diff(lons)).min() if lons.size > 1 else 0.25
        if dlat[i] > step_lat or dlon[j] > step_lon:
            raise WeatherError(
                f"{name}: site {site} (lat {row['lat']:.3f}, lon {row['lon']:.3f}) lies outside the file's "
                f"area (lat {lats.min():g} to {lats.max():g}, lon {lons.min():g} to {lons.max():g}); download "
                "an area that covers every site."
            )
        rows.append(i)
        cols.append(j)
    site_ids = [str(s) for s in sites.index]
    picked = ds.isel({lat: xr.DataArray(rows, dims="site"), lon: xr.DataArray(cols, dims="site")})
    picked = picked.rename({lat: "grid_lat", lon: "grid_lon"}).assign_coords(site=site_ids)
    return picked.transpose("time", "site").load()


def _combine(parts: list[xr.Dataset], origin: str) -> xr.Dataset:
    """Merge datasets holding different variables and join those holding different times."""
    by_variables: dict[tuple[str, ...], list[xr.Dataset]] = {}
    for part in parts:
        by_variables.setdefault(tuple(sorted(part.data_vars)), []).append(part)
    try:
        joined = [
            xr.concat(group, dim="time", coords="minimal", compat="override", join="exact").sortby("time")
            for group in by_variables.values()
        ]
        return xr.merge(joined, join="outer", compat="override", combine_attrs="drop_conflicts")
    except (ValueError, KeyError) as err:
        raise WeatherError(
            f"{origin}: the files cannot be combined ({err}); give files of one grid."
        ) from None


def _hourly(ds: xr.Dataset, origin: str) -> pd.DatetimeIndex:
    """Check the time axis and return the output hours: every step but the last (see module docstring)."""
    stamps = pd.DatetimeIndex(ds.indexes["time"])
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    if stamps.has_duplicates:
        dup = stamps[stamps.duplicated()][0]
        raise WeatherError(
            f"{origin}: {dup:%Y-%m-%d %H:%M} UTC appears twice; give files that do not overlap."
        )
    if len(stamps) < 2:
        raise WeatherError(f"{origin}: fewer than two time steps; hourly means need at least two.")
    steps = np.diff(stamps.asi8)
    hour = pd.Timedelta(hours=1).value
    bad = np.flatnonzero(steps != hour)
    if bad.size:
        i = int(bad[0])
        raise WeatherError(
            f"{origin}: {steps[i] / hour:g} h from {stamps[i]:%Y-%m-%d %H:%M} to {stamps[i + 1]:%Y-%m-%d %H:%M} "
            "UTC; ERA5 data must be hourly without gaps (request every hour of every day)."
        )
    missing = [str(v) for v in ds.data_vars if bool(ds[v].isnull().any())]
    if missing:
        v = missing[0]
        t = int(np.argwhere(ds[v].isnull().to_numpy())[0][0])
        raise WeatherError(
            f"{origin}: '{v}' is missing at {stamps[t]:%Y-%m-%d %H:%M} UTC; the files must cover the same hours "
            "for every variable."
        )
    return pd.DatetimeIndex(stamps[:-1].as_unit("ns"), name="time")


def _accumulated_mean(da: xr.DataArray, *, joules: bool) -> np.ndarray:
    """Mean power [W/m^2] over ``[t, t + 1 h)`` from a value stamped ``t + 1 h``, clipped at 0.

    ``joules``: the value is an hourly accumulation [J/m^2] (ERA5), divided by 3600 s; else it is already
    the hour's mean power [W/m^2] (atlite) and only the label moves.
    """
    values = np.asarray(da.to_numpy(), dtype=float)[1:]
    if joules:
        values = values / _HOUR_S
    return np.clip(values, 0.0, None)


def _instant_mean(da: xr.DataArray) -> np.ndarray:
    """Mean over ``[t, t + 1 h)`` of an instantaneous variable, as the mean of its values at both ends."""
    values = np.asarray(da.to_numpy(), dtype=float)
    return 0.5 * (values[:-1] + values[1:])


def _check_units(ds: xr.Dataset, origin: str, expected: dict[str, str]) -> None:
    """Raise where a variable's ``units`` attribute is present and does not start as expected."""
    for name, start in expected.items():
        if name not in ds:
            continue
        units = str(ds[name].attrs.get("units", start))
        if not units.startswith(start):
            raise WeatherError(
                f"{origin}: '{name}' has units '{units}', expected '{start}...'; give the variable as ERA5 "
                "delivers it."
            )


def _with_cells(weather: xr.Dataset, ds: xr.Dataset) -> xr.Dataset:
    """Keep the chosen grid cells' centres [deg] on the ``site`` coordinate."""
    weather = weather.assign_coords(
        grid_lat=("site", ds["grid_lat"].to_numpy().astype(float)),
        grid_lon=("site", ds["grid_lon"].to_numpy().astype(float)),
    )
    weather["grid_lat"].attrs.update(units="deg", long_name="latitude of the grid cell used")
    weather["grid_lon"].attrs.update(units="deg", long_name="longitude of the grid cell used")
    return weather


def _check_area(area: Sequence[float]) -> tuple[float, float, float, float]:
    try:
        north, west, south, east = (float(a) for a in area)
    except (TypeError, ValueError):
        raise WeatherError(
            f"get_era5: area must be four numbers (north, west, south, east) in degrees, not {area!r}."
        ) from None
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 360):
        raise WeatherError(
            f"get_era5: area {area!r} is not (north, west, south, east) with south < north and west < east."
        )
    return north, west, south, east


def _cds_names(missing: list[str]) -> list[str]:
    names = []
    for item in missing:
        if item.startswith("u100"):
            names += [CDS_NAMES["u100"], CDS_NAMES["v100"]]
        else:
            names.append(CDS_NAMES[item])
    return names
