"""Links, the national-grid connection, unserved load and the nodal balance."""

from __future__ import annotations

import numpy as np

from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.lp import LinearProgram


def define_links(lp: LinearProgram, d: ModelData) -> dict:
    """Capacity F_l [MW] in [existing, max] costing annuity·capex·length + O&M; flows f⁺, f⁻ ≤ F_l [MW]."""
    if not d.link_labels:
        return {}
    n_l, n_t = len(d.link_labels), len(d.time)
    capacity = lp.add_variables(
        "link_capacity",
        coords={"link": d.link_labels},
        lower=d.link_existing,
        upper=d.link_max,
        cost=d.link_capex + d.link_fom,
    )
    hourly = {"link": d.link_labels, "time": d.time}
    forward = lp.add_variables("flow_forward", coords=hourly)
    backward = lp.add_variables("flow_backward", coords=hourly)
    cap = np.broadcast_to(capacity.index[:, None], (n_l, n_t))
    for name, flow in (("flow_forward_limit", forward), ("flow_backward_limit", backward)):
        lp.add_constraints(name, coords=hourly, terms=[(1.0, flow.index), (-1.0, cap)], sense="<=", rhs=0.0)
    return {"capacity": capacity, "forward": forward, "backward": backward}


def define_grid(lp: LinearProgram, d: ModelData) -> dict:
    """Import m_t ≤ import_max and export x_t ≤ export_max [MW], at α w_t × price [USD/MWh]."""
    if d.grid_node is None:
        return {}
    coords = {"time": d.time}
    imports = lp.add_variables(
        "grid_import", coords=coords, upper=d.import_max, cost=d.alpha * d.weights * d.import_price
    )
    exports = lp.add_variables(
        "grid_export", coords=coords, upper=d.export_max, cost=-d.alpha * d.weights * d.export_price
    )
    return {"import": imports, "export": exports}


def define_unserved(lp: LinearProgram, d: ModelData):
    """Unserved load u_{n,t} ≤ D_{n,t} [MW] at α w_t VOLL, or fixed at 0 when the policy forbids it."""
    policy = d.zone.policy
    upper = d.demand if policy.allow_unserved else np.zeros_like(d.demand)
    return lp.add_variables(
        "unserved",
        coords={"node": d.nodes, "time": d.time},
        upper=upper.copy(),
        cost=d.alpha * policy.value_of_lost_load_usd_per_mwh * np.broadcast_to(d.weights, d.demand.shape),
    )


def define_nodal_balance(
    lp: LinearProgram, d: ModelData, dispatch, storage: dict, links: dict, grid: dict, unserved
):
    """Per node and hour: generation + discharge − charge + net inflow after losses + import − export
    + unserved = demand [MW]. Built as one sum of terms with a trailing axis over the units at each node."""
    n_n, n_t = d.demand.shape
    columns: list[list[np.ndarray]] = [[] for _ in range(n_n)]
    coefs: list[list[np.ndarray]] = [[] for _ in range(n_n)]

    def add(node: int, cols: np.ndarray, coef: float) -> None:
        columns[node].append(cols)
        coefs[node].append(np.full(n_t, coef))

    for g, node in enumerate(d.gen_node):
        add(node, dispatch.index[g], 1.0)
    if storage:
        for s, node in enumerate(d.sto_node):
            add(node, storage["discharge"].index[s], 1.0)
            add(node, storage["charge"].index[s], -1.0)
    if links:
        for l_, (a, b) in enumerate(zip(d.link_from, d.link_to, strict=True)):
            keep = 1.0 - d.link_loss[l_]
            add(a, links["forward"].index[l_], -1.0)
            add(b, links["forward"].index[l_], keep)
            add(b, links["backward"].index[l_], -1.0)
            add(a, links["backward"].index[l_], keep)
    if grid:
        add(d.grid_node, grid["import"].index, 1.0)
        add(d.grid_node, grid["export"].index, -1.0)
    for node in range(n_n):
        add(node, unserved.index[node], 1.0)
    width = max(len(c) for c in columns)
    cols = np.empty((n_n, n_t, width), dtype=np.int64)
    vals = np.zeros((n_n, n_t, width))
    for node in range(n_n):
        k = len(columns[node])
        cols[node, :, :k] = np.stack(columns[node], axis=1)
        vals[node, :, :k] = np.stack(coefs[node], axis=1)
        # pad with the node's unserved column at coefficient 0 (dropped when the matrix is built)
        cols[node, :, k:] = unserved.index[node][:, None]
    return lp.add_constraints(
        "balance", coords={"node": d.nodes, "time": d.time}, terms=[(vals, cols)], sense="==", rhs=d.demand
    )
