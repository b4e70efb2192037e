"""SYNTHETIC hourly weather, calibrated to a monthly climatology (the embedded default weather source).

Everything this module returns is **synthetic**: random weather that is shaped statistically like the region
described by a climatology file (``climate.yaml``), not a measurement of any real year. The Weather it returns
says so (``attrs["synthetic"] = 1``, ``attrs["title"]`` starts with "SYNTHETIC weather").

Models, per site and year, vectorised over sites and hours:

- Irradiance [W/m^2]: clear-sky GHI (:func:`pvlib.clearsky.ineichen` with the Linke turbidity shipped with pvlib
  and the site's altitude; solar position at the middle of each hour, since values are hourly means) times a
  clear-sky index = a daily index (Gaussian AR(1) mapped through a Beta marginal: a Gaussian copula) times an
  hourly AR(1) fluctuation of mean 1 that is largest on half-cloudy days. The Beta mean is solved for each
  site and month so that the *expected* monthly mean GHI equals the climatology's clearness index Kt times the
  month's mean extraterrestrial horizontal irradiance, with the caps (1.1 × clear sky, never above
  extraterrestrial) taken into account; single years scatter around it. DNI and DHI come from
  :func:`pvlib.irradiance.erbs`, and ``ghi = dni * cos(zenith) + dhi`` holds with the true solar zenith at
  mid-hour.
- Air temperature [degC]: ``temp_annual_c + temp_amplitude_c * cos(2 pi (doy - 196) / 365)`` plus a daily
  cycle of ``temp_daily_range_c`` scaled by the day's clearness (minimum at sunrise, maximum at 15:00 local
  time) plus a daily AR(1) anomaly.
- Pressure [Pa]: :func:`pvlib.atmosphere.alt2pres` of the site elevation, constant in time.
- Wind speed [m/s] at ``wind_height_m``: a Weibull marginal (Gaussian AR(1) hour to hour through the Weibull
  inverse CDF) times a daily cycle ``1 + a cos(2 pi (hour_local - peak) / 24)``; the Weibull shape and scale
  are compensated so that the result keeps the climatology's mean and fitted shape.
- Discharge [m^3/s] per river: monthly means from ``mean_flow_m3s`` and ``monthly_share`` (month lengths
  included), smoothed across month boundaries with the monthly means kept, times a lognormal daily AR(1)
  anomaly of mean 1.

Estimates (est.): no published figure exists for these; they are this module's constants and are stated here
so that nobody mistakes them for data. Daily clear-sky index: Beta on [0, 1.05] with concentration a + b = 3,
day-to-day AR(1) 0.4; hourly fluctuation AR(1) 0.8 with standard deviation up to 0.3; temperature anomaly
sd 2.5 degC, AR(1) 0.7 day to day; daily temperature range on overcast days 0.3 of the clear-day range,
maximum at 15:00 local time; wind AR(1) 0.95 hour to hour; discharge anomaly sd 0.2 (relative), AR(1) 0.95
day to day. Random variations are correlated between sites (and between rivers) through a shared regional
component: correlation 0.7 for daily cloudiness, 0.3 for its hourly fluctuation, 0.9 for temperature, 0.5
for wind, 0.7 for discharge. All wind figures and most monthly splits in the Karabakh climatology are
estimates too; its header says which.

Randomness: one :class:`numpy.random.SeedSequence` per (seed, year, site or river or region, variable), so the
same seed gives the same weather, and a site's weather in a year does not depend on which other years or sites
are requested (only the smooth discharge regime is solved over the whole span). Each year starts its random
processes afresh, so autocorrelated anomalies are not continuous across 1 January.

Speed: about 0.05 s per site-year, most of it the solar position (pvlib's SPA); that part does not depend on
the seed and is cached for the last 128 site-years, so further seeds over the same sites and years take about
0.007 s per site-year.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import zlib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pvlib
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from scipy import optimize, signal, special

from greenzone.errors import WeatherError
from greenzone.safe_read import load_yaml
from greenzone.weather.schema import make_weather

__all__ = [
    "Climatology",
    "RiverClimate",
    "SiteClimate",
    "default_climatology_path",
    "generate",
    "read_climatology",
]

# --------------------------------------------------------------------------------------------------------------
# Climatology file
# --------------------------------------------------------------------------------------------------------------

_MONTHS = 12
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteClimate(_Frozen):
    """Monthly climatology of one site (see the header of ``climate.yaml``)."""

    clearness_index: tuple[float, ...] = Field(
        strict=False,
        description="12 monthly clearness indices Kt = GHI / extraterrestrial horizontal [-], Jan..Dec, "
        "each between 0.05 and 0.85",
    )
    temp_annual_c: float = Field(ge=-40, le=40, description="annual mean air temperature [degC]")
    temp_amplitude_c: float = Field(ge=0, le=40, description="seasonal amplitude [degC]")
    temp_daily_range_c: float = Field(ge=0, le=40, description="mean daily max - min on a clear day [degC]")
    wind_mean_ms: float = Field(gt=0, le=30, description="mean wind speed at wind_height_m [m/s]")
    wind_weibull_k: float = Field(ge=1, le=5, description="Weibull shape [-]")
    wind_daily_amplitude: float = Field(
        ge=0, le=0.8, description="relative amplitude of the daily wind cycle [-]"
    )
    wind_peak_hour_local: float = Field(
        ge=0, lt=24, description="local hour of the daily wind maximum [h], 0 <= hour < 24"
    )

    @field_validator("clearness_index")
    @classmethod
    def _twelve_plausible(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != _MONTHS:
            raise ValueError(f"needs 12 monthly values (Jan..Dec), has {len(value)}")
        bad = [f"{v:g}" for v in value if not 0.05 <= v <= 0.85]
        if bad:
            raise ValueError(f"values must lie between 0.05 and 0.85; found {', '.join(bad)}")
        return value


class RiverClimate(_Frozen):
    """Long-term mean discharge of one river and its monthly regime."""

    name: str | None = Field(None, description="display name")
    mean_flow_m3s: float = Field(gt=0, le=1e5, description="long-term mean discharge [m^3/s]")
    monthly_share: tuple[float, ...] = Field(
        strict=False,
        description="12 shares of the annual flow volume [-], Jan..Dec, each > 0, summing to 1",
    )

    @field_validator("monthly_share")
    @classmethod
    def _twelve_summing_to_one(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != _MONTHS:
            raise ValueError(f"needs 12 monthly values (Jan..Dec), has {len(value)}")
        if min(value) <= 0:
            raise ValueError(f"every share must be > 0; found {min(value):g}")
        total = math.fsum(value)
        if abs(total - 1) > 1e-3:
            raise ValueError(f"shares must sum to 1 (within 0.001); they sum to {total:.4f}")
        return value


class Climatology(_Frozen):
    """A validated climatology file: the calibration targets of the synthetic weather.

    Read it with :func:`read_climatology`; :attr:`path` is the file it came from.
    """

    wind_height_m: float = Field(gt=0, le=300, description="height of the wind figures above ground [m]")
    reference: str = Field(description="where the figures come from (text)")
    sites: dict[str, SiteClimate] = Field(min_length=1, description="per-site climatology, keyed by site id")
    rivers: dict[str, RiverClimate] = Field(default_factory=dict, description="per-river regime, keyed by id")
    _path: str = PrivateAttr(default="<climatology>")

    @property
    def path(self) -> str:
        """The file this climatology was read from."""
        return self._path


def default_climatology_path() -> Path:
    """Path of the packaged Karabakh climatology (``greenzone/data/karabakh/climate.yaml``)."""
    return Path(str(importlib.resources.files("greenzone.data.karabakh").joinpath("climate.yaml")))


def read_climatology(path: str | Path) -> Climatology:
    """Read and validate a climatology file.

    Parameters
    ----------
    path : YAML file laid out like ``greenzone/data/karabakh/climate.yaml`` (its header documents each field).

    Returns
    -------
    Climatology
        Frozen and validated; ``.path`` names the file.

    Raises
    ------
    WeatherError
        If the file cannot be read or parsed, or any field is missing, unknown, of the wrong type or out of
        range; the message names the file, each bad field (e.g. ``sites.kalbajar.wind_weibull_k``) and what
        would be valid.
    """
    path = Path(path)
    raw = load_yaml(path, what="climatology file", error=WeatherError)
    if not isinstance(raw, dict):
        raise WeatherError(
            f"{path}: a climatology file must be a mapping with keys wind_height_m, reference, sites, rivers; "
            f"found {type(raw).__name__}."
        )
    where = _not_finite_at(raw)
    if where is not None:
        raise WeatherError(f"{path}: {where}: every number must be finite; .inf and .nan are not figures.")
    try:
        climatology = Climatology.model_validate(raw)
    except ValidationError as exc:
        raise WeatherError(_describe_errors(path, exc)) from None
    climatology._path = str(path)
    return climatology


def _not_finite_at(value: Any, at: str = "") -> str | None:
    """The dotted path (``sites.shusha.wind_mean_ms``, ``rivers.terter.monthly_share[2]``) of the first
    infinite or NaN number in a parsed YAML value, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return at or "(top level)"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _not_finite_at(
            item, f"{at}[{key}]" if isinstance(key, int) else f"{at}.{key}" if at else str(key)
        )
        if found is not None:
            return found
    return None


