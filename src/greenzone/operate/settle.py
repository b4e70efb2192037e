"""Settling committed hours against what actually happened: the one-hour settlement LP.

Each committed hour is settled against the actual weather and demand with a one-hour LP that keeps the
committed schedule and lets the difference be absorbed, in the order of :data:`SETTLEMENT_WEIGHTS` (penalty
per MW of deviation from the schedule; see :mod:`greenzone.operate.rolling`). Every limit holds and the
balance closes in every hour; settled storage and reservoir levels are carried into the next hour.

Used by :func:`greenzone.operate.rolling.operate` for every committed window and by the service to settle a
stored day-ahead schedule against its metered actuals.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from greenzone.operate.window import _fix_capacities, _Fleet, _gen_cf, _res_values, _unit_profiles
from greenzone.optimize.formulation import build_model
from greenzone.optimize.solve import PersistentSolver, Solution, SolverOptions, require_optimal
from greenzone.zone.schema import VARIABLE_KINDS, Zone

__all__ = ["SETTLEMENT_WEIGHTS", "Settlement", "net_load_error", "settle_hours"]


# Settlement: penalty per MW of deviation from the committed schedule (see the module docstring).
SETTLEMENT_WEIGHTS = {
    "renewable_up": 0.1,
    "renewable_down": 6.0,
    "dispatchable_down": 4.0,
    "storage": 1.0,
    "link": 0.5,
    "grid": 3.0,
    "unserved_up": 1000.0,
    "unserved_down": 0.1,
    "spill": 0.01,
}


class Settlement:
    """The one-hour settlement LP (see the module docstring), built once and re-solved per hour."""

    TRACKED = (
        "dispatch",
        "charge",
        "discharge",
        "flow_forward",
        "flow_backward",
        "grid_import",
        "grid_export",
    )

    def __init__(self, zone: Zone, capacities: xr.Dataset, profiles: xr.Dataset) -> None:
        self.zone = zone
        self.model = build_model(zone, _unit_profiles(profiles, 1), cyclic=False)
        lp, d = self.model.lp, self.model.data
        self.d = d
        self.fleet = _Fleet(d, capacities)
        _fix_capacities(lp, self.fleet)
        for name in lp.variables:
            lp.update_costs(name, 0.0)
        lp.set_objective_constant(0.0)
        if "fuel_budget" in lp.constraints:
            lp.update_rhs("fuel_budget", np.inf)
        if "spill" in lp.variables:
            lp.update_costs("spill", SETTLEMENT_WEIGHTS["spill"])
        w = SETTLEMENT_WEIGHTS
        variable = np.array([k in VARIABLE_KINDS for k in d.gen_kind])[:, None]
        up_down = {
            "dispatch": (
                np.full(variable.shape, w["renewable_up"]),
                np.where(variable, w["renewable_down"], w["dispatchable_down"]),
            ),
            "charge": (w["storage"], w["storage"]),
            "discharge": (w["storage"], w["storage"]),
            "flow_forward": (w["link"], w["link"]),
            "flow_backward": (w["link"], w["link"]),
            "grid_import": (w["grid"], w["grid"]),
            "grid_export": (w["grid"], w["grid"]),
            "unserved": (w["unserved_up"], w["unserved_down"]),
        }
        self.tracked = [name for name in (*self.TRACKED, "unserved") if name in lp.variables]
        for name in self.tracked:
            block = lp.variable_block(name)
            coords = dict(block.coords)
            up_cost, down_cost = up_down[name]
            up = lp.add_variables(
                f"{name}_above", coords=coords, cost=np.broadcast_to(up_cost, block.shape).copy()
            )
            down = lp.add_variables(
                f"{name}_below", coords=coords, cost=np.broadcast_to(down_cost, block.shape).copy()
            )
            lp.add_constraints(
                f"{name}_schedule",
                coords=coords,
                terms=[(1.0, block.index), (-1.0, up.index), (1.0, down.index)],
                sense="==",
                rhs=0.0,
            )
        self.variable = variable[:, 0]
        self.solver = PersistentSolver(lp, SolverOptions(method="dual_simplex"))

    def settle(
        self,
        committed: dict[str, np.ndarray],
        actual: xr.Dataset,
        storage0: np.ndarray,
        reservoir0: np.ndarray,
        what: str,
    ) -> tuple[dict[str, np.ndarray], Solution]:
        """Settle one committed hour (arrays (unit, 1)) against the actual hour; returns the settled values."""
        lp, d, fleet = self.model.lp, self.d, self.fleet
        cf = _gen_cf(d, actual)[:, 0]
        upper = cf * fleet.gen
        dispatch = committed["dispatch"][:, 0]
        upper = np.where(self.variable, upper, np.minimum(upper, np.maximum(dispatch, 0.0)))
        demand = actual["demand"].transpose("node", "time").values.astype(float)
        if d.res_gen.size:
            inflow = _res_values(d, actual, "inflow")[:, 0]
            water = np.maximum(reservoir0 + inflow, 0.0)
            upper[d.res_gen] = np.minimum(upper[d.res_gen], water)
            lp.update_rhs("reservoir_balance", (inflow + reservoir0)[:, None])
            release = np.minimum(_res_values(d, actual, "min_release")[:, 0], water)
            lp.update_rhs("min_release", release[:, None])
        lp.update_bounds("dispatch", lower=0.0, upper=upper[:, None])
        lp.update_rhs("balance", demand)
        lp.update_bounds("unserved", upper=demand)
        if d.sto_labels:
            lp.update_rhs("storage_balance", ((1.0 - d.sto_standing_loss) * storage0)[:, None])
        for name in self.tracked:
            lp.update_rhs(f"{name}_schedule", np.maximum(committed[name], 0.0))
        solution = require_optimal(self.solver.solve(), what=what)
        settled = {
            name: lp.variable_values(name, solution.x)
            for name in (*self.tracked, "spill", "reservoir_level", "storage_level")
            if name in lp.variables
        }
        return settled, solution

    def close(self) -> None:
        self.solver.close()


def settle_hours(
    settlement: Settlement,
    committed: dict[str, np.ndarray],
    actual: xr.Dataset,
    storage0: np.ndarray,
    reservoir0: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Settle committed hours (arrays (unit, hour) or (hour,), as :meth:`OperationModel.schedule` gives)
    one by one against ``actual`` (a profiles window of the same hours), starting from the levels
    ``storage0``, ``reservoir0`` [MWh]; returns the settled values by block (unit, hour) and the levels after
    the last hour."""
    d, fleet = settlement.d, settlement.fleet
    time = actual.indexes["time"]
    out: dict[str, np.ndarray] = {}
    for h in range(actual.sizes["time"]):
        hour_commit = {key: np.asarray(value)[..., h : h + 1] for key, value in committed.items()}
        if "grid_import" in hour_commit:
            hour_commit["grid_import"] = hour_commit["grid_import"].reshape(1)
            hour_commit["grid_export"] = hour_commit["grid_export"].reshape(1)
        settled, _ = settlement.settle(
            hour_commit,
            actual.isel(time=slice(h, h + 1)),
            storage0,
            reservoir0,
            f"the settlement of {time[h]}",
        )
        for key, value in settled.items():
            value = np.asarray(value)
            if key not in out:
                out[key] = np.zeros((*value.shape[:-1], len(time)))
            out[key][..., h] = value[..., 0]
        if d.sto_labels:
            storage0 = np.clip(settled["storage_level"][:, 0], 0.0, fleet.energy)
        if d.res_gen.size:
            reservoir0 = np.clip(settled["reservoir_level"][:, 0], 0.0, d.res_storage)
    return out, storage0, reservoir0


def net_load_error(
    d, generation_capacity: np.ndarray, forecast: xr.Dataset, actual: xr.Dataset
) -> np.ndarray:
    """(node, hour) net-load forecast error [MW] of ``actual``'s hours, the first of ``forecast``: forecast
    minus actual demand, minus forecast minus actual renewable availability cf·P (``generation_capacity`` P
    [MW] in the model's generator order)."""
    n = actual.sizes["time"]
    fc_cf = _gen_cf(d, forecast)[:, :n]
    ac_cf = _gen_cf(d, actual)
    avail_err = np.zeros((len(d.nodes), n))
    variable = np.array([k in VARIABLE_KINDS for k in d.gen_kind])
    for g in np.flatnonzero(variable):
        avail_err[d.gen_node[g]] += (fc_cf[g] - ac_cf[g]) * generation_capacity[g]
    demand_err = (
        forecast["demand"].transpose("node", "time").values[:, :n]
        - actual["demand"].transpose("node", "time").values
    )
    return demand_err - avail_err
