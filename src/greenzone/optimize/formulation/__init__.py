"""The planning LP, one ``define_*`` function per constraint family (see docs/formulation.md).

:func:`build_model` assembles them into a :class:`Model`; a user hook ``extra_constraints(model)`` may add
constraint blocks of its own before the solve (see :class:`Model` for the blocks it can use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from greenzone.optimize.formulation.data import ModelData, Periods, model_data
from greenzone.optimize.formulation.generators import (
    define_availability_constraints,
    define_fuel_budget_constraints,
    define_generator_variables,
)
from greenzone.optimize.formulation.hydro import define_reservoir_constraints
from greenzone.optimize.formulation.network import (
    define_grid,
    define_links,
    define_nodal_balance,
    define_unserved,
)
from greenzone.optimize.formulation.policy import (
    define_co2_cap,
    define_land_constraints,
    define_renewable_share,
    define_reserve,
)
from greenzone.optimize.formulation.storage import define_storage
from greenzone.optimize.lp import LinearProgram, VariableBlock
from greenzone.zone.schema import Zone


@dataclass
class Model:
    """A built planning LP and the data it came from.

    ``lp.variables`` holds the blocks ``capacity`` (generator), ``dispatch`` (generator, time),
    ``reservoir_level`` and ``spill`` (reservoir, time), ``storage_power``, ``storage_charge_power`` and
    ``storage_energy`` (storage), ``charge``, ``discharge`` and ``storage_level`` (storage, time),
    ``link_capacity`` (link), ``flow_forward`` and ``flow_backward`` (link, time), ``grid_import`` and
    ``grid_export`` (time) and ``unserved`` (node, time); generator and storage labels are "node/technology".

    With linked typical periods, ``storage_level`` and ``reservoir_level`` are intra-period levels (free sign)
    and ``storage_inter_level`` / ``reservoir_inter_level`` (unit, original_period) hold the level at the start
    of every original period, with ``*_intra_max`` and ``*_intra_min`` (unit, period) bounding the intra levels.
    """

    lp: LinearProgram
    data: ModelData
    blocks: dict[str, VariableBlock] = field(default_factory=dict)


def previous_hour(n_hours: int) -> np.ndarray:
    """Index of each hour's predecessor, cyclic over the horizon."""
    return np.roll(np.arange(n_hours), 1)


def define_year(lp, d: ModelData, *, cyclic: bool = True) -> None:
    """Every family of one year's LP (docs/formulation.md) into ``lp``: a
    :class:`~greenzone.optimize.lp.LinearProgram`, or one period's
    :class:`~greenzone.optimize.formulation.view.PeriodView` of a pathway LP."""
    previous = previous_hour(len(d.time))
    capacity, dispatch = define_generator_variables(lp, d)
    define_availability_constraints(lp, d, capacity, dispatch)
    define_fuel_budget_constraints(lp, d, dispatch)
    define_reservoir_constraints(lp, d, dispatch, previous, cyclic=cyclic)
    storage = define_storage(lp, d, previous, cyclic=cyclic)
    links = define_links(lp, d)
    grid = define_grid(lp, d)
    unserved = define_unserved(lp, d)
    define_nodal_balance(lp, d, dispatch, storage, links, grid, unserved)
    define_land_constraints(lp, d, capacity, storage)
    define_renewable_share(lp, d, dispatch, grid, unserved)
    define_co2_cap(lp, d, dispatch, grid)
    define_reserve(lp, d, capacity, dispatch, storage)


def existing_investment_constant(d: ModelData) -> float:
    """−(annualised capex × existing capacity) [USD/yr]: capacity variables carry capex on all capacity, and
    only new capacity costs investment."""
    constant = -float(d.gen_capex @ d.gen_existing)
    if d.sto_labels:
        constant -= float(
            d.sto_power_capex @ d.sto_power_existing
            + d.sto_charge_capex @ d.sto_charge_existing
            + d.sto_energy_capex @ d.sto_energy_existing
        )
    if d.link_labels:
        constant -= float(d.link_capex @ d.link_existing)
    return constant


def build_model(
    zone: Zone,
    profiles: xr.Dataset,
    *,
    year: int | None = None,
    weights: np.ndarray | None = None,
    periods: Periods | None = None,
    extra_constraints: Callable[[Model], None] | None = None,
    cyclic: bool = True,
) -> Model:
    """Build the planning LP of docs/formulation.md for ``zone`` on ``profiles``.

    Parameters
    ----------
    year : the year whose demand and usable land apply; default the zone's.
    weights : hours each time step stands for [h]; default 1 (with ``periods``: taken from them).
    periods : typical periods (:class:`~greenzone.optimize.formulation.data.Periods`): the hours are K
        representative periods of H hours, and storage and reservoirs are linked across the original periods
        (or, with ``periods.linking`` false, cyclic within each representative period); see
        docs/formulation.md, "Typical periods".
    extra_constraints : a hook called with the built :class:`Model`; it may add variable and constraint blocks
        to ``model.lp`` (e.g. a minimum wind capacity) before the solve.
    cyclic : True (default): storage and reservoir levels are cyclic over the horizon. False (hourly
        horizons only, for rolling-horizon operation): the first hour has no predecessor in the storage and
        reservoir balances, so their first rows' right-hand sides carry the initial level
        (``storage_balance``: (1 − κ) e₀; ``reservoir_balance``: inflow + ℓ₀), 0 until set with
        :meth:`~greenzone.optimize.lp.LinearProgram.update_rhs`.
    """
    if not cyclic and periods is not None:
        raise ValueError("cyclic=False applies to hourly horizons only, not to typical periods")
    d = model_data(zone, profiles, year=year, weights=weights, periods=periods)
    lp = LinearProgram()
    define_year(lp, d, cyclic=cyclic)
    lp.set_objective_constant(existing_investment_constant(d))
    model = Model(lp=lp, data=d, blocks=dict(lp.variables))
    if extra_constraints is not None:
        extra_constraints(model)
    return model


__all__ = [
    "Model",
    "ModelData",
    "Periods",
    "build_model",
    "define_year",
    "existing_investment_constant",
    "model_data",
    "previous_hour",
]