def _describe_errors(path: Path, exc: ValidationError) -> str:
    """One message naming the file and, per error, the field path and what would be valid."""
    count = exc.error_count()
    lines = [f"{path}: invalid climatology ({count} problem{'s' * (count > 1)}):"]
    for error in exc.errors(include_url=False):
        loc = _format_loc(error["loc"])
        field = _field_of(error["loc"])
        valid = f"; expected {_valid_text(field)}" if field is not None else ""
        kind = error["type"]
        if kind == "missing":
            lines.append(f"  {loc}: required field is missing{valid}.")
        elif kind == "extra_forbidden":
            parent = _model_at(error["loc"][:-1])
            allowed = ", ".join(parent.model_fields) if parent is not None else "the documented keys"
            lines.append(f"  {loc}: unknown key; valid keys here are {allowed}.")
        else:
            message = error["msg"].removeprefix("Value error, ")
            got = repr(error["input"])
            got = got if len(got) <= 60 else got[:57] + "..."
            lines.append(f"  {loc}: {message} (got {got}){valid}.")
    return "\n".join(lines)


def _format_loc(loc: tuple) -> str:
    """``('sites', 'lachin', 'clearness_index', 3)`` -> ``sites.lachin.clearness_index[3]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _valid_text(field: Any) -> str:
    """The field's description plus its numeric bounds, e.g. ``Weibull shape [-], a number >= 1 and <= 5``."""
    bounds = []
    for item in field.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(item, attr, None)
            if value is not None:
                bounds.append(f"{symbol} {value:g}")
    text = field.description or "a value"
    return f"{text}, a number {' and '.join(bounds)}" if bounds else text


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc`` (``()`` is the file itself)."""
    if len(loc) == 0:
        return Climatology
    if len(loc) == 2 and loc[0] == "sites":
        return SiteClimate
    if len(loc) == 2 and loc[0] == "rivers":
        return RiverClimate
    return None


def _field_of(loc: tuple) -> Any:
    """The pydantic field info of the field at ``loc``, or ``None`` (e.g. an element of a list)."""
    for depth in (len(loc) - 1, len(loc) - 2):
        if depth < 0:
            continue
        model = _model_at(loc[:depth])
        if model is not None and isinstance(loc[depth], str) and loc[depth] in model.model_fields:
            return model.model_fields[loc[depth]]
    return None


# --------------------------------------------------------------------------------------------------------------
# Estimated model constants (est.; see the module docstring)
# --------------------------------------------------------------------------------------------------------------

_INDEX_MAX = 1.05
"""Upper bound of the daily clear-sky index [-] (est.)."""
_INDEX_CONCENTRATION = 3.0
"""Concentration a + b of the Beta marginal of the daily clear-sky index [-] (est.)."""
_INDEX_DAILY_AR1 = 0.4
"""Day-to-day lag-1 autocorrelation of the (Gaussian) daily clear-sky index (est.)."""
_INDEX_HOURLY_AR1 = 0.8
"""Hour-to-hour lag-1 autocorrelation of the hourly fluctuation (est.)."""
_INDEX_HOURLY_SD = 0.3
"""Standard deviation of the hourly fluctuation on a half-cloudy day [-] (est.); it is scaled by 4 m (1 - m),
m = daily index / _INDEX_MAX, so clear and overcast days are smooth."""
_GHI_CAP_CLEARSKY = 1.1
"""GHI never exceeds this multiple of the clear-sky GHI (nor the extraterrestrial horizontal irradiance)."""

_TEMP_ANOMALY_SD = 2.5
"""Standard deviation of the daily temperature anomaly [degC] (est.)."""
_TEMP_ANOMALY_AR1 = 0.7
"""Day-to-day lag-1 autocorrelation of the temperature anomaly (est.)."""
_TEMP_RANGE_OVERCAST = 0.3
"""Daily temperature range on an overcast day, as a share of the clear-day range (est.)."""
_TEMP_PEAK_HOUR_LOCAL = 15.0
"""Local clock hour of the daily temperature maximum [h] (est.)."""
_TEMP_SEASON_PEAK_DOY = 196.0
"""Day of year of the seasonal temperature maximum (mid-July, as in the climatology's monthly fit)."""

_WIND_AR1 = 0.95
"""Hour-to-hour lag-1 autocorrelation of the Gaussian wind process (est.)."""

_DISCHARGE_AR1 = 0.95
"""Day-to-day lag-1 autocorrelation of the discharge anomaly (est.)."""
_DISCHARGE_SD = 0.2
"""Standard deviation of the lognormal discharge anomaly (mean 1) [-] (est.)."""

_REGIONAL_SHARE = {"index_daily": 0.7, "index_hourly": 0.3, "temp": 0.9, "wind": 0.5, "discharge": 0.7}
"""Correlation between two sites' (rivers') random innovations, from a shared regional component (est.)."""
_VARIABLE_CODES = {"index_daily": 1, "index_hourly": 2, "temp": 3, "wind": 4, "discharge": 5}

_YEAR_RANGE = (1900, 2200)
_MAX_YEARS = 200


# --------------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------------


def generate(
    *,
    sites: pd.DataFrame,
    climatology: Climatology,
    years: int | list[int] = 1,
    start_year: int = 2001,
    seed: int = 0,
    timezone: str = "Asia/Baku",
) -> xr.Dataset:
    """Generate SYNTHETIC hourly weather for ``sites``, calibrated to ``climatology``.

    Parameters
    ----------
    sites : DataFrame indexed by site id with columns ``lat``, ``lon`` [deg] and ``elevation`` [m]; every site
        must be in ``climatology.sites``.
    climatology : from :func:`read_climatology`.
    years : number of consecutive calendar years starting at ``start_year``, or an explicit list of consecutive
        years (e.g. ``[2001, 2002]``).
    start_year : first calendar year when ``years`` is a count.
    seed : non-negative random seed; the same seed and inputs give identical weather.
    timezone : IANA time zone of the sites, for the local-time daily cycles of temperature and wind.

    Returns
    -------
    xarray.Dataset
        A Weather (see :mod:`greenzone.weather.schema`): hourly, timezone-naive UTC, interval-start labels over
        whole calendar years (29 February included in leap years); ``ghi``, ``dni``, ``dhi`` [W/m^2],
        ``temp_air`` [degC], ``pressure`` [Pa], ``wind_speed`` [m/s] at ``climatology.wind_height_m`` per site,
        and ``discharge`` [m^3/s] for every river of the climatology. ``attrs`` record ``seed``, ``years``,
        ``climatology`` (the file), ``climatology_reference`` and ``timezone``.

    Raises
    ------
    WeatherError
        For a site missing from the climatology, malformed ``sites``, bad ``years``, ``seed`` or ``timezone``,
        or a clearness index the site's clear sky cannot reach.
    """
    year_list = _year_list(years, start_year)
    site_table = _check_sites(sites, climatology)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise WeatherError(f"synthetic weather: seed must be a non-negative integer, got {seed!r}.")
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise WeatherError(
            f"synthetic weather: unknown timezone {timezone!r}; use an IANA name such as 'Asia/Baku'."
        ) from None

    params = _SiteParameters.from_climatology(site_table, climatology)
    parts = [_generate_year(year, params, int(seed), zone) for year in year_list]
    time = pd.DatetimeIndex(np.concatenate([p["time"] for p in parts]))
    data = {name: np.concatenate([p[name] for p in parts]) for name in _SITE_OUTPUTS}

    rivers = list(climatology.rivers)
    discharge = _discharge(time, year_list, climatology, int(seed)) if rivers else None
    span = f"{year_list[0]}" if len(year_list) == 1 else f"{year_list[0]}-{year_list[-1]}"
    source_file = Path(climatology.path)
    title = (
        f"SYNTHETIC weather {span} (seed {seed}), calibrated to {source_file.parent.name}/{source_file.name}: "
        "random, not measured"
    )
    return make_weather(
        time=time,
        sites=site_table,
        data=data,
        wind_height_m=climatology.wind_height_m,
        source="synthetic",
        synthetic=True,
        title=title,
        rivers=rivers,
        discharge=discharge,
        extra_attrs={
            "seed": int(seed),
            "years": [int(y) for y in year_list],
            "climatology": str(climatology.path),
            "climatology_reference": climatology.reference,
            "timezone": timezone,
            "generator": "greenzone.weather.synthetic",
            "zenith_convention": "true solar zenith at mid-hour (pvlib nrel_numpy); ghi = dni*cos(z) + dhi",
        },
    )


_SITE_OUTPUTS = ("ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed")


def _year_list(years: int | list[int], start_year: int) -> list[int]:
    """Validate ``years`` and return the consecutive calendar years to generate."""
    lo, hi = _YEAR_RANGE
    if isinstance(years, bool):
        raise WeatherError(f"synthetic weather: years must be a count or a list of years, got {years!r}.")
    if isinstance(years, int | np.integer):
        if not 1 <= years <= _MAX_YEARS:
            raise WeatherError(f"synthetic weather: years must be between 1 and {_MAX_YEARS}, got {years}.")
        if isinstance(start_year, bool) or not isinstance(start_year, int | np.integer):
            raise WeatherError(f"synthetic weather: start_year must be an integer, got {start_year!r}.")
        year_list = list(range(int(start_year), int(start_year) + int(years)))
    else:
        year_list = list(years)
        if not year_list or not all(
            isinstance(y, int | np.integer) and not isinstance(y, bool) for y in year_list
        ):
            raise WeatherError(
                f"synthetic weather: years must be a non-empty list of integers, got {years!r}."
            )
        year_list = [int(y) for y in year_list]
        if any(b - a != 1 for a, b in zip(year_list, year_list[1:], strict=False)):
            raise WeatherError(
                f"synthetic weather: the years {year_list} are not consecutive and increasing; a Weather is "
                "gap-free, so give consecutive years (e.g. [2001, 2002, 2003])."
            )
    if year_list[0] < lo or year_list[-1] > hi:
        raise WeatherError(
            f"synthetic weather: years must lie within {lo}-{hi}, got {year_list[0]}-{year_list[-1]}."
        )
    return year_list


def _check_sites(sites: pd.DataFrame, climatology: Climatology) -> pd.DataFrame:
    """Validate the site table and return a clean copy (string ids; float lat, lon, elevation)."""
    if not isinstance(sites, pd.DataFrame):
        raise WeatherError(
            "synthetic weather: sites must be a DataFrame indexed by site id with lat, lon, elevation."
        )
    missing_columns = [c for c in ("lat", "lon", "elevation") if c not in sites.columns]
    if missing_columns:
        raise WeatherError(
            f"synthetic weather: sites lack the column(s) {', '.join(missing_columns)}; give lat, lon [deg] and "
            "elevation [m] per site."
        )
    if len(sites) == 0:
        raise WeatherError("synthetic weather: sites is empty; give at least one site.")
    table = sites[["lat", "lon", "elevation"]].copy()
    table.index = pd.Index([str(s) for s in sites.index], name="site")
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()].unique().tolist()
        raise WeatherError(f"synthetic weather: duplicate site ids {dup}.")
    try:
        table = table.astype(float)
    except (TypeError, ValueError):
        raise WeatherError("synthetic weather: lat, lon and elevation must be numbers.") from None
    limits = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0), "elevation": (-500.0, 9000.0)}
    for column, (lo, hi) in limits.items():
        bad = table.index[~table[column].between(lo, hi)].tolist()
        if bad:
            raise WeatherError(
                f"synthetic weather: site {bad[0]!r} has {column} {table.loc[bad[0], column]!r}; "
                f"it must be a number between {lo:g} and {hi:g}."
            )
    unknown = [s for s in table.index if s not in climatology.sites]
    if unknown:
        raise WeatherError(
            f"synthetic weather: site(s) {', '.join(unknown)} not in the climatology {climatology.path}; "
            f"it has {', '.join(climatology.sites)}. Add them to the climatology file or use another site id."
        )
    return table


