"""Storage: battery and pumped hydro (one power rating), hydrogen (electrolyser, tank and fuel cell apart)."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram


def define_storage(lp: LinearProgram, d: ModelData, previous, *, cyclic: bool = True) -> dict:
    """Sizes Pd_s, Pc_s [MW] and E_s [MWh]; charge c, discharge d [MW] and level e [MWh] per hour;

    e_{s,t} = (1 − κ_s)^{w_t} e_{s,t−1} + w_t (η_c c_{s,t} − d_{s,t} / η_d), cyclic;
    d ≤ Pd; c ≤ Pd (shared rating) or c ≤ Pc (hydrogen); e ≤ E; E ≤ h_max Pd where a duration limit is set.

    With ``cyclic`` false the first hour has no predecessor: its row's right-hand side is the initial
    level's remainder (1 − κ_s)^{w_0} e_{s,init}, 0 as built (set it with ``update_rhs``).

    With typical periods (``d.periods``) the level follows each period's own hours instead
    (:func:`define_storage_periods`).
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
    linked = d.periods is not None and d.periods.linking
    level = lp.add_variables("storage_level", coords=hourly, lower=-np.inf if linked else 0.0)
    if d.periods is None:
        w = np.broadcast_to(d.weights, (n_s, n_t))
        keep = (1.0 - d.sto_standing_loss[:, None]) ** w
        if not cyclic:
            keep = np.where(np.arange(n_t)[None, :] == 0, 0.0, keep)
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
    else:
        define_storage_periods(lp, d, charge, discharge, level)

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
    reserve_level = level
    if linked:
        keep = 1.0 - d.sto_standing_loss
        reserve_level = define_period_linking(
            lp,
            d,
            "storage",
            d.sto_labels,
            level,
            keep,
            capacity=energy,
            floor=d.zone.policy.reserve_share > 0,
        )
    else:
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
        "level": reserve_level,
    }


def define_storage_periods(lp: LinearProgram, d: ModelData, charge, discharge, level) -> None:
    """Storage balance within typical periods k of H hours (h = 0 … H − 1), without the weights w_t:

    e_{s,k,h} = (1 − κ_s) e_{s,k,h−1} + η_c c_{s,k,h} − d_{s,k,h} / η_d, with
    e_{s,k,−1} = 0 when linking (e is then the intra-period level, of free sign; see
    :func:`define_period_linking`) or e_{s,k,−1} = e_{s,k,H−1} without (cyclic within each period; 0 ≤ e ≤ E).
    """
    periods = d.periods
    n_s, n_t = len(d.sto_labels), len(d.time)
    first = (np.arange(n_t) % periods.n_hours) == 0
    keep = np.broadcast_to((1.0 - d.sto_standing_loss)[:, None], (n_s, n_t))
    if periods.linking:
        keep = np.where(first[None, :], 0.0, keep)
    lp.add_constraints(
        "storage_balance",
        coords={"storage": d.sto_labels, "time": d.time},
        terms=[
            (1.0, level.index),
            (-keep, level.index[:, periods.previous_in_period()]),
            (-np.broadcast_to(d.sto_eff_charge[:, None], (n_s, n_t)), charge.index),
            (np.broadcast_to(1.0 / d.sto_eff_discharge[:, None], (n_s, n_t)), discharge.index),
        ],
        sense="==",
        rhs=0.0,
    )


