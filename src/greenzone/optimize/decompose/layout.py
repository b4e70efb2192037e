"""What links the master to the subproblems: the subperiods (weeks) of the horizon, the linking quantities
and their order in one vector per subproblem.

A horizon of T hours (every weather year, concatenated) is cut into subperiods of ``hours`` hours (a week,
168 h, by default); the last one takes the hours left over (8,760 h: 51 weeks of 168 h and one of 192 h). For
subperiod w the linking vector z_w holds, in this order:

- the capacities: generator ``capacity`` (g), ``storage_power``, ``storage_charge_power``,
  ``storage_energy`` (s each) and ``link_capacity`` (l) [MW, MWh];
- the level of every store at the start of w and at the start of w + 1 (cyclic: after the last comes the
  first), ``storage`` (2s) then ``reservoir`` (2r) [MWh];
- w's share of each annual limit: ``renewable_share`` [MWh over w], ``co2_cap`` [t CO2/yr, as w's own row
  reads it] and ``fuel_budget`` per limited generator [MWh/yr, likewise].

Plain data only (no LP): the master and the subproblems both read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from greenzone.optimize.formulation.data import ModelData

CAPACITY_BLOCKS = ("capacity", "storage_power", "storage_charge_power", "storage_energy", "link_capacity")
"""The LP's capacity variable blocks, in the order of the linking vector."""

DEFAULT_HOURS = 168
"""Hours per subperiod: a week (the issue's subproblem)."""


def subperiods(n_hours: int, hours: int = DEFAULT_HOURS) -> np.ndarray:
    """Start hour of every subperiod and the end of the last, (W + 1,): subperiods of ``hours`` hours, the
    last taking the remainder (at least ``hours``; a horizon shorter than that is one subperiod)."""
    if hours < 1:
        raise ValueError(f"subperiod hours must be positive, got {hours}")
    count = max(n_hours // hours, 1)
    bounds = np.arange(count + 1) * hours
    bounds[-1] = n_hours
    return bounds


@dataclass(frozen=True)
class Layout:
    """Sizes of the linking vector's parts (module docstring) for one zone and horizon."""

    n_gen: int
    n_sto: int
    n_link: int
    n_res: int
    renewable_share: bool
    co2_cap: bool
    fuel_generators: tuple[int, ...]
    bounds: tuple[int, ...]  # subperiod start hours and the horizon's end

    @property
    def n_sub(self) -> int:
        """Number of subperiods W."""
        return len(self.bounds) - 1

    @property
    def n_capacity(self) -> int:
        """Capacities in the linking vector."""
        return self.n_gen + 3 * self.n_sto + self.n_link

    @property
    def n_allocation(self) -> int:
        """Annual-limit shares in the linking vector."""
        return int(self.renewable_share) + int(self.co2_cap) + len(self.fuel_generators)

    @property
    def size(self) -> int:
        """Length m of every subperiod's linking vector."""
        return self.n_capacity + 2 * self.n_sto + 2 * self.n_res + self.n_allocation

    def capacity_sizes(self) -> dict[str, int]:
        """Size of each capacity block, in :data:`CAPACITY_BLOCKS` order."""
        sizes = (self.n_gen, self.n_sto, self.n_sto, self.n_sto, self.n_link)
        return dict(zip(CAPACITY_BLOCKS, sizes, strict=True))

    def slices(self) -> dict[str, slice]:
        """Where each part lies in the linking vector."""
        out, start = {}, 0
        for name, size in (
            *self.capacity_sizes().items(),
            ("storage_start", self.n_sto),
            ("storage_end", self.n_sto),
            ("reservoir_start", self.n_res),
            ("reservoir_end", self.n_res),
            ("allocation", self.n_allocation),
        ):
            out[name] = slice(start, start + size)
            start += size
        return out

    def hours(self, w: int) -> slice:
        """The hours of subperiod w."""
        return slice(self.bounds[w], self.bounds[w + 1])

    def weight(self, w: int) -> float:
        """f_w = hours of w / T: a subperiod LP's objective times this is its share of the annual cost [-]."""
        return (self.bounds[w + 1] - self.bounds[w]) / self.bounds[-1]


def layout(d: ModelData, hours: int = DEFAULT_HOURS) -> Layout:
    """The layout of the planning problem ``d`` (hourly, over its whole horizon) cut into subperiods."""
    if d.periods is not None or not np.all(d.weights == 1):
        raise ValueError("temporal decomposition needs an hourly horizon (no typical periods, weights of 1)")
    policy = d.zone.policy
    co2 = policy.co2_cap_t is not None and (bool((d.gen_emission > 0).any()) or d.grid_node is not None)
    return Layout(
        n_gen=len(d.gen_labels),
        n_sto=len(d.sto_labels),
        n_link=len(d.link_labels),
        n_res=int(d.res_gen.size),
        renewable_share=policy.renewable_share_min is not None,
        co2_cap=co2,
        fuel_generators=tuple(int(g) for g in np.flatnonzero(np.isfinite(d.fuel_budget))),
        bounds=tuple(int(b) for b in subperiods(len(d.time), hours)),
    )