# --------------------------------------------------------------------------------------------------------------
# Random processes
# --------------------------------------------------------------------------------------------------------------


def _stream_key(kind: str, name: str) -> int:
    """A stable integer for a site, river or the region (Python's hash() is salted per process)."""
    return zlib.crc32(f"{kind}:{name}".encode())


def _normals(seed: int, year: int, variable: str, kind: str, names: list[str], n: int) -> np.ndarray:
    """Standard normal innovations, shape (n, len(names)), correlated between columns via a regional share.

    Column j is ``sqrt(r) * regional + sqrt(1 - r) * own_j`` with r = ``_REGIONAL_SHARE[variable]``; each
    stream comes from its own SeedSequence (seed, year, stream, variable).
    """
    code = _VARIABLE_CODES[variable]

    def draw(key: int) -> np.ndarray:
        sequence = np.random.SeedSequence(entropy=seed, spawn_key=(year, key, code))
        return np.random.default_rng(sequence).standard_normal(n)

    regional = draw(_stream_key("region", "all"))
    own = np.stack([draw(_stream_key(kind, name)) for name in names], axis=1)
    share = _REGIONAL_SHARE[variable]
    return math.sqrt(share) * regional[:, None] + math.sqrt(1.0 - share) * own


def _ar1(innovations: np.ndarray, phi: float) -> np.ndarray:
    """Stationary Gaussian AR(1) along axis 0 with unit variance: x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t."""
    b = math.sqrt(1.0 - phi * phi)
    zi = innovations[:1] * (1.0 - b)  # so that x_0 = e_0
    out, _ = signal.lfilter([b], [1.0, -phi], innovations, axis=0, zi=zi)
    return out


