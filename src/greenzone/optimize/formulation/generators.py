"""Generators: capacity, dispatch, availability, fuel budgets."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram, VariableBlock


def define_generator_variables(lp: LinearProgram, d: ModelData) -> tuple[VariableBlock, VariableBlock]:
    """Capacity P_g [MW] within [existing, max] costing annuity·capex + fixed O&M per MW and year, and
    dispatch p_{g,t} [MW] costing α w_t (variable O&M + fuel) per MWh."""
    capacity = lp.add_variables(
        "capacity",
        coords={"generator": d.gen_labels},
        lower=d.gen_existing,
        upper=d.gen_max,
        cost=d.gen_capex + d.gen_fom,
    )
    dispatch = lp.add_variables(
        "dispatch",
        coords={"generator": d.gen_labels, "time": d.time},
        cost=d.alpha * d.gen_marginal[:, None] * d.weights[None, :],
    )
    return capacity, dispatch


def define_availability_constraints(lp: LinearProgram, d: ModelData, capacity, dispatch) -> None:
    """p_{g,t} − cf_{g,t} P_g ≤ 0: output within what the weather (or availability) allows."""
    n_g, n_t = d.cf.shape
    lp.add_constraints(
        "availability",
        coords={"generator": d.gen_labels, "time": d.time},
        terms=[
            (1.0, dispatch.index),
            (-d.cf, np.broadcast_to(capacity.index[:, None], (n_g, n_t))),
        ],
        sense="<=",
        rhs=0.0,
    )


def define_fuel_budget_constraints(lp: LinearProgram, d: ModelData, dispatch) -> None:
    """α Σ_t w_t p_{g,t} ≤ B_g [MWh/yr] for generators with a fuel budget (biomass)."""
    limited = np.flatnonzero(np.isfinite(d.fuel_budget))
    if limited.size == 0:
        return
    lp.add_constraints(
        "fuel_budget",
        coords={"generator": [d.gen_labels[g] for g in limited]},
        terms=[
            (np.broadcast_to(d.alpha * d.weights, (limited.size, d.weights.size)), dispatch.index[limited])
        ],
        sense="<=",
        rhs=d.fuel_budget[limited],
    )
