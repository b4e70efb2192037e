"""Storage: battery and pumped hydro (one power rating), hydrogen (electrolyser, tank and fuel cell apart)."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram


def define_storage(lp: LinearProgram, d: ModelData, previous) -> dict:
    """Sizes Pd_s, Pc_s [MW] and E_s [MWh]; charge c, discharge d [MW] and level e [MWh] per hour;

    e_{s,t} = (1 − κ_s)^{w_t} e_{s,t−1} + w_t (η_c c_{s,t} − d_{s,t} / η_d), cyclic;
    d ≤ Pd; c ≤ Pd (shared rating) or c ≤ Pc (hydrogen); e ≤ E; E ≤ h_max Pd where a duration limit is set.
    """
    if not d.sto_labels:
        return {}
    n_s, n_t = len(d.sto_labels), len(d.time)
    units = {"storage": d.sto_labels}
    hourly = {"storage": d.sto_labels, "time": d.time}
    power = lp.add_variables(
        "storage_power",
        coords=units,
        lower=d.sto_power_existing,
        upper=d.sto_power_max,
        cost=d.sto_power_capex + d.sto_power_fom,
    )
    charge_power = lp.add_variables(
        "storage_charge_power",
        coords=units,
        lower=d.sto_charge_existing,
        upper=np.where(d.sto_separate_charge, d.sto_charge_max, 0.0),
        cost=d.sto_charge_capex + d.sto_charge_fom,
    )
    energy = lp.add_variables(
        "storage_energy",
        coords=units,
        lower=d.sto_energy_existing,
        upper=d.sto_energy_max,
        cost=d.sto_energy_capex,
    )
    charge = lp.add_variables("charge", coords=hourly)
    discharge = lp.add_variables("discharge", coords=hourly)
    level = lp.add_variables("storage_level", coords=hourly)
    w = np.broadcast_to(d.weights, (n_s, n_t))
    keep = (1.0 - d.sto_standing_loss[:, None]) ** w
    lp.add_constraints(
        "storage_balance",
        coords=hourly,
        terms=[
            (1.0, level.index),
            (-keep, level.index[:, previous]),
            (-w * d.sto_eff_charge[:, None], charge.index),
            (w / d.sto_eff_discharge[:, None], discharge.index),
        ],
        sense="==",
        rhs=0.0,
    )

    def per_hour(block):
        return np.broadcast_to(block.index[:, None], (n_s, n_t))

    lp.add_constraints(
        "discharge_limit",
        coords=hourly,
        terms=[(1.0, discharge.index), (-1.0, per_hour(power))],
        sense="<=",
        rhs=0.0,
    )
    charge_cap = np.where(d.sto_separate_charge[:, None], per_hour(charge_power), per_hour(power))
    lp.add_constraints(
        "charge_limit", coords=hourly, terms=[(1.0, charge.index), (-1.0, charge_cap)], sense="<=", rhs=0.0
    )
    lp.add_constraints(
        "level_limit",
        coords=hourly,
        terms=[(1.0, level.index), (-1.0, per_hour(energy))],
        sense="<=",
        rhs=0.0,
    )
    limited = np.flatnonzero(np.isfinite(d.sto_max_duration))
    if limited.size:
        lp.add_constraints(
            "max_duration",
            coords={"storage": [d.sto_labels[s] for s in limited]},
            terms=[(1.0, energy.index[limited]), (-d.sto_max_duration[limited], power.index[limited])],
            sense="<=",
            rhs=0.0,
        )
    return {
        "power": power,
        "charge_power": charge_power,
        "energy": energy,
        "charge": charge,
        "discharge": discharge,
        "level": level,
    }
