"""One subperiod's dispatch LP with the linking quantities fixed, solved warm, and the cut it gives.

The subproblem of subperiod w is the planning LP of its hours alone (:func:`build_model` with
``cyclic=False``), changed in four ways (docs/decomposition.md):

- the capacity columns are fixed at the master's values by their bounds, and cost nothing here (the master
  carries investment and fixed O&M), nor does the objective constant;
- each store starts at the master's level b_{s,w} (the first balance row's right-hand side) and must end at
  b_{s,w+1}: a row e_{s,last} + σ⁻ − σ⁺ = b_{s,w+1};
- each annual limit's row takes the master's share a_w as its right-hand side, with an excess σ ≥ 0;
- every σ, and unserved load where the zone forbids it, costs M per unit, so any linking vector is feasible
  (a penalty above every dual of the true problem leaves its optimum unchanged; a point using σ is not a
  real plan, and its cost is never an upper bound).

Its objective times f_w = hours of w / T is w's share of the annual operating cost [USD/yr]; the duals of
the fixed columns, of the first balance rows, of the end rows and of the limit rows give that value's
slope in every linking quantity: the cut θ_w ≥ v_w + g_w·(z − z_w).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from greenzone.optimize.decompose.layout import CAPACITY_BLOCKS, Layout
from greenzone.optimize.formulation import build_model
from greenzone.optimize.solve import PersistentSolver, Solution, SolverOptions
from greenzone.zone.schema import Zone

PENALTY_FACTOR = 10.0
"""Penalty M per unit of σ, as a multiple of the value of lost load per MWh (divided by the least
efficiency for store levels, by the least emission factor for CO2) [-]."""

SLACK_TOLERANCE = 1e-3
"""σ summed over a subperiod below which its dispatch is a real one [MWh, t CO2]: a kWh, within the
solver's tolerances on a week of a zone's balance rows."""

LIMIT_ROWS = ("renewable_share", "co2_cap", "fuel_budget")


@dataclass(frozen=True)
class Evaluation:
    """One subperiod solved at one linking vector.

    value : f_w × the LP's objective, penalties included [USD/yr]; slope : its gradient in the linking
    vector (m,); slack : Σσ (0 for a real dispatch); x, balance_dual : the solution's columns and its balance
    rows' duals × f_w, only when asked for (to assemble the hourly plan); run_time_s, iterations: the solve's.
    """

    value: float
    slope: np.ndarray
    slack: float
    run_time_s: float
    iterations: int
    hourly: dict[str, np.ndarray] | None = None


class Subproblem:
    """The LP of subperiod ``w`` of ``layout`` on ``profiles`` (already cut to w's hours), kept live in a
    :class:`PersistentSolver` so that each new linking vector only changes bounds and right-hand sides."""

    def __init__(self, zone: Zone, profiles: xr.Dataset, layout: Layout, w: int, *, year: int | None = None):
        self.layout, self.w = layout, w
        self.weight = layout.weight(w)
        model = build_model(zone, profiles, year=year, cyclic=False)
        self.model, lp, d = model, model.lp, model.data
        if len(d.time) != layout.hours(w).stop - layout.hours(w).start:
            raise ValueError(f"subperiod {w}: profiles hold {len(d.time)} hours, the layout says otherwise")
        for name in CAPACITY_BLOCKS:
            if name in lp.variables:
                lp.update_costs(name, 0.0)
        lp.set_objective_constant(0.0)
        voll = max(float(zone.policy.value_of_lost_load_usd_per_mwh), 1.0)
        base = PENALTY_FACTOR * d.alpha * voll
        efficiency = min([1.0, *(d.sto_eff_charge * d.sto_eff_discharge)])
        emitting = [e for e in (*d.gen_emission, d.import_emission) if e > 0]
        self._slack: list[str] = []
        if not zone.policy.allow_unserved:  # unserved load becomes a penalised slack
            lp.update_bounds("unserved", upper=d.demand.copy())
            lp.update_costs("unserved", base)
            self._slack.append("unserved")
        n_t = len(d.time)
        self._keep = (1.0 - d.sto_standing_loss) if d.sto_labels else np.zeros(0)
        if d.sto_labels:
            self._sto_rhs = np.zeros((len(d.sto_labels), n_t))
            self._end_row(lp, "storage", d.sto_labels, lp.variable_block("storage_level"), base / efficiency)
        if d.res_gen.size:
            self._res_rhs = np.array(d.res_inflow, dtype=float)
            labels = [d.gen_labels[g] for g in d.res_gen]
            self._end_row(lp, "reservoir", labels, lp.variable_block("reservoir_level"), base)
        self._limits: list[tuple[str, float]] = []
        if layout.renewable_share:
            self._limits.append(("renewable_share", base))
        if layout.co2_cap:
            self._limits.append(("co2_cap", base / min(emitting) if emitting else base))
        if layout.fuel_generators:
            self._limits.append(("fuel_budget", base))
        for row, penalty in self._limits:
            block = lp.constraint_block(row)
            excess = lp.add_variables(f"{row}_excess", coords=dict(block.coords), cost=penalty)
            lp.add_terms(row, [(-1.0, excess.index)])
            self._slack.append(excess.name)
        # presolve off: with it on (every solve, or only the first, cold one: 0.09 s against 0.46 s for a
        # Karabakh week), the first cuts were weaker (LB -188 against -168 MUSD/yr) and the bound then stuck
        self.solver = PersistentSolver(lp, SolverOptions(method="dual_simplex", threads=1, presolve=False))

    def _end_row(self, lp, prefix: str, labels: list[str], level, penalty: float) -> None:
        coords = {prefix: labels}
        short = lp.add_variables(f"{prefix}_end_short", coords=coords, cost=penalty)
        over = lp.add_variables(f"{prefix}_end_over", coords=coords, cost=penalty)
        lp.add_constraints(
            f"{prefix}_end",
            coords=coords,
            terms=[(1.0, level.index[:, -1]), (1.0, short.index), (-1.0, over.index)],
            sense="==",
            rhs=0.0,
        )
        self._slack += [short.name, over.name]

    def set_point(self, z: np.ndarray) -> None:
        """Fix the capacities, the store levels at both ends and the limit shares to ``z`` (the layout's
        linking vector of this subperiod)."""
        lp, parts = self.model.lp, self.layout.slices()
        for name in CAPACITY_BLOCKS:
            if name in lp.variables:
                value = z[parts[name]]
                lp.update_bounds(name, lower=value, upper=value)
        if self.layout.n_sto:
            rhs = self._sto_rhs.copy()
            rhs[:, 0] = self._keep * z[parts["storage_start"]]
            lp.update_rhs("storage_balance", rhs)
            lp.update_rhs("storage_end", z[parts["storage_end"]])
        if self.layout.n_res:
            rhs = self._res_rhs.copy()
            rhs[:, 0] += z[parts["reservoir_start"]]
            lp.update_rhs("reservoir_balance", rhs)
            lp.update_rhs("reservoir_end", z[parts["reservoir_end"]])
        start = 0
        for row, _ in self._limits:
            size = lp.constraint_block(row).size
            value = z[parts["allocation"]][start : start + size]
            lp.update_rhs(row, value.reshape(lp.constraint_block(row).shape))
            start += size

    def evaluate(self, z: np.ndarray, *, keep_solution: bool = False) -> Evaluation:
        """Solve at linking vector ``z``; the value, its slope and the slack used (class docstring)."""
        from greenzone.optimize.solve import require_optimal

        self.set_point(z)
        solution = require_optimal(self.solver.solve(), what=f"subperiod {self.w}'s dispatch")
        return self._evaluation(solution, keep_solution)

    def _evaluation(self, solution: Solution, keep_solution: bool) -> Evaluation:
        lp, parts, f = self.model.lp, self.layout.slices(), self.weight
        slope = np.zeros(self.layout.size)
        for name in CAPACITY_BLOCKS:
            if name in lp.variables:
                slope[parts[name]] = lp.variable_values(name, solution.reduced_costs).ravel()
        if self.layout.n_sto:
            first = lp.constraint_duals("storage_balance", solution.y)[:, 0]
            slope[parts["storage_start"]] = self._keep * first
            slope[parts["storage_end"]] = lp.constraint_duals("storage_end", solution.y)
        if self.layout.n_res:
            slope[parts["reservoir_start"]] = lp.constraint_duals("reservoir_balance", solution.y)[:, 0]
            slope[parts["reservoir_end"]] = lp.constraint_duals("reservoir_end", solution.y)
        duals = [np.atleast_1d(lp.constraint_duals(row, solution.y)).ravel() for row, _ in self._limits]
        if duals:
            slope[parts["allocation"]] = np.concatenate(duals)
        slack = sum(float(lp.variable_values(name, solution.x).sum()) for name in self._slack)
        return Evaluation(
            value=f * float(solution.objective),
            slope=f * slope,
            slack=slack,
            run_time_s=float(solution.run_time_s),
            iterations=int(solution.iterations.total),
            hourly=self._hourly(solution) if keep_solution else None,
        )

    def _hourly(self, solution: Solution) -> dict[str, np.ndarray]:
        lp = self.model.lp
        out = {
            name: np.array(lp.variable_values(name, solution.x))
            for name, block in lp.variables.items()
            if "time" in block.dims
        }
        out["balance_dual"] = self.weight * np.array(lp.constraint_duals("balance", solution.y))
        return out
