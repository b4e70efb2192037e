"""The pathway LP: each investment period's one-year LP in one matrix, joined by what is built when.

Every period p gets the single-year families of docs/formulation.md unchanged (through a
:class:`~greenzone.optimize.formulation.view.PeriodView`, blocks named ``"<p>/<name>"``), on its own profiles
(its demand), usable land, grid limits and prices, with its capacity variables P_{u,p} [MW] (or [MWh]) bounded
by the capacity in service before any new build and the potential. New builds B_{u,b} [MW] are added once for
the whole path, and a row per unit and period carries them forward while they live:

    P_{u,p} − Σ_b [y_b ≤ y_p < y_b + L_u] B_{u,b} = X_{u,p}      (X: existing and dated assets in service in p)

Costs are discounted to the first period: every cost of period p's LP is multiplied by its discounted years
W_p = Σ_{k=0}^{n_p−1} (1 + r)^{−(y_p − y_0 + k)} [yr], and a build in b pays its annuity a_u capex_u(y_b) in
every period it is in service, a_u capex_u(y_b) Σ_p [in service] W_p (no salvage value past the horizon: the
annuities after the last period are not counted). See docs/formulation.md, "Pathway".

Stochastic (two-stage, scenarios s with probabilities π_s, each its own cleared land): the first period is
built once, its builds B_{u,p0} and operation shared by every scenario (non-anticipative); each later period
is built per scenario (blocks ``"<s>/<p>/<name>"``, builds ``"<s>/build_<family>"``, rows
``"<s>/carry_<family>"``), its costs weighted π_s W_p, and a scenario's carry rows count the shared first
builds. The objective is the expected discounted cost (docs/pathway.md, "Clearance scenarios").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import xarray as xr

from greenzone.optimize.formulation import Model, define_year
from greenzone.optimize.formulation.data import ModelData, Periods, annuity, model_data
from greenzone.optimize.formulation.view import PeriodView
from greenzone.optimize.formulation.vintages import CAPACITY_BLOCKS, Vintage, add_in_service, zone_vintages
from greenzone.optimize.lp import LinearProgram, VariableBlock
from greenzone.zone.dated import capex_at
from greenzone.zone.schema import Zone

COST_SCALE = 1.0
"""USD per unit of the pathway LP's objective. Measured (Karabakh, 3 periods × 8 typical days, HiPO): costs
divided by Σ_p W_p (one year's size, inside the 1e6 the numerics check asks for) took 85 interior-point
iterations and 48 s against 60 and 28 s in plain USD, so the LP stays in USD."""


def discounted_years(rate: float, periods: Sequence[int], years: Sequence[int]) -> np.ndarray:
    """W_p = Σ_{k < n_p} (1 + r)^{−(y_p − y_0 + k)}: the years period p stands for, discounted to the first
    period's first year [yr]."""
    y0 = periods[0]
    return np.array(
        [sum((1.0 + rate) ** -(p - y0 + k) for k in range(n)) for p, n in zip(periods, years, strict=True)]
    )


@dataclass(frozen=True)
class Branch:
    """A scenario of a stochastic pathway: its name, probability [-] and zone (the scenario's cleared land)."""

    name: str
    probability: float
    zone: Zone


@dataclass
class PathwayModel:
    """A built pathway LP: one :class:`~greenzone.optimize.formulation.Model` per period and scenario (its
    ``lp`` a :class:`PeriodView` of the shared ``lp``), the build blocks and what the path's costs need.

    ``branches[scenario][period]`` is a period's model (scenario None in a deterministic pathway; the first
    period's model is the same object in every scenario of a stochastic one); ``probabilities[scenario]``
    [-]. ``builds[family]`` is the build block ``build_<family>`` (unit, period): every period's builds, or in a
    stochastic pathway the shared first period's; ``build_columns[scenario][family]`` (unit, period) the LP
    columns of a scenario's builds in every period. ``in_service[family]`` (unit, build period, period) says
    whether a build is in service in a period; ``annuity_cost[family]`` (unit, build period) is its annualised
    investment [USD/MW/yr] ([USD/MWh/yr] for storage energy); ``discounted_years`` W_p [yr]. The LP's costs are
    in units of ``cost_scale`` USD (:data:`COST_SCALE`); its objective × ``cost_scale`` is the path's
    (expected) discounted cost [USD].
    """

    lp: LinearProgram
    periods: list[int]
    years: list[int]
    discounted_years: np.ndarray
    branches: dict[str | None, dict[int, Model]]
    probabilities: dict[str | None, float] = field(default_factory=lambda: {None: 1.0})
    builds: dict[str, VariableBlock] = field(default_factory=dict)
    build_columns: dict[str | None, dict[str, np.ndarray]] = field(default_factory=dict)
    in_service: dict[str, np.ndarray] = field(default_factory=dict)
    annuity_cost: dict[str, np.ndarray] = field(default_factory=dict)
    vintages: list[Vintage] = field(default_factory=list)
    cost_scale: float = 1.0

    @property
    def stochastic(self) -> bool:
        """Whether the LP holds scenarios."""
        return None not in self.branches

    @property
    def scenarios(self) -> list[str | None]:
        """The scenarios' names ([None] for a deterministic pathway)."""
        return list(self.branches)

    @property
    def models(self) -> dict[int, Model]:
        """Each period's model of a deterministic pathway."""
        if self.stochastic:
            raise ValueError("a stochastic pathway has a model per scenario: use branches[scenario]")
        return self.branches[None]

    def model(self, period: int, scenario: str | None = None) -> Model:
        """Period ``period``'s model (of ``scenario`` in a stochastic pathway)."""
        return self.branches[scenario][period]

    def period_factor(self, period: int, scenario: str | None = None) -> float:
        """What period ``period``'s one-year costs are multiplied by in the LP: π_s W_p / cost_scale [-]
        (π_s = 1 for the shared first period and a deterministic pathway)."""
        k = self.periods.index(period)
        prob = 1.0 if k == 0 else self.probabilities[scenario]
        return prob * float(self.discounted_years[k]) / self.cost_scale

    def build_values(self, family: str, x: np.ndarray, scenario: str | None = None) -> np.ndarray:
        """A scenario's builds of one family in every period (unit, period) [MW] ([MWh])."""
        return np.asarray(x)[self.build_columns[scenario][family]]


def build_pathway_model(
    zone: Zone,
    profiles: Mapping[int, xr.Dataset],
    *,
    periods: Sequence[int],
    years: Sequence[int],
    discounted: Sequence[float] | None = None,
    typical: Mapping[int, Periods | None] | None = None,
    vintages: Sequence[Vintage] = (),
    scenarios: Sequence[Branch] = (),
    extra_constraints: Callable[[PathwayModel], None] | None = None,
) -> PathwayModel:
    """Build the pathway LP of this module's docstring.

    Parameters
    ----------
    profiles : each period's profiles (its demand), keyed by the period's first year.
    periods, years : the periods' first years and the years each stands for [yr].
    discounted : W_p [yr]; default :func:`discounted_years` with the zone's discount rate (a myopic step passes
        its own period's W_p from the whole path).
    typical : each period's typical days (None: hourly).
    vintages : dated capacity besides the zone's own assets (builds of earlier myopic steps).
    scenarios : the branches of a stochastic pathway (empty: deterministic); the first period is built from
        ``zone``, each later period from its branch's zone.
    extra_constraints : a hook called with the built :class:`PathwayModel` (e.g. land by period for a peer).
    """
    periods, years = [int(p) for p in periods], [int(n) for n in years]
    rate = zone.economics.discount_rate
    weights = discounted_years(rate, periods, years) if discounted is None else np.asarray(discounted, float)
    scale = COST_SCALE
    lp = LinearProgram()

    def add_period(z: Zone, k: int, scenario: str | None, probability: float) -> Model:
        p = periods[k]
        d = period_data(z, profiles[p], p, (typical or {}).get(p), vintages)
        view = PeriodView(lp, p, scenario)
        define_year(view, d)
        view.scale_costs(probability * float(weights[k]) / scale)
        return Model(lp=view, data=d, blocks=dict(view.variables))

    if not scenarios:
        branches = {None: {p: add_period(zone, k, None, 1.0) for k, p in enumerate(periods)}}
        probabilities: dict[str | None, float] = {None: 1.0}
    else:
        shared = add_period(zone, 0, None, 1.0)
        branches = {
            b.name: {
                periods[0]: shared,
                **{p: add_period(b.zone, k, b.name, b.probability) for k, p in enumerate(periods) if k},
            }
            for b in scenarios
        }
        probabilities = {b.name: b.probability for b in scenarios}
    model = PathwayModel(
        lp,
        periods,
        years,
        weights,
        branches,
        probabilities,
        vintages=[*zone_vintages(zone), *vintages],
        cost_scale=scale,
    )
    for family in CAPACITY_BLOCKS:
        define_builds(model, zone, family)
    if extra_constraints is not None:
        extra_constraints(model)
    return model


def period_data(
    zone: Zone, profiles: xr.Dataset, period: int, typical: Periods | None, vintages: Sequence[Vintage]
) -> ModelData:
    """One period's model data: the year's demand (from ``profiles``), land, grid limits and prices (as for
    ``plan`` on that year, :func:`~greenzone.optimize.formulation.data.model_data`); the
    capacity in service before new builds (existing, the zone's dated assets in service (as for ``plan``) and
    ``vintages`` handed forward); no investment cost on the capacity variables (builds carry it)."""
    d = add_in_service(model_data(zone, profiles, year=period, periods=typical), vintages, period)
    changes: dict = {}
    for name in ("gen_capex", "sto_power_capex", "sto_charge_capex", "sto_energy_capex", "link_capex"):
        changes[name] = np.zeros_like(getattr(d, name))
    return replace(d, **changes)


def annuity_costs(zone: Zone, d: ModelData, family: str, periods: Sequence[int]) -> np.ndarray:
    """Annualised investment of one unit built in each period, (unit, build period) [USD/MW/yr] ([USD/MWh/yr]
    for storage energy), at the build year's capex (the pathway's dated capex, interpolated, where given)."""
    rate = zone.economics.discount_rate
    if family == "link":
        cost = [annuity(rate, k.lifetime_years) * k.capex_usd_per_mw_km * k.length_km for k in zone.links]
        return np.repeat(np.asarray(cost, float)[:, None], len(periods), axis=1)
    labels = d.gen_labels if family == "generator" else d.sto_labels
    field_name = {
        "generator": "capex_usd_per_kw",
        "storage_power": "capex_usd_per_kw",
        "storage_energy": "capex_usd_per_kwh",
        "storage_charge": "charge_capex_usd_per_kw",
    }[family]
    out = np.zeros((len(labels), len(periods)))
    for u, label in enumerate(labels):
        tech = label.split("/", 1)[1]
        spec = zone.technologies[tech]
        for b, year in enumerate(periods):
            if family == "storage_charge":  # not dated
                capex = getattr(spec, field_name, 0.0)
            else:
                capex = capex_at(zone, tech, field_name, year)
            out[u, b] = annuity(rate, spec.lifetime_years) * capex * 1000.0
    return out


def lifetimes(zone: Zone, d: ModelData, family: str) -> np.ndarray:
    """Lifetime of a new build of each unit [yr]: its technology's (a link's own)."""
    if family == "link":
        return np.array([k.lifetime_years for k in zone.links], dtype=float)
    labels = d.gen_labels if family == "generator" else d.sto_labels
    return np.array(
        [zone.technologies[label.split("/", 1)[1]].lifetime_years for label in labels], dtype=float
    )


def define_builds(model: PathwayModel, zone: Zone, family: str) -> None:
    """New builds B_{u,b} ≥ 0 of one unit family, costing a_u capex_u(y_b) Σ_p [in service] W_p (× π_s for a
    scenario's later builds), and the rows P_{u,p} − Σ_b [y_b ≤ y_p < y_b + L_u] B_{u,b} = X_{u,p} that carry
    them forward (per scenario after the shared first period)."""
    block, existing_field, labels_field = CAPACITY_BLOCKS[family]
    periods = model.periods
    first = model.model(periods[0], model.scenarios[0])
    labels = getattr(first.data, labels_field)
    if not labels:
        return
    y = np.asarray(periods, dtype=float)
    life = lifetimes(zone, first.data, family)
    alive = (y[None, :, None] <= y[None, None, :]) & (
        y[None, None, :] < y[None, :, None] + life[:, None, None]
    )
    annual = annuity_costs(zone, first.data, family, periods)
    cost = annual * (alive * model.discounted_years[None, None, :]).sum(axis=2) / model.cost_scale
    shared_periods = periods if not model.stochastic else periods[:1]
    build = model.lp.add_variables(
        f"build_{family}",
        coords={"unit": labels, "period": shared_periods},
        cost=cost[:, : len(shared_periods)],
    )
    spec = (labels, block, existing_field, alive)
    _carry(model, f"carry_{family}", model.scenarios[0], shared_periods, build.index, spec)
    for scenario in model.scenarios:
        columns = build.index
        if model.stochastic and len(periods) > 1:
            later = model.lp.add_variables(
                f"{scenario}/build_{family}",
                coords={"unit": labels, "period": periods[1:]},
                cost=model.probabilities[scenario] * cost[:, 1:],
            )
            columns = np.concatenate([build.index, later.index], axis=1)
            _carry(model, f"{scenario}/carry_{family}", scenario, periods[1:], columns, spec)
        model.build_columns.setdefault(scenario, {})[family] = columns
    model.builds[family] = build
    model.in_service[family] = alive
    model.annuity_cost[family] = annual


def _carry(model: PathwayModel, name: str, scenario, rows: list[int], columns: np.ndarray, spec) -> None:
    """The carry-forward rows of ``rows`` (periods) of one scenario, builds in ``columns`` (unit, period)."""
    labels, block, existing_field, alive = spec
    at = [model.periods.index(p) for p in rows]
    capacity = np.stack([model.model(p, scenario).lp.variable_block(block).index for p in rows], axis=1)
    existing = np.stack([getattr(model.model(p, scenario).data, existing_field) for p in rows], axis=1)
    n_u, n_r, n_b = len(labels), len(rows), columns.shape[1]  # builds up to the last column's period
    model.lp.add_constraints(
        name,
        coords={"unit": labels, "period": rows},
        terms=[
            (1.0, capacity),
            (
                -alive[:, :n_b, at].transpose(0, 2, 1).astype(float),
                np.broadcast_to(columns[:, None, :], (n_u, n_r, n_b)),
            ),
        ],
        sense="==",
        rhs=existing,
    )


__all__ = [
    "Branch",
    "PathwayModel",
    "annuity_costs",
    "build_pathway_model",
    "discounted_years",
    "lifetimes",
    "period_data",
]