def define_period_linking(
    lp: LinearProgram,
    d: ModelData,
    dim: str,
    labels: list[str],
    level,
    keep: np.ndarray,
    *,
    capacity=None,
    capacity_mwh: np.ndarray | None = None,
    floor: bool = False,
):
    """Link intra-period levels e_{u,k,h} across the original periods d (Kotzur et al. 2018) [MWh].

    Adds, for each unit u (storage or reservoir) with hourly retention q_u = 1 − κ_u:

    - emax_{u,k} ≥ e_{u,k,h} and emin_{u,k} ≤ e_{u,k,h} for every hour of period k (free variables);
    - the inter-period state E_{u,d} ≥ 0, the level at the start of original period d:
      E_{u,d+1} = q_u^H E_{u,d} + e_{u,k(d),H−1}, cyclic (the day after the last is the first);
    - bounds: E_{u,d} + emax_{u,k(d)} ≤ E_u (the energy capacity: a variable for storage, ``capacity``, or
      the reservoir's ``capacity_mwh``) and q_u^H E_{u,d} + emin_{u,k(d)} ≥ 0.

    The level at the end of hour h of original period d is q_u^{h+1} E_{u,d} + e_{u,k(d),h}; the bounds take
    q_u^{h+1} at its extremes (1 and q_u^H), so every such level lies in [0, E_u] (for q_u = 1 these are
    exactly Kotzur's bounds). With ``floor``, also ℓ_{u,k} ≤ q_u^H E_{u,d} for every d of k and a level
    a_{u,k,h} ≤ ℓ_{u,k} + e_{u,k,h}, a ≥ 0: the level left in that hour on every day the period stands for,
    which the operating reserve draws on. Returns a (or e without ``floor``).
    """
    periods = d.periods
    n_u, n_k, n_h, n_d = len(labels), periods.n_periods, periods.n_hours, periods.n_original
    hour_period = np.repeat(np.arange(n_k), n_h)
    order = periods.order
    coords_k = {dim: labels, "period": np.arange(n_k)}
    coords_d = {dim: labels, "original_period": np.arange(n_d)}
    hourly = {dim: labels, "time": d.time}
    prefix = "reservoir" if dim == "reservoir" else "storage"
    emax = lp.add_variables(f"{prefix}_intra_max", coords=coords_k, lower=-np.inf)
    emin = lp.add_variables(f"{prefix}_intra_min", coords=coords_k, lower=-np.inf)
    upper = np.inf if capacity_mwh is None else np.broadcast_to(capacity_mwh[:, None], (n_u, n_d)).copy()
    inter = lp.add_variables(f"{prefix}_inter_level", coords=coords_d, upper=upper)
    lp.add_constraints(
        f"{prefix}_intra_max_bound",
        coords=hourly,
        terms=[(1.0, level.index), (-1.0, emax.index[:, hour_period])],
        sense="<=",
        rhs=0.0,
    )
    lp.add_constraints(
        f"{prefix}_intra_min_bound",
        coords=hourly,
        terms=[(1.0, level.index), (-1.0, emin.index[:, hour_period])],
        sense=">=",
        rhs=0.0,
    )
    decay = np.broadcast_to((np.asarray(keep, dtype=float) ** n_h)[:, None], (n_u, n_d))
    last = level.index[:, order * n_h + n_h - 1]
    lp.add_constraints(
        f"{prefix}_inter_balance",
        coords=coords_d,
        terms=[(1.0, inter.index[:, np.roll(np.arange(n_d), -1)]), (-decay, inter.index), (-1.0, last)],
        sense="==",
        rhs=0.0,
    )
    upper_terms = [(1.0, inter.index), (1.0, emax.index[:, order])]
    if capacity is not None:
        upper_terms.append((-1.0, np.broadcast_to(capacity.index[:, None], (n_u, n_d))))
    lp.add_constraints(
        f"{prefix}_inter_upper",
        coords=coords_d,
        terms=upper_terms,
        sense="<=",
        rhs=0.0 if capacity_mwh is None else np.broadcast_to(capacity_mwh[:, None], (n_u, n_d)).copy(),
    )
    lp.add_constraints(
        f"{prefix}_inter_lower",
        coords=coords_d,
        terms=[(decay, inter.index), (1.0, emin.index[:, order])],
        sense=">=",
        rhs=0.0,
    )
    if not floor:
        return level
    low = lp.add_variables(f"{prefix}_period_floor", coords=coords_k, lower=-np.inf)
    lp.add_constraints(
        f"{prefix}_period_floor_bound",
        coords=coords_d,
        terms=[(1.0, low.index[:, order]), (-decay, inter.index)],
        sense="<=",
        rhs=0.0,
    )
    available = lp.add_variables(f"{prefix}_level_floor", coords=hourly)
    lp.add_constraints(
        f"{prefix}_level_floor_bound",
        coords=hourly,
        terms=[(1.0, available.index), (-1.0, low.index[:, hour_period]), (-1.0, level.index)],
        sense="<=",
        rhs=0.0,
    )
    return available
