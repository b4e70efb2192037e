"""Forecast models for rolling-horizon operation: what the operator believes about the next hours.

A forecast model is a callable ``model(actual, start, horizon) -> window`` that, standing at hour ``start`` of
the ``actual`` profiles (a :func:`greenzone.profiles` Dataset), returns its forecast of ``capacity_factor``,
``inflow``, ``min_release`` and ``demand`` for hours ``start .. start + horizon - 1`` in the same shape as
``actual.isel(time=slice(start, start + horizon))``. No model reads beyond hour ``start - 1`` except through
the error it is told to have (``perfect`` and ``noisy``, which perturb the truth by a stated error).

Models:

- :class:`Perfect`: the actual values (the benchmark for everything else).
- :class:`Persistence`: the same hour of the last observed day (diurnal persistence), the usual naive forecast.
- :class:`Climatology`: the mean of the profiles for the same month and local hour of day.
- :class:`Noisy`: the actual values plus an error with a stated normalised RMSE that grows with lead time,
  autocorrelated across lead times, seeded. Capacity-factor errors are in capacity-factor units (so the nRMSE
  is normalised by installed capacity, as forecasters quote it) and vanish where the actual value is 0 (night);
  demand and inflow errors are relative to the actual value.

:func:`forecast_skill` measures nRMSE by lead time so users can match a model to their real forecaster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

FORECAST_VARIABLES = ("capacity_factor", "inflow", "min_release", "demand")

DEFAULT_NRMSE: dict[str, tuple[float, float]] = {
    "solar": (0.04, 0.10),
    "wind": (0.06, 0.18),
    "hydro_ror": (0.03, 0.08),
    "inflow": (0.03, 0.08),
    "demand": (0.015, 0.04),
}
"""nRMSE at lead 1 h and at lead 48 h (est., typical of day-ahead forecasts; not measured for the zone):
interpolated linearly in lead time and held beyond 48 h. Keys are technology kinds, ``inflow`` (reservoir
inflow and run-of-river discharge) and ``demand``."""


def _window(actual: xr.Dataset, start: int, horizon: int) -> xr.Dataset:
    end = start + horizon
    if start < 0 or end > actual.sizes["time"]:
        raise ValueError(f"window {start}..{end} is outside the profiles' {actual.sizes['time']} hours")
    return actual[list(FORECAST_VARIABLES)].isel(time=slice(start, end))


@dataclass(frozen=True)
class Perfect:
    """Perfect foresight: the actual values."""

    name: str = "perfect"

    def __call__(self, actual: xr.Dataset, start: int, horizon: int) -> xr.Dataset:
        return _window(actual, start, horizon)


@dataclass(frozen=True)
class Persistence:
    """The same hour of the last fully observed day: value(start + l) = actual(start + l - 24 k) with the
    smallest k ≥ 1 such that the source hour is before ``start``. Before the first day: the first day."""

    name: str = "persistence"

    def __call__(self, actual: xr.Dataset, start: int, horizon: int) -> xr.Dataset:
        window = _window(actual, start, horizon)
        lead = np.arange(horizon)
        source = start + lead - 24 * ((lead // 24) + 1)
        source = np.where(source < 0, (start + lead) % 24, source)
        observed = actual[list(FORECAST_VARIABLES)].isel(time=source)
        return observed.assign_coords(time=window["time"])


@dataclass
class Climatology:
    """Mean of the profiles by month and local hour of day (computed once from the profiles given)."""

    timezone: str = "UTC"
    name: str = "climatology"
    _table: xr.Dataset | None = field(default=None, repr=False)

    def _keys(self, time: pd.DatetimeIndex) -> np.ndarray:
        local = pd.DatetimeIndex(time).tz_localize("UTC").tz_convert(self.timezone)
        return (local.month.to_numpy() - 1) * 24 + local.hour.to_numpy()

    def __call__(self, actual: xr.Dataset, start: int, horizon: int) -> xr.Dataset:
        if self._table is None:
            data = actual[list(FORECAST_VARIABLES)]
            keys = xr.DataArray(self._keys(actual.indexes["time"]), dims="time", name="key")
            self._table = data.groupby(keys).mean()
        window = _window(actual, start, horizon)
        keys = self._keys(window.indexes["time"])
        table = self._table.reindex(key=np.arange(288)).fillna(0.0)
        out = table.sel(key=xr.DataArray(keys, dims="time")).drop_vars("key")
        return out.assign_coords(time=window["time"]).transpose(*window["demand"].dims[:1], ...)


@dataclass(frozen=True)
class Noisy:
    """Actual values plus an autocorrelated error whose nRMSE grows with lead time.

    Parameters
    ----------
    nrmse : per key of :data:`DEFAULT_NRMSE`, the nRMSE at lead 1 h and at lead 48 h [-].
    correlation : lag-1 correlation of the error across lead times [-].
    seed : the same seed gives the same forecasts.
    """

    nrmse: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_NRMSE))
    correlation: float = 0.9
    seed: int = 0
    name: str = "noisy"

    def sigma(self, key: str, horizon: int) -> np.ndarray:
        """Error standard deviation by lead time 1..horizon [-]."""
        first, last = self.nrmse[key]
        lead = np.arange(1, horizon + 1)
        return first + (last - first) * np.clip((lead - 1) / 47.0, 0.0, 1.0)

    def _errors(self, key: str, start: int, horizon: int, width: int) -> np.ndarray:
        """(horizon, width) standard-normal AR(1) errors across lead times, seeded by (seed, key, start)."""
        salt = sum(ord(c) * 31**i for i, c in enumerate(key)) % (2**31)
        rng = np.random.default_rng([self.seed, salt, start])
        z = rng.standard_normal((horizon, width))
        rho = self.correlation
        for lead in range(1, horizon):
            z[lead] = rho * z[lead - 1] + np.sqrt(1 - rho**2) * z[lead]
        return z

    def __call__(self, actual: xr.Dataset, start: int, horizon: int) -> xr.Dataset:
        window = _window(actual, start, horizon).copy(deep=True)
        kinds = actual["kind"].values if "kind" in actual.coords else None
        cf = window["capacity_factor"].values  # (time, node, technology)
        techs = list(window["technology"].values)
        for k, tech in enumerate(techs):
            kind = kinds[k] if kinds is not None else tech
            key = (
                "solar"
                if "solar" in str(kind)
                else "wind"
                if "wind" in str(kind)
                else ("hydro_ror" if "ror" in str(kind) else None)
            )
            if key is None:
                continue
            err = self._errors(f"cf:{tech}", start, horizon, cf.shape[1]) * self.sigma(key, horizon)[:, None]
            values = cf[:, :, k]
            cf[:, :, k] = np.where(values > 0, np.clip(values + err, 0.0, 1.0), 0.0)
        window["capacity_factor"].values = cf
        for name, key in (("inflow", "inflow"), ("demand", "demand")):
            values = window[name].values
            flat = values.reshape(horizon, -1)
            err = self._errors(name, start, horizon, flat.shape[1]) * self.sigma(key, horizon)[:, None]
            window[name].values = np.maximum(flat * (1 + err), 0.0).reshape(values.shape)
        return window


FORECASTS = {"perfect": Perfect, "persistence": Persistence, "climatology": Climatology, "noisy": Noisy}


def make_forecast(name: str, *, seed: int = 0, timezone: str = "UTC"):
    """A forecast model by name: perfect, persistence, climatology or noisy."""
    if name not in FORECASTS:
        raise ValueError(f"unknown forecast '{name}'; use one of {', '.join(FORECASTS)}")
    if name == "noisy":
        return Noisy(seed=seed)
    if name == "climatology":
        return Climatology(timezone=timezone)
    return FORECASTS[name]()


def forecast_skill(model, actual: xr.Dataset, *, horizon: int = 48, step: int = 24) -> pd.DataFrame:
    """nRMSE by lead time [-] of ``model`` against ``actual``, over windows every ``step`` hours.

    Columns: capacity factor per technology (RMSE in capacity-factor units, i.e. normalised by capacity;
    hours where the actual value is 0 are included), and demand and inflow (RMSE divided by the mean actual
    value). Index: lead time 1..horizon [h].
    """
    n = actual.sizes["time"]
    starts = range(0, n - horizon + 1, step)
    sq: dict[str, np.ndarray] = {}
    counts = 0
    mean_demand = float(actual["demand"].mean())
    mean_inflow = (
        float(actual["inflow"].where(actual["inflow"] > 0).mean())
        if float(actual["inflow"].max()) > 0
        else 0.0
    )
    for start in starts:
        f = model(actual, start, horizon)
        a = _window(actual, start, horizon)
        counts += 1
        available = actual["available"] if "available" in actual else None
        for k, tech in enumerate(actual["technology"].values):
            mask = available.values[:, k] if available is not None else slice(None)
            diff = f["capacity_factor"].values[:, mask, k] - a["capacity_factor"].values[:, mask, k]
            if diff.size == 0:
                continue
            sq.setdefault(f"cf:{tech}", np.zeros(horizon))
            sq[f"cf:{tech}"] += (diff**2).mean(axis=1)
        if mean_demand > 0:
            diff = (f["demand"].values - a["demand"].values) / mean_demand
            sq.setdefault("demand", np.zeros(horizon))
            sq["demand"] += (diff**2).mean(axis=1)
        if mean_inflow > 0:
            mask = a["inflow"].values > 0
            diff = np.where(mask, f["inflow"].values - a["inflow"].values, 0.0) / mean_inflow
            sq.setdefault("inflow", np.zeros(horizon))
            sq["inflow"] += (diff**2).reshape(horizon, -1).sum(axis=1) / max(
                mask.reshape(horizon, -1).sum(1).max(), 1
            )
    table = pd.DataFrame(
        {k: np.sqrt(v / counts) for k, v in sq.items()}, index=pd.RangeIndex(1, horizon + 1, name="lead_h")
    )
    return table
