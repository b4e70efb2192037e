"""Calibration against observed output: ``calibrate(zone, observed)`` fits one bounded factor per group of
plants (hydro: flow; solar: DC yield; wind: yield) so that the zone's weather and conversions give the observed
energy, and returns the calibrated zone, its file text and the before/after table.

Data flow: observed CSV (:mod:`.observed`) + zone + weather → unit models (:mod:`.model`) → one root-find per
group (:mod:`.fit`) → calibrated zone text (:mod:`.zonefile`) and :func:`write_calibration`'s files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.calibrate.fit import FACTOR_BOUNDS, GroupFit, fit_group
from greenzone.calibrate.model import group_models, period_hours
from greenzone.calibrate.observed import read_observed
from greenzone.calibrate.zonefile import calibrated_zone_text
from greenzone.errors import CalibrationError
from greenzone.zone.schema import Calibration, Zone

__all__ = ["FACTOR_BOUNDS", "CalibrationResult", "calibrate", "write_calibration"]

DEFAULT_SYNTHETIC_YEARS = 10
"""Synthetic weather years the model is averaged over when the weather is synthetic."""


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` fitted."""

    zone: Zone
    """The zone with every fitted unit's calibration set."""
    zone_text: str | None
    """The calibrated zone file's text (None for a zone built in code)."""
    fits: tuple[GroupFit, ...]
    table: pd.DataFrame
    """One row per observed row: group, period, observed, before, after [MWh], errors [-], spread [MWh]."""
    weather: str
    """The weather the model ran on, in words."""
    observed: Path | None = None
    """The observed-output CSV the factors were fitted to."""
    synthetic: bool = False
    """Whether the weather was synthetic (each period then the mean over its synthetic years)."""
    weather_years: int = 1
    """The weather's years [-] (synthetic years, or the calendar years a measured weather touches)."""


def calibrate(
    zone: Zone,
    observed: str | Path,
    *,
    weather: xr.Dataset | None = None,
    years: int = DEFAULT_SYNTHETIC_YEARS,
    seed: int | None = None,
    date: str | None = None,
) -> CalibrationResult:
    """Fit one factor per observed group of ``zone``'s plants to the energy in ``observed``.

    Parameters
    ----------
    zone : a validated zone (:func:`greenzone.load_zone`).
    observed : the observed-output CSV (:mod:`greenzone.calibrate.observed` describes its columns).
    weather : the weather to model with; default the zone's (:func:`greenzone.weather.load_weather`), with
        ``years`` synthetic years when it is synthetic. With synthetic weather every observed period is
        compared with the mean of that period over the synthetic years; with measured weather, with itself.
    years, seed : synthetic weather years [-] and their seed (default the zone's).
    date : the date recorded with each fit (ISO 8601); default today (UTC).

    Raises
    ------
    CalibrationError
        for bad observed data (naming file, line and column), a period outside the weather, groups the data
        cannot tell apart, or a factor that would have to leave its bounds (:data:`FACTOR_BOUNDS`).
    """
    groups = read_observed(observed, zone)
    if weather is None:
        from greenzone.weather import load_weather

        weather = load_weather(zone, years=years, seed=seed)
    synthetic = bool(int(weather.attrs.get("synthetic", 0)))
    hours = period_hours(weather, zone.timezone, groups, synthetic=synthetic)
    fits = tuple(fit_group(g, group_models(zone, weather, g), hours) for g in groups)
    described = _describe_weather(weather, synthetic)
    calibrations = _calibrations(
        fits, Path(observed), described, date or dt.datetime.now(dt.UTC).date().isoformat()
    )
    calibrated = with_calibrations(zone, calibrations)
    text = None
    if zone.zone_file is not None:
        text = calibrated_zone_text(zone.zone_file, calibrations, _header(fits, Path(observed), described))
    return CalibrationResult(
        calibrated,
        text,
        fits,
        fit_table(fits, synthetic),
        described,
        observed=Path(observed),
        synthetic=synthetic,
        weather_years=len(set(pd.DatetimeIndex(weather.indexes["time"]).year)),
    )


def with_calibrations(zone: Zone, calibrations: dict[tuple[str, str], Calibration]) -> Zone:
    """``zone`` with the given units' calibration replaced (frozen models are copied, not changed)."""
    nodes = []
    for node in zone.nodes:
        techs = {
            t: nt.model_copy(update={"calibration": calibrations[(node.id, t)]})
            if (node.id, t) in calibrations
            else nt
            for t, nt in node.technologies.items()
        }
        nodes.append(node.model_copy(update={"technologies": techs}))
    return zone.model_copy(update={"nodes": nodes})


