"""Modelled output of observed units as a function of their calibration factor, and the weather's periods.

Each unit (a node/technology pair) becomes a :class:`UnitModel` whose ``power_mw(factor)`` is its hourly
output [MW] at its existing capacity, before curtailment, computed by the same conversions as
:func:`greenzone.resources.profiles` with the factor in place of the unit's calibration:

- run-of-river: ``min(max(f Q_share - Q_residual, 0), Q_design) / Q_design`` times capacity;
- reservoir: the inflow ``f`` times its MW equivalent, turbined up to capacity with the reservoir holding
  what the turbines cannot take (released as soon as it can be, spilled when full), after one spin-up pass so
  that the filling at the start equals the filling at the end (as the cyclic plan has it);
- solar: the PVWatts inverter of ``f`` times the DC output, times capacity;
- wind: ``min(f cf, 1)`` times capacity.

Metered output is what the plants delivered with their forced outages, which the plan's profiles leave to the
adequacy analysis; each unit's output is therefore its expected output under them, the conversion's times the
technology's availability ``1 - forced_outage_rate`` (a reservoir's turbines at that share of their capacity,
the water they cannot take stored), so that the factor stands for flow or yield alone.

Every model is non-decreasing in ``f``. Periods are calendar years or months in the zone's local time; a
synthetic weather's years stand for any observed year (their mean and spread are compared), a measured
weather's for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.calibrate.observed import Group, Observation, Unit
from greenzone.errors import CalibrationError
from greenzone.resources.hydro import reservoir_inflow_mw, river_discharge, run_of_river_capacity_factor
from greenzone.resources.profiles import _SOLAR_PARAMETERS
from greenzone.resources.solar import inverter_capacity_factor, solar_dc_output
from greenzone.resources.wind import wind_capacity_factor
from greenzone.zone.schema import Zone

MIN_COVERAGE = 0.99
"""Share of a period's hours the weather must hold for the period to be compared [-]; the energy of the hours
held is scaled to the whole period (a UTC weather year misses the first local hours of the year)."""


@dataclass
class UnitModel:
    """Hourly output [MW] of one unit at its existing capacity as a function of its factor [-]."""

    unit: Unit
    kind: str
    capacity_mw: float
    base: np.ndarray
    """Run-of-river: discharge [m^3/s]; reservoir: inflow at factor 1 [MW]; solar: DC output per MW AC
    [MW/MW]; wind: capacity factor at factor 1 [-]."""
    plant: object = None
    inverter_efficiency: float = 1.0
    factor_now: float = 1.0
    """The unit's calibration factor in the zone [-] (1 without one)."""
    availability: float = 1.0
    """Share of the unit's capacity not on forced outage on average, ``1 - forced_outage_rate`` [-]."""

    def power_mw(self, factor: float) -> np.ndarray:
        """Expected hourly output [MW] under forced outages at calibration factor ``factor`` [-]."""
        available_mw = self.availability * self.capacity_mw
        if self.kind == "hydro_ror":
            return available_mw * run_of_river_capacity_factor(self.base, self.plant, flow_factor=factor)
        if self.kind == "hydro_reservoir":
            return reservoir_release_mw(
                factor * self.base,
                available_mw,
                self.plant.storage_mwh,
                self.plant.initial_storage_share,
            )
        if self.kind == "solar":
            return available_mw * inverter_capacity_factor(factor * self.base, self.inverter_efficiency)
        return available_mw * np.minimum(factor * self.base, 1.0)


def reservoir_release_mw(
    inflow_mw: np.ndarray, capacity_mw: float, storage_mwh: float, initial_share: float
) -> np.ndarray:
    """Hourly turbined power [MW] of a reservoir plant that turbines what it can, up to ``capacity_mw`` [MW],
    stores the rest up to ``storage_mwh`` [MWh] and spills beyond; inflow in MW equivalent [MW].

    A first pass from ``initial_share`` [-] of the content finds the filling at the end; the returned second
    pass starts from it, so that the start and the end agree as in the cyclic plan.
    """
    inflow = np.asarray(inflow_mw, dtype=float).tolist()
    cap, full = float(capacity_mw), float(storage_mwh)
    start = initial_share * full
    release: list[float] = []
    for _ in range(2):
        content, release = start, []
        for q in inflow:
            water = content + q
            out = cap if water > cap else water
            content = min(water - out, full)
            release.append(out)
        start = content
    return np.asarray(release)


