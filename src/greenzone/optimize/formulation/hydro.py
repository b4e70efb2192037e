"""Reservoir hydro: water balance in MW equivalent, spill and minimum release."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.formulation.storage import define_period_linking
from greenzone.optimize.lp import LinearProgram


def define_reservoir_constraints(
    lp: LinearProgram, d: ModelData, dispatch, previous, *, cyclic: bool = True
) -> None:
    """ℓ_{g,t} − ℓ_{g,t−1} + w_t (p_{g,t} + σ_{g,t}) = w_t inflow_{g,t}, cyclic; 0 ≤ ℓ ≤ storage [MWh];
    p_{g,t} + σ_{g,t} ≥ min_release_{g,t} [MW].

    With typical periods (``d.periods``), per period k of H hours and without the weights w_t:
    ℓ_{g,k,h} − ℓ_{g,k,h−1} + p_{g,k,h} + σ_{g,k,h} = inflow_{g,k,h}, where ℓ_{g,k,−1} = 0 and ℓ is the
    intra-period level, −storage ≤ ℓ ≤ storage, linked across the original periods by
    :func:`~greenzone.optimize.formulation.storage.define_period_linking` (E_{g,d} ≤ storage); or, without
    linking, ℓ_{g,k,−1} = ℓ_{g,k,H−1} (cyclic within each period) and 0 ≤ ℓ ≤ storage.

    With ``cyclic`` false (hourly horizons) the first hour has no predecessor; the initial level ℓ₀ is then
    added to the first row's right-hand side w₀ inflow₀ by the caller (``update_rhs``).
    """
    if d.res_gen.size == 0:
        return
    labels = [d.gen_labels[g] for g in d.res_gen]
    coords = {"reservoir": labels, "time": d.time}
    shape = d.res_inflow.shape
    upper = np.broadcast_to(d.res_storage[:, None], shape).copy()
    periods = d.periods
    linked = periods is not None and periods.linking
    if linked:
        level = lp.add_variables("reservoir_level", coords=coords, lower=-upper, upper=upper)
    else:
        level = lp.add_variables("reservoir_level", coords=coords, upper=upper)
    spill = lp.add_variables("spill", coords=coords)
    turbine = dispatch.index[d.res_gen]
    if periods is None:
        w = np.broadcast_to(d.weights[None, :], shape)
        before = 1.0 if cyclic else np.where(np.arange(shape[1])[None, :] == 0, 0.0, np.ones(shape))
        lp.add_constraints(
            "reservoir_balance",
            coords=coords,
            terms=[(1.0, level.index), (-before, level.index[:, previous]), (w, turbine), (w, spill.index)],
            sense="==",
            rhs=w * d.res_inflow,
        )
    else:
        first = (np.arange(shape[1]) % periods.n_hours) == 0
        keep = np.broadcast_to(np.where(first & linked, 0.0, 1.0)[None, :], shape)
        lp.add_constraints(
            "reservoir_balance",
            coords=coords,
            terms=[
                (1.0, level.index),
                (-keep, level.index[:, periods.previous_in_period()]),
                (1.0, turbine),
                (1.0, spill.index),
            ],
            sense="==",
            rhs=d.res_inflow,
        )
        if linked:
            define_period_linking(
                lp, d, "reservoir", labels, level, np.ones(len(labels)), capacity_mwh=d.res_storage
            )
    lp.add_constraints(
        "min_release",
        coords=coords,
        terms=[(1.0, turbine), (1.0, spill.index)],
        sense=">=",
        rhs=d.res_min_release,
    )