def _daily_to_hourly(daily: np.ndarray, n_hours: int) -> np.ndarray:
    """Linear interpolation of daily values (placed at each UTC day's centre) to hourly means, shape (n, ...)."""
    position = (np.arange(n_hours) + 0.5) / 24.0 - 0.5
    lower = np.clip(np.floor(position).astype(int), 0, len(daily) - 1)
    upper = np.minimum(lower + 1, len(daily) - 1)
    weight = np.clip(position - lower, 0.0, 1.0)
    shape = (-1,) + (1,) * (daily.ndim - 1)
    weight = weight.reshape(shape)
    return (1.0 - weight) * daily[lower] + weight * daily[upper]


# --------------------------------------------------------------------------------------------------------------
# One year of site weather
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SiteParameters:
    """Climatology and geometry of the requested sites as arrays over sites."""

    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    elevation: np.ndarray
    kt: np.ndarray  # (12, site)
    temp_annual: np.ndarray
    temp_amplitude: np.ndarray
    temp_range: np.ndarray
    wind_mean: np.ndarray
    wind_k: np.ndarray
    wind_amplitude: np.ndarray
    wind_peak: np.ndarray
    climatology_path: str

    @classmethod
    def from_climatology(cls, table: pd.DataFrame, climatology: Climatology) -> _SiteParameters:
        climate = [climatology.sites[s] for s in table.index]

        def column(field: str) -> np.ndarray:
            return np.array([getattr(c, field) for c in climate], dtype=float)

        return cls(
            ids=list(table.index),
            lat=table["lat"].to_numpy(float),
            lon=table["lon"].to_numpy(float),
            elevation=table["elevation"].to_numpy(float),
            kt=np.array([c.clearness_index for c in climate], dtype=float).T,
            temp_annual=column("temp_annual_c"),
            temp_amplitude=column("temp_amplitude_c"),
            temp_range=column("temp_daily_range_c"),
            wind_mean=column("wind_mean_ms"),
            wind_k=column("wind_weibull_k"),
            wind_amplitude=column("wind_daily_amplitude"),
            wind_peak=column("wind_peak_hour_local"),
            climatology_path=climatology.path,
        )


