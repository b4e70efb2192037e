"""Policy: land per node, renewable share, CO2 cap, operating reserve."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram

DISPATCHABLE_KINDS = ("hydro_reservoir", "geothermal", "biomass", "gas_turbine")
FOSSIL_KINDS = ("gas_turbine",)


def define_land_constraints(lp: LinearProgram, d: ModelData, capacity, storage: dict) -> None:
    """Σ_{g,s at n} land_use × capacity ≤ usable land of the year [km^2], for nodes with a limit (block
    ``land``); and per node and technology kind k with land of its own (``usable_land_by_kind_km2``)
    Σ_{g,s of kind k at n} land_use × capacity ≤ usable land of k [km^2] (block ``land_by_kind``)."""
    limited = [n for n in range(len(d.nodes)) if np.isfinite(d.usable_land[n])]
    if limited:
        rows = [_land_terms(d, capacity, storage, n) for n in limited]
        _add_land_rows(lp, "land", {"node": [d.nodes[n] for n in limited]}, rows, d.usable_land[limited])
    if d.land_by_kind:
        rows = [_land_terms(d, capacity, storage, n, kind) for n, kind, _ in d.land_by_kind]
        areas = [f"{d.nodes[n]}/{kind}" for n, kind, _ in d.land_by_kind]
        rhs = np.array([area for _, _, area in d.land_by_kind], dtype=float)
        _add_land_rows(lp, "land_by_kind", {"area": areas}, rows, rhs)


def _land_terms(d: ModelData, capacity, storage: dict, n: int, kind: str | None = None):
    """Columns and land use [km^2/MW] of the capacity at node ``n`` (only technologies of ``kind``)."""
    gens = [g for g in np.flatnonzero(d.gen_node == n) if kind is None or d.gen_kind[g] == kind]
    c = [capacity.index[g] for g in gens]
    v = [d.gen_land[g] for g in gens]
    if storage:
        stores = [s for s in np.flatnonzero(d.sto_node == n) if kind is None or d.sto_kind[s] == kind]
        c += [storage["power"].index[s] for s in stores]
        v += [d.sto_land[s] for s in stores]
    return c, v


def _add_land_rows(lp: LinearProgram, name: str, coords: dict, rows: list, rhs: np.ndarray) -> None:
    width = max(1, max(len(c) for c, _ in rows))
    col_arr = np.zeros((len(rows), width), dtype=np.int64)
    val_arr = np.zeros((len(rows), width))
    for i, (c, v) in enumerate(rows):
        col_arr[i, : len(c)] = c
        val_arr[i, : len(v)] = v
    lp.add_constraints(name, coords=coords, terms=[(val_arr, col_arr)], sense="<=", rhs=rhs)


def _fossil(d: ModelData) -> np.ndarray:
    return np.array([k in FOSSIL_KINDS for k in d.gen_kind], dtype=bool)


def define_renewable_share(lp: LinearProgram, d: ModelData, dispatch, grid: dict, unserved) -> None:
    """Σ_t w_t (fossil_t + (1 − ρ) m_t + (1 − R) Σ_n u_{n,t}) ≤ (1 − R) Σ_t w_t Σ_n D_{n,t}."""
    share = d.zone.policy.renewable_share_min
    if share is None:
        return
    w = d.weights
    cols, vals = [], []
    for g in np.flatnonzero(_fossil(d)):
        cols.append(dispatch.index[g])
        vals.append(w)
    if grid:
        cols.append(grid["import"].index)
        vals.append(w * (1.0 - d.import_renewable_share))
    for n in range(len(d.nodes)):
        cols.append(unserved.index[n])
        vals.append(w * (1.0 - share))
    lp.add_constraints(
        "renewable_share",
        coords={},
        terms=[(np.concatenate(vals), np.concatenate(cols))],
        sense="<=",
        rhs=(1.0 - share) * float((d.demand * w).sum()),
    )


def define_co2_cap(lp: LinearProgram, d: ModelData, dispatch, grid: dict) -> None:
    """α Σ_t w_t (Σ_fossil ε_g p_{g,t} + ε_m m_t) ≤ cap [t CO2/yr]."""
    cap = d.zone.policy.co2_cap_t
    if cap is None:
        return
    aw = d.alpha * d.weights
    cols, vals = [], []
    for g in np.flatnonzero(d.gen_emission > 0):
        cols.append(dispatch.index[g])
        vals.append(aw * d.gen_emission[g])
    if grid:
        cols.append(grid["import"].index)
        vals.append(aw * d.import_emission)
    if not cols:
        return
    lp.add_constraints(
        "co2_cap", coords={}, terms=[(np.concatenate(vals), np.concatenate(cols))], sense="<=", rhs=float(cap)
    )


def define_reserve(lp: LinearProgram, d: ModelData, capacity, dispatch, storage: dict) -> None:
    """Σ_dispatchable (cf P − p) + Σ_s ρ_{s,t} ≥ r Σ_n D_{n,t} [MW], per hour, where storage reserve
    ρ_{s,t} ≤ Pd_s − d_{s,t} (power headroom) and ρ_{s,t} ≤ η_d e_{s,t} (energy left to deliver it for an hour)."""
    share = d.zone.policy.reserve_share
    if share <= 0:
        return
    n_t = len(d.time)
    cols, vals = [], []
    for g in (g for g, k in enumerate(d.gen_kind) if k in DISPATCHABLE_KINDS):
        cols += [np.full(n_t, capacity.index[g]), dispatch.index[g]]
        vals += [d.cf[g], -np.ones(n_t)]
    if storage:
        n_s = len(d.sto_labels)
        hourly = {"storage": d.sto_labels, "time": d.time}
        rho = lp.add_variables("storage_reserve", coords=hourly)
        power = np.broadcast_to(storage["power"].index[:, None], (n_s, n_t))
        lp.add_constraints(
            "storage_reserve_power",
            coords=hourly,
            terms=[(1.0, rho.index), (-1.0, power), (1.0, storage["discharge"].index)],
            sense="<=",
            rhs=0.0,
        )
        eta = np.broadcast_to(d.sto_eff_discharge[:, None], (n_s, n_t))
        lp.add_constraints(
            "storage_reserve_energy",
            coords=hourly,
            terms=[(1.0, rho.index), (-eta, storage["level"].index)],
            sense="<=",
            rhs=0.0,
        )
        for s in range(n_s):
            cols.append(rho.index[s])
            vals.append(np.ones(n_t))
    if not cols:
        cols, vals = [np.zeros(n_t, dtype=np.int64)], [np.zeros(n_t)]
    lp.add_constraints(
        "reserve",
        coords={"time": d.time},
        terms=[(np.stack(vals, axis=1), np.stack(cols, axis=1))],
        sense=">=",
        rhs=share * d.demand.sum(axis=0),
    )
