"""Reservoir hydro: water balance in MW equivalent, spill and minimum release."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram


def define_reservoir_constraints(lp: LinearProgram, d: ModelData, dispatch, previous) -> None:
    """ℓ_{g,t} − ℓ_{g,t−1} + w_t (p_{g,t} + σ_{g,t}) = w_t inflow_{g,t}, cyclic; 0 ≤ ℓ ≤ storage [MWh];
    p_{g,t} + σ_{g,t} ≥ min_release_{g,t} [MW]."""
    if d.res_gen.size == 0:
        return
    labels = [d.gen_labels[g] for g in d.res_gen]
    coords = {"reservoir": labels, "time": d.time}
    shape = d.res_inflow.shape
    level = lp.add_variables(
        "reservoir_level", coords=coords, upper=np.broadcast_to(d.res_storage[:, None], shape).copy()
    )
    spill = lp.add_variables("spill", coords=coords)
    w = np.broadcast_to(d.weights[None, :], shape)
    turbine = dispatch.index[d.res_gen]
    lp.add_constraints(
        "reservoir_balance",
        coords=coords,
        terms=[(1.0, level.index), (-1.0, level.index[:, previous]), (w, turbine), (w, spill.index)],
        sense="==",
        rhs=w * d.res_inflow,
    )
    lp.add_constraints(
        "min_release",
        coords=coords,
        terms=[(1.0, turbine), (1.0, spill.index)],
        sense=">=",
        rhs=d.res_min_release,
    )