def _generate_year(
    year: int, p: _SiteParameters, seed: int, zone: zoneinfo.ZoneInfo
) -> dict[str, np.ndarray]:
    """All site variables of one calendar year, each of shape (hours, sites)."""
    time = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    n_hours, n_days = len(time), len(time) // 24
    middle = time + pd.Timedelta(minutes=30)
    local = middle.tz_localize("UTC").tz_convert(zone)
    local_hour = (local.hour + local.minute / 60.0).to_numpy(float)[:, None]
    utc_offset_h = ((local.tz_localize(None) - middle) / pd.Timedelta(hours=1)).to_numpy(float)[:, None]
    month = time.month.to_numpy() - 1
    day_month = month[::24]
    pressure = pvlib.atmosphere.alt2pres(p.elevation)

    sky = _sky(year, middle, p)
    daily_index = _daily_clearsky_index(year, seed, p, sky, month, day_month, n_days)
    ghi, dni, dhi = _irradiance(year, seed, p, sky, daily_index, middle)
    temp_air = _temperature(year, seed, p, middle, local_hour, utc_offset_h, daily_index, n_hours, n_days)
    wind = _wind(year, seed, p, local_hour, n_hours)
    return {
        "time": time.values,
        "ghi": ghi,
        "dni": dni,
        "dhi": dhi,
        "temp_air": temp_air,
        "pressure": np.broadcast_to(pressure, (n_hours, len(p.ids))).copy(),
        "wind_speed": wind,
    }


@dataclass(frozen=True)
class _Sky:
    """Sun and clear sky at mid-hour, shape (hours, sites)."""

    zenith: np.ndarray  # true solar zenith [deg]
    cos_zenith: np.ndarray  # max(cos(zenith), 0) [-]
    extra_horizontal: np.ndarray  # extraterrestrial horizontal irradiance H0 [W/m^2]
    clearsky_ghi: np.ndarray  # Ineichen clear-sky GHI [W/m^2]


def _sky(year: int, middle: pd.DatetimeIndex, p: _SiteParameters) -> _Sky:
    """Solar position, extraterrestrial and clear-sky irradiance at the middle of each hour of ``year``."""
    columns = [
        _site_sky(year, float(a), float(b), float(c))
        for a, b, c in zip(p.lat, p.lon, p.elevation, strict=True)
    ]
    zenith = np.stack([c[0] for c in columns], axis=1)
    clearsky_ghi = np.stack([c[1] for c in columns], axis=1)
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(middle.day_of_year.to_numpy()), float)[
        :, None
    ]
    cos_zenith = np.maximum(np.cos(np.radians(zenith)), 0.0)
    return _Sky(zenith, cos_zenith, dni_extra * cos_zenith, clearsky_ghi)


