"""The master problem: capacities, store levels at subperiod boundaries, shares of the annual limits, and one
θ_w per subperiod bounded below by the cuts (docs/decomposition.md).

    minimise    Σ (annuity·capex + fixed O&M)·P + constant + Σ_w θ_w
    subject to  land and duration limits on the capacities (as in the full LP);
                0 ≤ b_{s,w} ≤ E_s (storage), 0 ≤ b_{r,w} ≤ storage_r (reservoirs);
                Σ_w κ_w a_{ℓ,w} ≤ L_ℓ for every annual limit ℓ (κ_w = 1 for the renewable share, whose rows
                count MWh, f_w for the CO2 cap and the fuel budgets, whose rows are annualised);
                θ_w ≥ v_w^k + g_w^k·(z_w − z_w^k) for every cut k;   θ_w ≥ θ_min_w.

It is a small LP (its size grows by W rows per iteration), rebuilt for every solve. The level-set step
(Lemaréchal, Nemirovskii and Nesterov 1995; Pecci and Jenkins 2025 use the same level set) asks for the point
of the same polyhedron whose master cost is at most LB + γ (UB − LB) that lies nearest the stability centre ẑ
(the best point so far), in the scaled L1 distance Σ_j |z_j − ẑ_j| / max(|ẑ_j|, 1): an LP, solved by dual
simplex. (Pecci and Jenkins take the interior point's central solution of the level set with a zero
objective instead; HiPO stalled on that feasibility problem for the Karabakh zone, 720 h, after 4 iterations.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from greenzone.optimize.decompose.layout import Layout
from greenzone.optimize.formulation import existing_investment_constant
from greenzone.optimize.formulation.data import ModelData
from greenzone.optimize.formulation.policy import define_land_constraints
from greenzone.optimize.lp import LinearProgram
from greenzone.optimize.solve import Solution, SolverOptions, require_optimal, solve

UNBOUNDED_POWER_FACTOR = 20.0
"""A capacity without a limit is bounded in the master by this many times the zone's peak demand plus its
export limit [MW] (energy: that times :data:`UNBOUNDED_ENERGY_HOURS`), so that the first masters, with few
cuts, stay bounded; a plan that reaches such a bound says so."""

UNBOUNDED_ENERGY_HOURS = 2000.0


@dataclass
class Cuts:
    """The cuts so far: per iteration, the values v (W,), slopes g (W, m) and points z (W, m)."""

    values: list[np.ndarray] = field(default_factory=list)
    slopes: list[np.ndarray] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)

    def add(self, values: np.ndarray, slopes: np.ndarray, points: np.ndarray) -> None:
        self.values.append(np.asarray(values, dtype=float))
        self.slopes.append(np.asarray(slopes, dtype=float))
        self.points.append(np.asarray(points, dtype=float))

    def __len__(self) -> int:
        return len(self.values)


class Master:
    """The master problem of ``d`` (the full horizon's model data) cut by ``layout``."""

    def __init__(self, d: ModelData, layout: Layout):
        self.d, self.layout = d, layout
        peak = float(d.demand.sum(axis=0).max()) + float(d.export_max)
        self.power_cap = UNBOUNDED_POWER_FACTOR * max(peak, 1.0)
        self.theta_min = self._theta_min()
        self.limit_rhs, self.limit_kappa = self._limits()

    def _theta_min(self) -> np.ndarray:
        """A lower bound on every subperiod's operating cost: minus the most its exports (and imports at a
        negative price) could earn [USD/yr]."""
        d, lay = self.d, self.layout
        earn = (
            np.maximum(d.export_price, 0.0) * d.export_max + np.maximum(-d.import_price, 0.0) * d.import_max
        )
        scale = d.alpha  # [1/h] per hour of the horizon, annualised
        return np.array([-scale * float(earn[lay.hours(w)].sum()) - 1.0 for w in range(lay.n_sub)])

    def _limits(self) -> tuple[np.ndarray, np.ndarray]:
        """Each annual limit's right-hand side L (n_a,) and each subperiod's κ (n_a, W)."""
        d, lay = self.d, self.layout
        f = np.array([lay.weight(w) for w in range(lay.n_sub)])
        rhs, kappa = [], []
        if lay.renewable_share:
            share = d.zone.policy.renewable_share_min
            rhs.append((1.0 - share) * float(d.demand.sum()))
            kappa.append(np.ones(lay.n_sub))
        if lay.co2_cap:
            rhs.append(float(d.zone.policy.co2_cap_t))
            kappa.append(f)
        for g in lay.fuel_generators:
            rhs.append(float(d.fuel_budget[g]))
            kappa.append(f)
        return np.array(rhs), np.array(kappa).reshape(len(rhs), lay.n_sub)

    def build(
        self, cuts: Cuts, *, level: float | None = None, centre: np.ndarray | None = None
    ) -> tuple[LinearProgram, np.ndarray]:
        """The master LP with ``cuts``, and the columns (W, m) of every subperiod's linking vector. With
        ``level`` and ``centre`` (W, m), the level-set problem instead: master cost ≤ level, nearest the
        centre (module docstring)."""
        d, lay = self.d, self.layout
        lp = LinearProgram()
        n_w = lay.n_sub
        weeks = {"subperiod": np.arange(n_w)}
        cost_of = (lambda c: 0.0 * c) if level is not None else (lambda c: c)
        big_e = self.power_cap * UNBOUNDED_ENERGY_HOURS
        capacity = lp.add_variables(
            "capacity",
            coords={"generator": d.gen_labels},
            lower=d.gen_existing,
            upper=np.minimum(d.gen_max, np.maximum(self.power_cap, d.gen_existing)),
            cost=cost_of(d.gen_capex + d.gen_fom),
        )
        columns = [capacity.index]
        storage: dict = {}
        if lay.n_sto:
            units = {"storage": d.sto_labels}
            storage["power"] = lp.add_variables(
                "storage_power",
                coords=units,
                lower=d.sto_power_existing,
                upper=np.minimum(d.sto_power_max, np.maximum(self.power_cap, d.sto_power_existing)),
                cost=cost_of(d.sto_power_capex + d.sto_power_fom),
            )
            charge_upper = np.minimum(d.sto_charge_max, np.maximum(self.power_cap, d.sto_charge_existing))
            storage["charge_power"] = lp.add_variables(
                "storage_charge_power",
                coords=units,
                lower=d.sto_charge_existing,
                upper=np.where(d.sto_separate_charge, charge_upper, 0.0),
                cost=cost_of(d.sto_charge_capex + d.sto_charge_fom),
            )
            storage["energy"] = lp.add_variables(
                "storage_energy",
                coords=units,
                lower=d.sto_energy_existing,
                upper=np.minimum(d.sto_energy_max, np.maximum(big_e, d.sto_energy_existing)),
                cost=cost_of(d.sto_energy_capex),
            )
            columns += [storage[k].index for k in ("power", "charge_power", "energy")]
        if lay.n_link:
            link = lp.add_variables(
                "link_capacity",
                coords={"link": d.link_labels},
                lower=d.link_existing,
                upper=np.minimum(d.link_max, np.maximum(self.power_cap, d.link_existing)),
                cost=cost_of(d.link_capex + d.link_fom),
            )
            columns.append(link.index)
        define_land_constraints(lp, d, capacity, storage)
        limited = np.flatnonzero(np.isfinite(d.sto_max_duration)) if lay.n_sto else np.zeros(0, int)
        if limited.size:
            lp.add_constraints(
                "max_duration",
                coords={"storage": [d.sto_labels[s] for s in limited]},
                terms=[
                    (1.0, storage["energy"].index[limited]),
                    (-d.sto_max_duration[limited], storage["power"].index[limited]),
                ],
                sense="<=",
                rhs=0.0,
            )
        caps = np.concatenate(columns)
        parts = [np.broadcast_to(caps, (n_w, caps.size))]
        nxt = np.roll(np.arange(n_w), -1)
        if lay.n_sto:
            b = lp.add_variables("storage_boundary", coords={"storage": d.sto_labels, **weeks})
            lp.add_constraints(
                "storage_boundary_limit",
                coords={"storage": d.sto_labels, **weeks},
                terms=[(1.0, b.index), (-1.0, np.broadcast_to(storage["energy"].index[:, None], b.shape))],
                sense="<=",
                rhs=0.0,
            )
            parts += [b.index.T, b.index[:, nxt].T]
        if lay.n_res:
            labels = [d.gen_labels[g] for g in d.res_gen]
            upper = np.broadcast_to(d.res_storage[:, None], (len(labels), n_w)).copy()
            r = lp.add_variables("reservoir_boundary", coords={"reservoir": labels, **weeks}, upper=upper)
            parts += [r.index.T, r.index[:, nxt].T]
        if lay.n_allocation:
            a = lp.add_variables(
                "allocation", coords={"limit": np.arange(lay.n_allocation), **weeks}, lower=0.0
            )
            lp.add_constraints(
                "limit_total",
                coords={"limit": np.arange(lay.n_allocation)},
                terms=[(self.limit_kappa, a.index)],
                sense="<=",
                rhs=self.limit_rhs,
            )
            parts.append(a.index.T)
        theta = lp.add_variables(
            "theta", coords=weeks, lower=self.theta_min, cost=0.0 if level is not None else 1.0
        )
        link_cols = np.concatenate(parts, axis=1)
        for k, (v, g, z) in enumerate(zip(cuts.values, cuts.slopes, cuts.points, strict=True)):
            lp.add_constraints(
                f"cut_{k}",
                coords=weeks,
                terms=[(1.0, theta.index), (-g, link_cols)],
                sense=">=",
                rhs=v - (g * z).sum(axis=1),
            )
        constant = existing_investment_constant(d)
        if level is not None:
            cost = self.cost_vector(lp)
            cols = np.flatnonzero(cost)
            lp.add_constraints(
                "level_set", coords={}, terms=[(cost[cols], cols)], sense="<=", rhs=level - constant
            )
            _nearest(lp, link_cols, centre)
        else:
            lp.set_objective_constant(constant)
        return lp, link_cols

    def cost_vector(self, lp: LinearProgram) -> np.ndarray:
        """The master's cost per column (investment and fixed O&M, θ) whatever the LP's own objective."""
        d = self.d
        cost = np.zeros(lp.num_variables)
        pieces = {
            "capacity": d.gen_capex + d.gen_fom,
            "storage_power": d.sto_power_capex + d.sto_power_fom,
            "storage_charge_power": d.sto_charge_capex + d.sto_charge_fom,
            "storage_energy": d.sto_energy_capex,
            "link_capacity": d.link_capex + d.link_fom,
            "theta": 1.0,
        }
        for name, value in pieces.items():
            if name in lp.variables:
                cost[lp.variable_block(name).index.ravel()] = value
        return cost

    def fixed_cost(self, z_caps: np.ndarray) -> float:
        """Investment and fixed O&M of the capacities ``z_caps`` (the linking vector's first part) [USD/yr]."""
        d = self.d
        unit = np.concatenate(
            [
                d.gen_capex + d.gen_fom,
                *(
                    [
                        d.sto_power_capex + d.sto_power_fom,
                        d.sto_charge_capex + d.sto_charge_fom,
                        d.sto_energy_capex,
                    ]
                    if self.layout.n_sto
                    else []
                ),
                d.link_capex + d.link_fom,
            ]
        )
        return float(unit @ z_caps) + existing_investment_constant(d)

    def solve(self, cuts: Cuts) -> tuple[Solution, np.ndarray, LinearProgram]:
        """The master LP's optimum (its objective is a lower bound) and every subperiod's linking vector."""
        lp, cols = self.build(cuts)
        solution = solve(lp, SolverOptions(method="dual_simplex", threads=1))
        if not solution.ok:  # dual simplex can end "unknown" on a master with many steep cuts
            solution = solve(lp, SolverOptions(method="ipm", threads=1))
        require_optimal(solution, "the master")
        return solution, solution.x[cols], lp

    def level_point(self, cuts: Cuts, level: float, centre: np.ndarray) -> tuple[Solution, np.ndarray] | None:
        """The point of the level set {master cost ≤ level} nearest ``centre`` (W, m), or None where HiGHS
        finds none."""
        lp, cols = self.build(cuts, level=level, centre=centre)
        solution = solve(lp, SolverOptions(method="dual_simplex", threads=1))
        if not solution.ok:
            return None
        return solution, solution.x[cols]


def _nearest(lp: LinearProgram, link_cols: np.ndarray, centre: np.ndarray) -> None:
    """Objective Σ_j (δ⁺_j + δ⁻_j) / max(|ẑ_j|, 1) with z_j − δ⁺_j + δ⁻_j = ẑ_j for every master column in
    the linking vectors (each once)."""
    columns, first = np.unique(link_cols.ravel(), return_index=True)
    target = centre.ravel()[first]
    coords = {"column": np.arange(columns.size)}
    weight = 1.0 / np.maximum(np.abs(target), 1.0)
    above = lp.add_variables("above_centre", coords=coords, cost=weight)
    below = lp.add_variables("below_centre", coords=coords, cost=weight)
    lp.add_constraints(
        "centre",
        coords=coords,
        terms=[(1.0, columns), (-1.0, above.index), (1.0, below.index)],
        sense="==",
        rhs=target,
    )
