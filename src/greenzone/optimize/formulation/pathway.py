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


@dataclass
class PathwayModel:
    """A built pathway LP: one :class:`~greenzone.optimize.formulation.Model` per period (its ``lp`` a
    :class:`PeriodView` of the shared ``lp``), the build blocks ``build_<family>`` (unit, period) and what
    the path's costs need.

    ``in_service[family]`` (unit, build period, period) says whether a build is in service in a period;
    ``annuity_cost[family]`` (unit, build period) is its annualised investment [USD/MW/yr] ([USD/MWh/yr] for
    storage energy); ``discounted_years`` W_p [yr]. The LP's costs are in units of ``cost_scale`` USD
    (:data:`COST_SCALE`); its objective × ``cost_scale`` is the path's discounted cost [USD].
    """

    lp: LinearProgram
    periods: list[int]
    years: list[int]
    discounted_years: np.ndarray
    models: dict[int, Model]
    builds: dict[str, VariableBlock] = field(default_factory=dict)
    in_service: dict[str, np.ndarray] = field(default_factory=dict)
    annuity_cost: dict[str, np.ndarray] = field(default_factory=dict)
    vintages: list[Vintage] = field(default_factory=list)
    cost_scale: float = 1.0

    def period_factor(self, period: int) -> float:
        """What period ``period``'s one-year costs are multiplied by in the LP: W_p / cost_scale [-]."""
        return float(self.discounted_years[self.periods.index(period)]) / self.cost_scale


def build_pathway_model(
    zone: Zone,
    profiles: Mapping[int, xr.Dataset],
    *,
    periods: Sequence[int],
    years: Sequence[int],
    discounted: Sequence[float] | None = None,
    typical: Mapping[int, Periods | None] | None = None,
    vintages: Sequence[Vintage] = (),
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
    extra_constraints : a hook called with the built :class:`PathwayModel` (e.g. land by period for a peer).
    """
    periods, years = [int(p) for p in periods], [int(n) for n in years]
    rate = zone.economics.discount_rate
    weights = discounted_years(rate, periods, years) if discounted is None else np.asarray(discounted, float)
    scale = COST_SCALE
    lp = LinearProgram()
    models: dict[int, Model] = {}
    for p, w in zip(periods, weights, strict=True):
        d = period_data(zone, profiles[p], p, (typical or {}).get(p), vintages)
        view = PeriodView(lp, p)
        define_year(view, d)
        view.scale_costs(float(w) / scale)
        models[p] = Model(lp=view, data=d, blocks=dict(view.variables))
    model = PathwayModel(
        lp, periods, years, weights, models, vintages=[*zone_vintages(zone), *vintages], cost_scale=scale
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
    """New builds B_{u,b} ≥ 0 of one unit family, costing a_u capex_u(y_b) Σ_p [in service] W_p, and the rows
    P_{u,p} − Σ_b [y_b ≤ y_p < y_b + L_u] B_{u,b} = X_{u,p} that carry them forward."""
    block, existing_field, labels_field = CAPACITY_BLOCKS[family]
    first = model.models[model.periods[0]]
    labels = getattr(first.data, labels_field)
    if not labels:
        return
    n_u, n_p = len(labels), len(model.periods)
    y = np.asarray(model.periods, dtype=float)
    life = lifetimes(zone, first.data, family)
    alive = (y[None, :, None] <= y[None, None, :]) & (
        y[None, None, :] < y[None, :, None] + life[:, None, None]
    )
    annual = annuity_costs(zone, first.data, family, model.periods)
    cost = annual * (alive * model.discounted_years[None, None, :]).sum(axis=2) / model.cost_scale
    build = model.lp.add_variables(
        f"build_{family}", coords={"unit": labels, "period": model.periods}, cost=cost
    )
    capacity = np.stack([model.models[p].lp.variable_block(block).index for p in model.periods], axis=1)
    existing = np.stack([getattr(model.models[p].data, existing_field) for p in model.periods], axis=1)
    model.lp.add_constraints(
        f"carry_{family}",
        coords={"unit": labels, "period": model.periods},
        terms=[
            (1.0, capacity),
            (
                -alive.transpose(0, 2, 1).astype(float),
                np.broadcast_to(build.index[:, None, :], (n_u, n_p, n_p)),
            ),
        ],
        sense="==",
        rhs=existing,
    )
    model.builds[family] = build
    model.in_service[family] = alive
    model.annuity_cost[family] = annual


__all__ = [
    "PathwayModel",
    "annuity_costs",
    "build_pathway_model",
    "discounted_years",
    "lifetimes",
    "period_data",
]
