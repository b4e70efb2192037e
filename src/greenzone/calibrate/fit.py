"""One bounded factor per group: the root of (modelled − observed energy over the group's periods).

A group's modelled energy ``E(f)`` is non-decreasing in its factor ``f`` (:mod:`greenzone.calibrate.model`)
but not linear (design-flow cap and residual flow, inverter clipping, the wind farm's rating), so ``f`` is
found by Brent's method (:func:`scipy.optimize.brentq`) on the factor's bounds. With synthetic weather
``E`` is the mean over the synthetic years of each period; with measured weather, the period itself.

Refused, each with one message: a factor that would have to leave its bounds (the message gives the
output at the bound), and output that hardly changes with the factor (the data cannot identify it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from greenzone.calibrate.model import PeriodHours, UnitModel, group_energies
from greenzone.calibrate.observed import Group, Observation
from greenzone.errors import CalibrationError

FACTOR_BOUNDS = {"flow": (0.2, 2.0), "dc_yield": (0.5, 1.5), "yield": (0.5, 1.5)}
"""Bounds of each factor [-]. A flow factor outside 0.2-2 means the wrong river, flow share or plant rather
than a gauge-to-intake error; a PV or wind yield off by more than half means the wrong capacity or weather,
not losses."""

XTOL = 1e-12
"""Absolute tolerance of the fitted factor [-]."""

SENSITIVITY_MIN = 1e-3
"""Least relative change of a group's output per relative change of its factor [-] for the factor to count as
identified (run-of-river plants always at design flow give 0)."""


@dataclass(frozen=True)
class RowFit:
    """One observed row: the observed energy and the model's before and after the fit [MWh]."""

    row: Observation
    before_mwh: float
    after_mwh: float
    spread_mwh: float
    """Standard deviation of the after-fit energy across synthetic years [MWh] (NaN for measured weather)."""
    spread_before_mwh: float = float("nan")
    """The same of the energy before the fit [MWh]."""


@dataclass(frozen=True)
class GroupFit:
    """The fitted factor of a group and what it was fitted to."""

    group: Group
    factor: float
    bounds: tuple[float, float]
    observed_mwh: float
    """Sum of the group's observed energies [MWh]."""
    before_mwh: float
    """The model's energy over the same periods with the zone's factors [MWh]."""
    after_mwh: float
    rows: tuple[RowFit, ...]


def fit_group(group: Group, models: list[UnitModel], hours: dict[Observation, PeriodHours]) -> GroupFit:
    """Fit ``group``'s factor so that its modelled energy over its rows equals the observed sum."""
    target = sum(row.energy_mwh for row in group.rows)
    lo, hi = FACTOR_BOUNDS[group.quantity]

    def energy(factor: float) -> float:
        return float(sum(e.mean() for e in group_energies(models, [factor] * len(models), group, hours)))

    at_lo, at_hi = energy(lo), energy(hi)
    what = f"group '{group.name}' ({group.rows[0].line})"
    if at_hi - at_lo <= SENSITIVITY_MIN * max(at_hi, target, 1e-9) * (hi - lo) / hi:
        raise _unidentified(what, group.quantity)
    if at_hi < target or at_lo > target:
        bound, at = (hi, at_hi) if at_hi < target else (lo, at_lo)
        raise CalibrationError(
            f"{what}: observed {target:,.0f} MWh, but the model gives {at:,.0f} MWh even at the "
            f"{group.quantity} factor's bound {bound:g} (bounds {lo:g}-{hi:g}); a factor beyond it would not be "
            "physical. Check the observed energy, the units and capacity it covers, and the zone's data for "
            "those units (head, design flow, flow share, capacity)."
        )
    factor = target_factor(energy, target, lo, hi)
    step = 0.01 * factor
    slope = (energy(min(factor + step, hi)) - energy(max(factor - step, lo))) / max(target, 1e-9)
    if slope * factor / (min(factor + step, hi) - max(factor - step, lo)) < SENSITIVITY_MIN:
        raise _unidentified(what, group.quantity)
    before = group_energies(models, [m.factor_now for m in models], group, hours)
    after = group_energies(models, [factor] * len(models), group, hours)
    rows = tuple(
        RowFit(row, float(b.mean()), float(a.mean()), _spread(a), _spread(b))
        for row, b, a in zip(group.rows, before, after, strict=True)
    )
    return GroupFit(
        group=group,
        factor=factor,
        bounds=(lo, hi),
        observed_mwh=target,
        before_mwh=sum(r.before_mwh for r in rows),
        after_mwh=sum(r.after_mwh for r in rows),
        rows=rows,
    )


def _spread(energies: np.ndarray) -> float:
    """Standard deviation across synthetic years [MWh]; NaN for one value."""
    return float(np.std(energies, ddof=1)) if energies.size > 1 else float("nan")


def _unidentified(what: str, quantity: str) -> CalibrationError:
    return CalibrationError(
        f"{what}: the model's output hardly changes with the {quantity} factor (the plants run at their limit "
        "all the time, or have no output), so the observed energy cannot identify it; leave the group out."
    )


def target_factor(energy, target: float, lo: float, hi: float) -> float:
    """The factor in [lo, hi] at which ``energy(factor)`` [MWh] equals ``target`` [MWh]; ``energy`` is
    non-decreasing and brackets the target."""
    if energy(lo) == target:
        return lo
    if energy(hi) == target:
        return hi
    return float(brentq(lambda f: energy(f) - target, lo, hi, xtol=XTOL, maxiter=200))