def group_models(zone: Zone, weather: xr.Dataset, group: Group) -> list[UnitModel]:
    """A :class:`UnitModel` for each unit of ``group``, on ``weather``'s hours.

    Units are modelled at their existing capacity; when the whole group has none (its rows give
    ``capacity_mw``), at their rated power (hydro) or 1 MW (solar, wind), so that the rows' capacity scales a
    shape of the right mix.
    """
    models = []
    for node_id, tech_id in group.units:
        j = zone.node_ids.index(node_id)
        node = zone.nodes[j]
        plant = node.technologies[tech_id]
        spec = zone.technologies[tech_id]
        capacity = plant.existing_mw if group.existing_mw > 0 else plant.rated_power_mw or 1.0
        common = {"unit": (node_id, tech_id), "kind": spec.kind, "capacity_mw": capacity}
        common["factor_now"] = plant.calibration_factor
        common["availability"] = 1.0 - spec.forced_outage_rate
        if spec.kind in ("hydro_ror", "hydro_reservoir"):
            field = f"nodes[{j}].technologies.{tech_id}.river"
            discharge = river_discharge(weather, plant.river, field=field)
            base = (
                discharge
                if spec.kind == "hydro_ror"
                else reservoir_inflow_mw(discharge, plant, flow_factor=1.0)
            )
            models.append(UnitModel(base=base, plant=plant, **common))
        elif spec.kind == "solar":
            params = {p: getattr(spec, p) for p in _SOLAR_PARAMETERS if p != "inverter_efficiency"}
            dc = solar_dc_output(weather, sites=[node_id], **params).to_numpy()[:, 0]
            models.append(UnitModel(base=dc, inverter_efficiency=spec.inverter_efficiency, **common))
        else:
            cf = wind_capacity_factor(
                weather,
                roughness_length_m={node_id: node.roughness_length_m},
                turbine=spec.turbine,
                hub_height_m=spec.hub_height_m,
                loss_factor=spec.loss_factor,
                sites=[node_id],
            )
            models.append(UnitModel(base=cf.to_numpy()[:, 0], **common))
    return models


@dataclass(frozen=True)
class PeriodHours:
    """Where an observed row's period lies in the weather: one index array per instance (one for measured
    weather; one per synthetic year that holds the period), each with its coverage."""

    instances: tuple[np.ndarray, ...]
    hours: int
    """Length of the observed period [h]; each instance's mean power is scaled to it."""


def period_hours(
    weather: xr.Dataset, timezone: str, groups: list[Group], *, synthetic: bool
) -> dict[Observation, PeriodHours]:
    """The weather hours of every observed row (see :class:`PeriodHours`).

    Raises
    ------
    CalibrationError
        naming the file and line of a period the weather does not cover (measured weather), or of any row when
        synthetic weather holds no whole year or month of the kind asked.
    """
    local = pd.DatetimeIndex(weather.indexes["time"]).tz_localize("UTC").tz_convert(timezone)
    year, month = local.year.to_numpy(), local.month.to_numpy()
    span = f"{local[0]:%Y-%m-%d %H:%M} to {local[-1]:%Y-%m-%d %H:%M} local time"
    out = {}
    for group in groups:
        for row in group.rows:
            p = row.period
            years = sorted(set(year.tolist())) if synthetic else [p.year]
            instances = []
            for y in years:
                index = np.flatnonzero((year == y) & ((month == p.month) if p.month else True))
                length = type(p)(y, p.month).hours
                if index.size >= MIN_COVERAGE * length:
                    instances.append(index)
            if not instances:
                where = "no whole synthetic year or month" if synthetic else f"not {p.text}"
                raise CalibrationError(
                    f"{row.line}: column 'period': {p.text} lies outside the weather ({span}: {where}); give "
                    "weather that covers the period or leave the row out."
                )
            out[row] = PeriodHours(tuple(instances), p.hours)
    return out


def group_energies(
    models: list[UnitModel], factors: list[float], group: Group, hours: dict[Observation, PeriodHours]
) -> list[np.ndarray]:
    """Modelled energy [MWh] of ``group`` over each of its rows' periods, one value per instance of the period,
    the units at ``factors`` [-]; scaled to a row's ``capacity_mw`` when it gives one."""
    power = sum(m.power_mw(f) for m, f in zip(models, factors, strict=True))
    total = sum(m.capacity_mw for m in models)
    out = []
    for row in group.rows:
        scale = 1.0 if row.capacity_mw is None else row.capacity_mw / total
        h = hours[row]
        out.append(np.array([power[i].mean() * h.hours * scale for i in h.instances]))
    return out