def fit_table(fits: tuple[GroupFit, ...], synthetic: bool) -> pd.DataFrame:
    """Before and after per group and period: energies [MWh], relative errors (model/observed - 1) [-], the
    spread across synthetic years [MWh] and how many spreads the observation lies from the model's mean."""
    records = []
    for fit in fits:
        for r in fit.rows:
            observed = r.row.energy_mwh
            records.append(
                {
                    "group": fit.group.name,
                    "period": r.row.period.text,
                    "factor": fit.factor,
                    "observed_mwh": observed,
                    "before_mwh": r.before_mwh,
                    "after_mwh": r.after_mwh,
                    "error_before": r.before_mwh / observed - 1 if observed > 0 else np.nan,
                    "error_after": r.after_mwh / observed - 1 if observed > 0 else np.nan,
                    "spread_mwh": r.spread_mwh if synthetic else np.nan,
                    "spread_before_mwh": r.spread_before_mwh if synthetic else np.nan,
                    "spreads_off": (observed - r.after_mwh) / r.spread_mwh
                    if synthetic and r.spread_mwh > 0
                    else np.nan,
                    "source": r.row.source,
                }
            )
    return pd.DataFrame.from_records(records)


def write_calibration(result: CalibrationResult, folder: str | Path) -> list[str]:
    """Write ``zone.yaml`` (the calibrated zone), ``calibration.csv`` (the table), ``calibration.json``
    (factors per group) and ``report.html`` (the self-contained page of both,
    :mod:`greenzone.report.calibration`) into ``folder`` (a staged output folder); the names written."""
    from greenzone.report.calibration import calibration_page

    folder = Path(folder)
    names = []
    if result.zone_text is not None:
        (folder / "zone.yaml").write_text(result.zone_text, encoding="utf-8")
        names.append("zone.yaml")
    result.table.to_csv(folder / "calibration.csv", index=False, float_format="%.6g")
    summary = {
        "weather": result.weather,
        "groups": [
            {
                "group": f.group.name,
                "units": [f"{n}/{t}" for n, t in f.group.units],
                "quantity": f.group.quantity,
                "factor": f.factor,
                "bounds": list(f.bounds),
                "bound_hit": _bound_hit(f.factor, f.bounds),
                "observed_mwh": f.observed_mwh,
                "before_mwh": f.before_mwh,
                "after_mwh": f.after_mwh,
                "periods": [r.row.period.text for r in f.rows],
            }
            for f in result.fits
        ],
    }
    (folder / "calibration.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    page = calibration_page(
        result.table,
        summary["groups"],
        zone=result.zone.name,
        observed=result.observed.name if result.observed is not None else "observed data",
        weather=result.weather,
        synthetic=result.synthetic,
        weather_years=result.weather_years,
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
    return [*names, "calibration.csv", "calibration.json", "report.html"]


BOUND_HIT_TOL = 1e-6
"""How close to a bound a fitted factor counts as having reached it [-]."""


def _bound_hit(factor: float, bounds: tuple[float, float]) -> str | None:
    """ "lower" or "upper" when the factor lies at that bound (within :data:`BOUND_HIT_TOL`), else None."""
    lo, hi = bounds
    if abs(factor - lo) <= BOUND_HIT_TOL:
        return "lower"
    if abs(factor - hi) <= BOUND_HIT_TOL:
        return "upper"
    return None


def _describe_weather(weather: xr.Dataset, synthetic: bool) -> str:
    time = pd.DatetimeIndex(weather.indexes["time"])
    if synthetic:
        n = len(set(time.year))
        return f"synthetic, {n} years from {time[0].year}, seed {weather.attrs.get('seed', '?')}"
    return f"{weather.attrs.get('source', 'weather')} {time[0]:%Y-%m-%d} to {time[-1]:%Y-%m-%d} UTC"


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def _calibrations(fits, observed: Path, weather: str, date: str) -> dict[tuple[str, str], Calibration]:
    digest = _sha256(observed)
    out = {}
    for fit in fits:
        sources = list(dict.fromkeys(r.row.source for r in fit.rows))
        cal = Calibration(
            quantity=fit.group.quantity,
            factor=round(fit.factor, 9),
            group=fit.group.name,
            observed=observed.name,
            observed_sha256=digest,
            periods=[r.row.period.text for r in fit.rows],
            observed_mwh=round(fit.observed_mwh, 3),
            modelled_before_mwh=round(fit.before_mwh, 3),
            source="; ".join(sources),
            weather=weather,
            date=date,
        )
        for unit in fit.group.units:
            out[unit] = cal
    return out


def _header(fits, observed: Path, weather: str) -> list[str]:
    lines = [f"Calibrated by greenzone calibrate against {observed.name} (weather: {weather}):"]
    for fit in fits:
        lines.append(
            f"  {fit.group.name}: {fit.group.quantity} factor {fit.factor:.4f} on "
            f"{', '.join(f'{n}/{t}' for n, t in fit.group.units)}; observed {fit.observed_mwh:,.0f} MWh, "
            f"model {fit.before_mwh:,.0f} MWh before, {fit.after_mwh:,.0f} MWh after"
        )
    return lines