@functools.lru_cache(maxsize=128)
def _site_sky(year: int, lat: float, lon: float, elevation: float) -> tuple[np.ndarray, np.ndarray]:
    """True solar zenith [deg] and Ineichen clear-sky GHI [W/m^2] at mid-hour for one site and year.

    Solar position is most of the generator's run time and does not depend on the seed, so the last 128
    site-years are kept (read-only, about 140 kB each) for ensembles of seeds over the same sites and years.
    """
    middle = pd.date_range(f"{year}-01-01 00:30", f"{year + 1}-01-01", freq="h", inclusive="left")
    pressure = float(pvlib.atmosphere.alt2pres(elevation))
    position = pvlib.solarposition.get_solarposition(
        middle, lat, lon, altitude=elevation, pressure=pressure, method="nrel_numpy"
    )
    zenith = position["zenith"].to_numpy(float)
    apparent = position["apparent_zenith"].to_numpy(float)
    turbidity = pvlib.clearsky.lookup_linke_turbidity(middle, lat, lon).to_numpy(float)
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(middle.day_of_year.to_numpy()), float)
    with np.errstate(invalid="ignore", divide="ignore"):
        airmass = pvlib.atmosphere.get_absolute_airmass(
            pvlib.atmosphere.get_relative_airmass(apparent), pressure
        )
        clear = pvlib.clearsky.ineichen(apparent, airmass, turbidity, altitude=elevation, dni_extra=dni_extra)
    clearsky_ghi = np.where(
        apparent < 90.0, np.maximum(np.nan_to_num(np.asarray(clear["ghi"], float)), 0.0), 0.0
    )
    zenith.flags.writeable = False
    clearsky_ghi.flags.writeable = False
    return zenith, clearsky_ghi


def _daily_clearsky_index(
    year: int,
    seed: int,
    p: _SiteParameters,
    sky: _Sky,
    month: np.ndarray,
    day_month: np.ndarray,
    n_days: int,
) -> np.ndarray:
    """Daily clear-sky index [-], shape (days, sites): Gaussian AR(1) through a Beta marginal (Gaussian copula).

    The Beta mean of each (month, site) is solved so that the expected monthly mean GHI equals
    Kt(month) x mean extraterrestrial horizontal irradiance of that month.
    """
    one_hot = np.eye(_MONTHS)[month]  # (hours, 12)
    extra_sum = one_hot.T @ sky.extra_horizontal  # (12, site)
    clear_sum = one_hot.T @ sky.clearsky_ghi
    with np.errstate(invalid="ignore", divide="ignore"):
        required = p.kt * extra_sum / clear_sum  # required mean clear-sky index (12, site)
    grid_mean, grid_expected = _index_table()
    lo, hi = grid_expected[0], grid_expected[-1]
    bad = ~((required >= lo) & (required <= hi))
    if bad.any():
        m, j = np.argwhere(bad)[0]
        raise WeatherError(
            f"{p.climatology_path}: sites.{p.ids[j]}.clearness_index[{m}] ({_MONTH_NAMES[m]}) = {p.kt[m, j]:g} "
            "cannot be reached "
            f"at this site in {year}: it needs a mean clear-sky index of {required[m, j]:.3f} relative to the "
            f"Ineichen clear sky, and the synthetic model spans {lo:.3f}-{hi:.3f}. Check the clearness index "
            "(it is relative to extraterrestrial irradiance) and the site's elevation."
        )
    beta_mean = np.interp(required, grid_expected, grid_mean) / _INDEX_MAX  # (12, site), in (0, 1)
    z = _ar1(_normals(seed, year, "index_daily", "site", p.ids, n_days), _INDEX_DAILY_AR1)
    m = beta_mean[day_month]  # (days, site)
    u = special.ndtr(z)
    return _INDEX_MAX * special.betaincinv(m * _INDEX_CONCENTRATION, (1.0 - m) * _INDEX_CONCENTRATION, u)


def _hourly_sd(daily_index: np.ndarray) -> np.ndarray:
    """Standard deviation of the hourly fluctuation for a daily clear-sky index [-]."""
    m = np.clip(daily_index / _INDEX_MAX, 0.0, 1.0)
    return _INDEX_HOURLY_SD * 4.0 * m * (1.0 - m)


@functools.cache
def _index_table() -> tuple[np.ndarray, np.ndarray]:
    """Expected capped clear-sky index E[clip(k_d (1 + s(k_d) e), 0, cap)] as a function of the daily mean.

    Returns ``(mean of k_d, expected capped index)`` on a grid; the expectation is exact over the normal
    hourly fluctuation e (a clipped normal) and a 1,000-point quantile quadrature over the Beta daily index.
    """
    means = _INDEX_MAX * np.linspace(0.01, 0.985, 160)
    m = (means / _INDEX_MAX)[:, None]
    u = (np.arange(1000) + 0.5) / 1000.0
    k = _INDEX_MAX * special.betaincinv(
        m * _INDEX_CONCENTRATION, (1.0 - m) * _INDEX_CONCENTRATION, u[None, :]
    )
    sd = np.maximum(k * _hourly_sd(k), 1e-12)

    def partial_mean(threshold: float) -> np.ndarray:  # E[(Y - threshold)^+], Y ~ N(k, sd^2)
        d = (k - threshold) / sd
        return (k - threshold) * special.ndtr(d) + sd * np.exp(-0.5 * d * d) / math.sqrt(2.0 * math.pi)

    expected = (partial_mean(0.0) - partial_mean(_GHI_CAP_CLEARSKY)).mean(axis=1)
    if np.any(np.diff(expected) <= 0):  # pragma: no cover - a property of the constants above
        raise AssertionError("the expected clear-sky index must increase with its daily mean")
    return means, expected


def _irradiance(
    year: int,
    seed: int,
    p: _SiteParameters,
    sky: _Sky,
    daily_index: np.ndarray,
    middle: pd.DatetimeIndex,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GHI, DNI, DHI [W/m^2], shape (hours, sites)."""
    n_hours = len(middle)
    hourly_daily = np.repeat(daily_index, 24, axis=0)
    e = _ar1(_normals(seed, year, "index_hourly", "site", p.ids, n_hours), _INDEX_HOURLY_AR1)
    index = np.maximum(hourly_daily * (1.0 + np.repeat(_hourly_sd(daily_index), 24, axis=0) * e), 0.0)
    cap = np.minimum(_GHI_CAP_CLEARSKY * sky.clearsky_ghi, sky.extra_horizontal)
    ghi = np.minimum(sky.clearsky_ghi * index, cap)
    split = pvlib.irradiance.erbs(ghi, sky.zenith, middle.day_of_year.to_numpy()[:, None])
    # erbs sets DNI = 0 where the zenith exceeds 87 deg; DHI is recomputed so that
    # ghi = dni * cos(zenith) + dhi holds to rounding everywhere.
    dni = np.maximum(np.asarray(split["dni"], float), 0.0)
    dhi = np.maximum(ghi - dni * sky.cos_zenith, 0.0)
    return ghi, dni, dhi


def _temperature(
    year: int,
    seed: int,
    p: _SiteParameters,
    middle: pd.DatetimeIndex,
    local_hour: np.ndarray,
    utc_offset_h: np.ndarray,
    daily_index: np.ndarray,
    n_hours: int,
    n_days: int,
) -> np.ndarray:
    """Air temperature [degC], shape (hours, sites)."""
    doy = (middle.day_of_year.to_numpy(float) + (middle.hour.to_numpy(float) + 0.5) / 24.0 - 1.0)[:, None]
    seasonal = p.temp_annual + p.temp_amplitude * np.cos(2.0 * np.pi * (doy - _TEMP_SEASON_PEAK_DOY) / 365.0)

    # Sunrise in local clock hours (spencer71 declination and equation of time).
    day_angle = middle.day_of_year.to_numpy(float)[:, None]
    declination = pvlib.solarposition.declination_spencer71(day_angle)  # [rad]
    eot_min = pvlib.solarposition.equation_of_time_spencer71(day_angle)  # [min]
    cos_half_day = np.clip(-np.tan(np.radians(p.lat)) * np.tan(declination), -1.0, 1.0)
    half_day_h = np.degrees(np.arccos(cos_half_day)) / 15.0
    noon_utc_h = 12.0 - p.lon / 15.0 - eot_min / 60.0
    sunrise = np.clip(noon_utc_h - half_day_h + utc_offset_h, 2.0, _TEMP_PEAK_HOUR_LOCAL - 3.0)
    shape = _daily_cycle_shape(local_hour, sunrise, _TEMP_PEAK_HOUR_LOCAL)

    clear_share = _TEMP_RANGE_OVERCAST + (1.0 - _TEMP_RANGE_OVERCAST) * np.minimum(daily_index, 1.0)
    day_range = _daily_to_hourly(p.temp_range * clear_share, n_hours)
    anomaly = _TEMP_ANOMALY_SD * _ar1(_normals(seed, year, "temp", "site", p.ids, n_days), _TEMP_ANOMALY_AR1)
    return seasonal + day_range * shape + _daily_to_hourly(anomaly, n_hours)


def _daily_cycle_shape(hour: np.ndarray, t_min: np.ndarray, t_max: float) -> np.ndarray:
    """Daily temperature cycle of range 1 and mean 0: -0.5 at ``t_min``, +0.5 at ``t_max`` [h, local].

    A half cosine rises from ``t_min`` to ``t_max`` and another falls from ``t_max`` to ``t_min`` + 24 h; each
    half has zero mean, so the cycle does not shift the daily mean.
    """
    rising = (hour >= t_min) & (hour <= t_max)
    rise = -0.5 * np.cos(np.pi * (hour - t_min) / (t_max - t_min))
    fall = 0.5 * np.cos(np.pi * np.mod(hour - t_max, 24.0) / (24.0 - t_max + t_min))
    return np.where(rising, rise, fall)


def _wind(year: int, seed: int, p: _SiteParameters, local_hour: np.ndarray, n_hours: int) -> np.ndarray:
    """Wind speed [m/s] at the climatology's height, shape (hours, sites)."""
    shape = np.array([_compensated_shape(k, a) for k, a in zip(p.wind_k, p.wind_amplitude, strict=True)])
    if np.isnan(shape).any():
        j = int(np.flatnonzero(np.isnan(shape))[0])
        raise WeatherError(
            f"{p.climatology_path}: sites.{p.ids[j]}: a daily wind cycle of relative amplitude "
            f"{p.wind_amplitude[j]:g} spreads the wind speeds more than a Weibull shape of {p.wind_k[j]:g} "
            "allows; lower wind_daily_amplitude or wind_weibull_k."
        )
    scale = p.wind_mean / special.gamma(1.0 + 1.0 / shape)
    z = _ar1(_normals(seed, year, "wind", "site", p.ids, n_hours), _WIND_AR1)
    weibull = scale * (-special.log_ndtr(-z)) ** (1.0 / shape)  # inverse CDF at Phi(z)
    cycle = 1.0 + p.wind_amplitude * np.cos(2.0 * np.pi * (local_hour - p.wind_peak) / 24.0)
    return weibull * cycle


@functools.lru_cache(maxsize=128)
def _compensated_shape(k: float, amplitude: float) -> float:
    """Weibull shape k' such that Weibull(k') x daily cycle has maximum-likelihood Weibull shape ``k``.

    The daily cycle ``1 + a cos(.)`` spreads the distribution (lowers its fitted shape); this solves for the
    sharper underlying shape by quadrature (1,000 Weibull quantiles x 24 hours of the cycle).
    """
    if amplitude == 0.0:
        return float(k)
    u = (np.arange(1000) + 0.5) / 1000.0
    log_exp = np.log(-np.log1p(-u))[:, None]
    log_cycle = np.log(1.0 + amplitude * np.cos(2.0 * np.pi * np.arange(24) / 24.0))[None, :]

    def fitted_shape(k_under: float) -> float:
        log_x = (log_exp / k_under + log_cycle).ravel()
        mean_log = log_x.mean()

        def score(kk: float) -> float:
            """Derivative of the Weibull log-likelihood in the shape, with the scale profiled out."""
            w = np.exp(kk * (log_x - log_x.max()))
            return 1.0 / kk + mean_log - float((w * log_x).sum() / w.sum())

        return optimize.brentq(score, 0.05, 200.0, xtol=1e-10)

    if fitted_shape(20.0 * k) < k:  # the daily cycle alone is wider than a Weibull of shape k
        return math.nan
    return float(optimize.brentq(lambda kk: fitted_shape(kk) - k, k, 20.0 * k, xtol=1e-8))


# --------------------------------------------------------------------------------------------------------------
# Rivers
# --------------------------------------------------------------------------------------------------------------


def _discharge(
    time: pd.DatetimeIndex, year_list: list[int], climatology: Climatology, seed: int
) -> np.ndarray:
    """Discharge [m^3/s] of every river of the climatology, shape (hours, rivers)."""
    names = list(climatology.rivers)
    mean_flow = np.array([climatology.rivers[r].mean_flow_m3s for r in names])
    share = np.array([climatology.rivers[r].monthly_share for r in names], dtype=float).T  # (12, river)
    profile = _monthly_profile(time, mean_flow, share)
    sigma = math.sqrt(math.log1p(_DISCHARGE_SD**2))
    parts = []
    for year in year_list:
        n_days = 366 if pd.Timestamp(year=year, month=1, day=1).is_leap_year else 365
        z = _ar1(_normals(seed, year, "discharge", "river", names, n_days), _DISCHARGE_AR1)
        parts.append(_daily_to_hourly(np.exp(sigma * z - 0.5 * sigma * sigma), 24 * n_days))
    return profile * np.concatenate(parts)


def _monthly_profile(time: pd.DatetimeIndex, mean_flow: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Smooth, positive hourly discharge [m^3/s] whose mean over each calendar month is that month's target.

    Month m of year y has mean ``mean_flow * share[m] * hours(y) / hours(m, y)``, so each month carries its
    share of the year's volume and each year's mean is ``mean_flow``. The profile is the exponential of a
    piecewise-linear curve through one knot per month centre, with the knots adjusted iteratively until every
    monthly mean (integrated in closed form) matches, and a last rescaling per month for the hourly sampling
    (relative jumps of about 1e-6 at month boundaries).
    """
    year = time.year.to_numpy()
    codes = (year - year[0]) * _MONTHS + time.month.to_numpy() - 1  # consecutive whole years: 0 .. 12 n - 1
    hours_in_month = np.bincount(codes).astype(float)
    hours_in_year = np.repeat(hours_in_month.reshape(-1, _MONTHS).sum(axis=1), _MONTHS)
    month_of_year = np.arange(len(hours_in_month)) % _MONTHS
    target = mean_flow[None, :] * share[month_of_year] * (hours_in_year / hours_in_month)[:, None]

    # Knots at month centres, with one month of padding on either side (December before, January after).
    start = np.concatenate([[0.0], np.cumsum(hours_in_month)[:-1]])
    centres = start + hours_in_month / 2.0
    pad_before = -31 * 24 / 2.0
    pad_after = len(time) + 31 * 24 / 2.0
    knots = np.concatenate([[pad_before], centres, [pad_after]])
    log_knot = np.log(np.concatenate([share[[-1]] * mean_flow * 12, target, share[[0]] * mean_flow * 12]))

    # Mean of the curve over each month in closed form: exp is integrated exactly along each straight
    # half-month piece of the log-curve, so the knots are solved on months, not hours.
    left_share = (start - knots[:-2]) / (knots[1:-1] - knots[:-2])  # position of each month's start
    right_share = (start + hours_in_month - knots[1:-1]) / (knots[2:] - knots[1:-1])

    def monthly_means(z: np.ndarray) -> np.ndarray:
        centre = z[1:-1]
        at_start = z[:-2] + (centre - z[:-2]) * left_share[:, None]
        at_end = centre + (z[2:] - centre) * right_share[:, None]
        return 0.5 * (
            np.exp(at_start) * special.exprel(centre - at_start)
            + np.exp(centre) * special.exprel(at_end - centre)
        )

    for _ in range(200):
        correction = np.log(target / monthly_means(log_knot))
        log_knot[1:-1] += correction
        if np.abs(correction).max() < 1e-12:
            break

    hour_mid = np.arange(len(time)) + 0.5
    right = np.clip(np.searchsorted(knots, hour_mid), 1, len(knots) - 1)
    w = ((hour_mid - knots[right - 1]) / (knots[right] - knots[right - 1]))[:, None]
    curve = np.exp((1.0 - w) * log_knot[right - 1] + w * log_knot[right])
    means = np.stack([np.bincount(codes, c) for c in curve.T], axis=1) / hours_in_month[:, None]
    return curve * (target / means)[codes]
