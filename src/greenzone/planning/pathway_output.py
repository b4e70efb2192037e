"""The Pathway dataset and its key figures: capacity, builds, retirements, costs, emissions and land by period.

``pathway_dataset`` returns an :class:`xarray.Dataset` with

============================ ============================ ========== ==========================================
variable                     dims                         unit       meaning
============================ ============================ ========== ==========================================
capacity                     (period, node, technology)   [MW]       generating capacity in service
new_capacity                 (period, node, technology)   [MW]       built in the period (greenzone's choice)
dated_capacity_added         (period, node, technology)   [MW]       dated assets entering service (given)
retired_capacity             (period, node, technology)   [MW]       in service in the period before, not now
storage_power, storage_energy (period, node, storage)     [MW] [MWh] storage in service (discharge power)
new_storage_power, new_storage_energy                     [MW] [MWh] storage built in the period
retired_storage_power        (period, node, storage)      [MW]
link_capacity, new_link_capacity (period, link)           [MW]
cost                         (period, component)          [USD/yr]   a year of the period: investment
                                                                     (annuities of what is in service and
                                                                     was built on the path), fixed O&M,
                                                                     operation (fuel, variable O&M, grid,
                                                                     unserved load)
cost_discounted              (period)                     [USD]      cost × discounted years, to the first
                                                                     period's first year
emissions                    (period)                     [t CO2/yr] gas turbine and imports
demand                       (period, node)               [MWh/yr]
land_used, land_cleared      (period, node)               [km^2]     cleared: usable land (NaN: no limit)
land_value                   (period, node)               [USD/km^2  what one more km^2 cleared in the period
                                                          /yr]       would save a year (0: land not binding)
export_at_limit              (period)                     [h/yr]     hours the grid export is at its limit
generation                   (period, technology)         [MWh/yr]   generation, every node
grid_import, grid_export     (period)                     [MWh/yr]   energy bought and sold at the grid
import_max, export_max       (period)                     [MW]       the grid connection's limits then
renewable_share_value        (period)                     [USD/MWh]  the renewable-share row's dual (0: the
                                                                     target does not bind)
years, discounted_years      (period)                     [yr]       years the period stands for, discounted
============================ ============================ ========== ==========================================

Coordinates ``kind`` and ``storage_kind`` (what each technology is), ``link_from``/``link_to`` and the nodes'
``lat``/``lon`` (for maps by period). Attributes: ``mode`` (perfect_foresight or myopic), ``discount_rate``, ``base_year`` (costs are discounted to
it), ``total_cost_usd`` (Σ cost_discounted; for perfect foresight also the LP's ``objective_usd``), the zone's
name and fingerprint, ``grid_node`` and ``demand_note`` (how demand between given years is read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from greenzone.optimize.formulation import Model
from greenzone.optimize.formulation.pathway import PathwayModel, annuity_costs, lifetimes
from greenzone.optimize.formulation.vintages import CAPACITY_BLOCKS, Vintage, zone_vintages
from greenzone.optimize.solve import Solution
from greenzone.planning.year import _to_grid
from greenzone.zone.fingerprint import zone_fingerprint
from greenzone.zone.scenarios import scenario_zone
from greenzone.zone.schema import Zone

FIXED_BLOCKS = frozenset(block for block, _, _ in CAPACITY_BLOCKS.values())
"""Capacity blocks: their cost is fixed O&M (investment sits on the builds)."""

BUILD_TOLERANCE_MW = 1e-9
"""Builds below this are not handed forward by a myopic step [MW]."""


@dataclass
class PeriodResult:
    """One period's solved values: capacities and builds by family (unit,), annual costs and figures."""

    period: int
    data: object  # ModelData of the period
    capacity: dict[str, np.ndarray]
    build: dict[str, np.ndarray]
    fixed_om: float  # [USD/yr]
    operation: float  # [USD/yr]
    emissions: float  # [t CO2/yr]
    demand: np.ndarray  # (n,) [MWh/yr]
    land_value: np.ndarray  # (n,) [USD/km^2/yr], 0 where land does not bind or has no limit
    export_at_limit: float  # [h/yr]
    generation: np.ndarray | None = None  # (g,) [MWh/yr]
    grid_energy: tuple[float, float] = (0.0, 0.0)  # import, export [MWh/yr]
    renewable_value: float = 0.0  # [USD/MWh] the renewable-share row's dual, 0 where it does not bind

    @classmethod
    def of(
        cls, model: PathwayModel, solution: Solution, period: int, scenario: str | None = None
    ) -> PeriodResult:
        """Read period ``period`` (of ``scenario`` in a stochastic pathway) of a solved pathway model."""
        m: Model = model.model(period, scenario)
        d, x = m.data, solution.x
        weight = model.period_factor(period, scenario)
        fixed = operation = 0.0
        for name, block in m.lp.variables.items():
            sl = slice(block.offset, block.offset + block.size)
            value = float(model.lp.col_cost[sl] @ x[sl]) / weight
            if name in FIXED_BLOCKS:
                fixed += value
            else:
                operation += value
        capacity, build = {}, {}
        b = model.periods.index(period)
        for family, (block, _, _) in CAPACITY_BLOCKS.items():
            if family in model.builds:
                capacity[family] = m.lp.variable_values(block, x)
                build[family] = model.build_values(family, x, scenario)[:, b]
        dispatch = m.lp.variable_values("dispatch", x)
        aw = d.alpha * d.weights
        emissions = float((d.gen_emission @ dispatch) @ aw)
        if d.grid_node is not None:
            emissions += float(d.import_emission * (m.lp.variable_values("grid_import", x) @ aw))
        land_value = np.zeros(len(d.nodes))
        if "land" in m.lp.constraints:
            block = m.lp.constraint_block("land")
            rows = [d.nodes.index(n) for n in block.coords["node"]]
            land_value[rows] = -m.lp.constraint_duals("land", solution.y) / weight
        at_limit = 0.0
        grid_energy = (0.0, 0.0)
        if d.grid_node is not None:
            exports = m.lp.variable_values("grid_export", x)
            imports = m.lp.variable_values("grid_import", x)
            grid_energy = (float(imports @ aw), float(exports @ aw))
            if d.export_max > 0:
                at_limit = float(aw @ (exports >= d.export_max * (1 - 1e-6)))
        renewable = 0.0
        if "renewable_share" in m.lp.constraints:  # [USD/MWh of local demand]: what the target costs
            renewable = float(-m.lp.constraint_duals("renewable_share", solution.y).sum()) / weight
        return cls(
            period,
            d,
            capacity,
            build,
            fixed,
            operation,
            emissions,
            d.demand @ aw,
            land_value,
            at_limit,
            generation=dispatch @ aw,
            grid_energy=grid_energy,
            renewable_value=renewable,
        )

    def vintages(self, zone: Zone) -> list[Vintage]:
        """This period's builds as vintages, to hand forward to the next myopic step."""
        out = []
        for family, amounts in self.build.items():
            labels = getattr(self.data, CAPACITY_BLOCKS[family][2])
            life = lifetimes(zone, self.data, family)
            for u, amount in enumerate(amounts):
                if amount > BUILD_TOLERANCE_MW:
                    out.append(Vintage(family, labels[u], float(amount), self.period, float(life[u])))
        return out


def pathway_dataset(zone: Zone, hz, results: list[PeriodResult], *, mode: str) -> xr.Dataset:
    """The Pathway dataset of this module's docstring from each period's result."""
    periods = hz.periods
    first = results[0].data
    nodes, techs, stores = first.nodes, list(zone.generator_ids), list(zone.storage_ids)
    n_p = len(periods)
    investment = np.zeros(n_p)
    for family in CAPACITY_BLOCKS:
        if family not in results[0].build:
            continue
        built = np.stack([r.build[family] for r in results], axis=1)  # (u, b)
        annual = annuity_costs(zone, first, family, periods)
        y = np.asarray(periods, dtype=float)
        life = lifetimes(zone, first, family)
        alive = (y[None, :, None] <= y[None, None, :]) & (
            y[None, None, :] < y[None, :, None] + life[:, None, None]
        )
        investment += np.einsum("ub,ubp->p", annual * built, alive)
    fixed = np.array([r.fixed_om for r in results])
    operation = np.array([r.operation for r in results])
    cost = np.stack([investment, fixed, operation], axis=1)
    discounted = cost.sum(axis=1) * hz.discounted

    def grid(family: str, what: str, cols: list[str]) -> np.ndarray:
        labels = getattr(first, CAPACITY_BLOCKS[family][2])
        out = np.zeros((n_p, len(nodes), len(cols)))
        for k, r in enumerate(results):
            if family in getattr(r, what):
                out[k] = _to_grid(getattr(r, what)[family], labels, nodes, cols)
        return out

    dated, retired_gen, retired_sto = _dated_changes(zone, results, nodes, techs, stores)
    dims_g, dims_s = ("period", "node", "technology"), ("period", "node", "storage")
    data_vars = {
        "capacity": (dims_g, grid("generator", "capacity", techs), {"units": "MW"}),
        "new_capacity": (dims_g, grid("generator", "build", techs), {"units": "MW"}),
        "dated_capacity_added": (
            dims_g,
            dated,
            {"units": "MW", "long_name": "dated assets entering service"},
        ),
        "retired_capacity": (dims_g, retired_gen, {"units": "MW"}),
        "storage_power": (dims_s, grid("storage_power", "capacity", stores), {"units": "MW"}),
        "storage_energy": (dims_s, grid("storage_energy", "capacity", stores), {"units": "MWh"}),
        "new_storage_power": (dims_s, grid("storage_power", "build", stores), {"units": "MW"}),
        "new_storage_energy": (dims_s, grid("storage_energy", "build", stores), {"units": "MWh"}),
        "retired_storage_power": (dims_s, retired_sto, {"units": "MW"}),
        "link_capacity": (("period", "link"), _links(results, "capacity"), {"units": "MW"}),
        "new_link_capacity": (("period", "link"), _links(results, "build"), {"units": "MW"}),
        "cost": (("period", "component"), cost, {"units": "USD/yr"}),
        "cost_discounted": (("period",), discounted, {"units": "USD"}),
        "emissions": (("period",), np.array([r.emissions for r in results]), {"units": "t CO2/yr"}),
        "demand": (("period", "node"), np.stack([r.demand for r in results]), {"units": "MWh/yr"}),
        "land_used": (("period", "node"), np.stack([_land_used(r) for r in results]), {"units": "km^2"}),
        "land_cleared": (
            ("period", "node"),
            np.stack(
                [np.where(np.isfinite(r.data.usable_land), r.data.usable_land, np.nan) for r in results]
            ),
            {"units": "km^2", "long_name": "usable (cleared) land; NaN: no limit"},
        ),
        "land_value": (
            ("period", "node"),
            np.stack([r.land_value for r in results]),
            {
                "units": "USD/km^2/yr",
                "long_name": "what one more km^2 cleared would save a year (land row dual)",
            },
        ),
        "export_at_limit": (
            ("period",),
            np.array([r.export_at_limit for r in results]),
            {"units": "h/yr", "long_name": "hours a year the grid export is at its limit"},
        ),
        "generation": (
            ("period", "technology"),
            np.stack([_by_tech(r, techs) for r in results]),
            {"units": "MWh/yr", "long_name": "generation by technology, every node"},
        ),
        "grid_import": (("period",), np.array([r.grid_energy[0] for r in results]), {"units": "MWh/yr"}),
        "grid_export": (("period",), np.array([r.grid_energy[1] for r in results]), {"units": "MWh/yr"}),
        "import_max": (("period",), np.array([r.data.import_max for r in results]), {"units": "MW"}),
        "export_max": (("period",), np.array([r.data.export_max for r in results]), {"units": "MW"}),
        "renewable_share_value": (
            ("period",),
            np.array([r.renewable_value for r in results]),
            {
                "units": "USD/MWh",
                "long_name": "what the renewable-share target costs per MWh of renewable supply it forces "
                "(its row's dual; 0: not binding)",
            },
        ),
        "years": (("period",), np.asarray(hz.years, dtype=float), {"units": "yr"}),
        "discounted_years": (("period",), hz.discounted, {"units": "yr"}),
    }
    ds = xr.Dataset(
        {name: xr.Variable(*spec) for name, spec in data_vars.items()},
        coords={
            "period": periods,
            "node": nodes,
            "technology": techs,
            "storage": stores,
            "link": first.link_labels,
            "component": ["investment", "fixed_om", "operation"],
            "kind": ("technology", [zone.technologies[t].kind for t in techs]),
            "storage_kind": ("storage", [zone.technologies[t].kind for t in stores]),
            "link_from": ("link", [nodes[i] for i in first.link_from]),
            "link_to": ("link", [nodes[i] for i in first.link_to]),
            "lat": ("node", [n.lat for n in zone.nodes]),
            "lon": ("node", [n.lon for n in zone.nodes]),
        },
    )
    ds.attrs.update(
        {
            "title": f"greenzone pathway: {zone.name}",
            "mode": mode,
            "discount_rate": float(zone.economics.discount_rate),
            "base_year": int(periods[0]),
            "total_cost_usd": float(discounted.sum()),
            "zone": zone.name,
            "zone_fingerprint": zone_fingerprint(zone),
            "demand_note": "annual demand interpolated linearly between the years the zone gives",
            "grid_node": "" if zone.grid is None else zone.grid.node,
        }
    )
    return ds


def stochastic_dataset(
    zone: Zone,
    hz,
    paths: dict[str, list[PeriodResult]],
    probability: dict[str, float],
    values: dict[str, float],
    wait_and_see: dict[str, float],
    fixed_first: dict[str, float],
) -> xr.Dataset:
    """The Pathway dataset of a stochastic pathway: each scenario's path (:func:`pathway_dataset`) along a
    ``scenario`` dimension (the first period the same in all), with ``probability``, ``wait_and_see_cost``
    (the scenario planned alone) and ``mean_value_first_cost`` (the scenario with the mean-value solution's
    first period) by scenario [USD], and the attributes ``objective_usd`` (the expected discounted cost),
    ``mean_value_cost_usd``, ``eev_usd``, ``wait_and_see_usd``, ``vss_usd`` and ``evpi_usd``."""
    names = list(paths)
    each = [pathway_dataset(scenario_zone(zone, s), hz, paths[s], mode="stochastic") for s in names]
    shared = ["years", "discounted_years"]
    ds = xr.concat([d.drop_vars(shared) for d in each], dim="scenario", combine_attrs="override")
    ds = ds.assign_coords(scenario=names).assign({name: each[0][name] for name in shared})
    ds["probability"] = ("scenario", [probability[s] for s in names], {"units": "1"})
    ds["scenario_cost"] = (
        ds["cost_discounted"]
        .sum("period")
        .assign_attrs(units="USD", long_name="the scenario's discounted cost on the stochastic path")
    )
    ds["wait_and_see_cost"] = (
        "scenario",
        [wait_and_see[s] for s in names],
        {"units": "USD", "long_name": "discounted cost of the scenario planned knowing it is the one"},
    )
    ds["mean_value_first_cost"] = (
        "scenario",
        [fixed_first[s] for s in names],
        {"units": "USD", "long_name": "discounted cost with the mean-value solution's first-period builds"},
    )
    ds.attrs.update({k: float(v) for k, v in values.items()})
    ds.attrs["total_cost_usd"] = float(values["objective_usd"])
    ds.attrs["zone_fingerprint"] = zone_fingerprint(zone)
    ds.attrs["scenarios"] = ", ".join(names)
    return ds


def _by_tech(r: PeriodResult, techs: list[str]) -> np.ndarray:
    """A period's generation summed by technology [MWh/yr]."""
    out = np.zeros(len(techs))
    if r.generation is not None:
        for g, tech in enumerate(r.data.gen_tech):
            out[techs.index(tech)] += r.generation[g]
    return out


def _links(results: list[PeriodResult], what: str) -> np.ndarray:
    n_l = len(results[0].data.link_labels)
    return np.stack([getattr(r, what).get("link", np.zeros(n_l)) for r in results])


def _land_used(r: PeriodResult) -> np.ndarray:
    """Σ land use × capacity in service per node [km^2] (generators and storage discharge power)."""
    d = r.data
    used = np.zeros(len(d.nodes))
    if "generator" in r.capacity:
        np.add.at(used, d.gen_node, d.gen_land * r.capacity["generator"])
    if "storage_power" in r.capacity:
        np.add.at(used, d.sto_node, d.sto_land * r.capacity["storage_power"])
    return used


def _dated_changes(zone: Zone, results, nodes, techs, stores):
    """Dated assets entering service by period, and generator and storage power retiring by period (in
    service in the period before, not in this one: dated assets and builds whose lifetime ends) [MW]."""
    periods = [r.period for r in results]
    vintages = list(zone_vintages(zone))
    for r in results:
        vintages += r.vintages(zone)
    added = np.zeros((len(periods), len(nodes), len(techs)))
    retired_g = np.zeros_like(added)
    retired_s = np.zeros((len(periods), len(nodes), len(stores)))
    own = set(zone_vintages(zone))
    for v in vintages:
        if v.family not in ("generator", "storage_power"):
            continue
        node, tech = v.label.split("/", 1)
        if v.family == "generator":
            i, k = nodes.index(node), techs.index(tech)
            for j, p in enumerate(periods):
                was = j > 0 and v.in_service(periods[j - 1])
                entering = v.year == p if j == 0 else not was
                if v in own and v.in_service(p) and entering:
                    added[j, i, k] += v.amount
                if was and not v.in_service(p):
                    retired_g[j, i, k] += v.amount
        elif v.family == "storage_power":
            i, k = nodes.index(node), stores.index(tech)
            for j in range(1, len(periods)):
                if v.in_service(periods[j - 1]) and not v.in_service(periods[j]):
                    retired_s[j, i, k] += v.amount
    return added, retired_g, retired_s


STOCHASTIC_FIGURES = (
    "mean_value_cost_usd",
    "eev_usd",
    "wait_and_see_usd",
    "vss_usd",
    "evpi_usd",
)
"""The stochastic pathway's figures besides its expected cost (docs/pathway.md)."""


def pathway_kpis(ds: xr.Dataset) -> dict:
    """Key figures per period and for the whole path (definitions: docs/formulation.md, "Pathway"); for a
    stochastic pathway, the expected cost, VSS and EVPI and each scenario's figures (docs/pathway.md)."""
    if "scenario" in ds.dims:
        return _stochastic_kpis(ds)
    per_period = []
    for p in ds["period"].values:
        one = ds.sel(period=p)
        cost = float(one["cost"].sum())
        demand = float(one["demand"].sum())
        per_period.append(
            {
                "period": int(p),
                "years": float(one["years"]),
                "capacity_mw": {
                    t: float(one["capacity"].sel(technology=t).sum()) for t in ds["technology"].values
                },
                "new_capacity_mw": {
                    t: float(one["new_capacity"].sel(technology=t).sum()) for t in ds["technology"].values
                },
                "retired_capacity_mw": float(one["retired_capacity"].sum()),
                "new_storage_power_mw": float(one["new_storage_power"].sum()),
                "cost_usd_per_year": cost,
                "cost_discounted_usd": float(one["cost_discounted"]),
                "demand_mwh_per_year": demand,
                "cost_of_electricity_usd_per_mwh": cost / demand if demand > 0 else None,
                "emissions_t_per_year": float(one["emissions"]),
                "land_used_km2": float(one["land_used"].sum()),
                "land_binding_nodes": [
                    str(n) for n in ds["node"].values if float(one["land_value"].sel(node=n)) > 1e-6
                ],
                "export_at_limit_h_per_year": float(one["export_at_limit"]),
            }
        )
    weights = ds["discounted_years"].values
    demand = ds["demand"].sum("node").values
    path = {
        "mode": ds.attrs["mode"],
        "periods": [int(p) for p in ds["period"].values],
        "total_cost_discounted_usd": float(ds.attrs["total_cost_usd"]),
        "levelised_cost_usd_per_mwh": float(ds["cost_discounted"].sum() / (weights @ demand))
        if (weights @ demand) > 0
        else None,
        "emissions_t": float((ds["emissions"].values * ds["years"].values).sum()),
        "new_capacity_mw": {
            t: float(ds["new_capacity"].sel(technology=t).sum()) for t in ds["technology"].values
        },
    }
    return {"path": path, "periods": per_period}


def _finite(value) -> float | None:
    """A figure for JSON: None where it is infinite (the mean-value first period cannot be completed in a
    scenario, so EEV and VSS are unbounded)."""
    value = float(value)
    return value if np.isfinite(value) else None


def _stochastic_kpis(ds: xr.Dataset) -> dict:
    scenarios = {}
    for name in ds["scenario"].values:
        one = ds.sel(scenario=name)
        one.attrs = {**ds.attrs, "total_cost_usd": float(one["scenario_cost"])}
        figures = pathway_kpis(one)
        figures["path"].update(
            probability=float(one["probability"]),
            wait_and_see_cost_usd=float(one["wait_and_see_cost"]),
            mean_value_first_cost_usd=_finite(one["mean_value_first_cost"]),
        )
        scenarios[str(name)] = figures
    first = ds.isel(scenario=0, period=0)
    path = {
        "mode": "stochastic",
        "periods": [int(p) for p in ds["period"].values],
        "scenarios": [str(s) for s in ds["scenario"].values],
        "probabilities": {
            str(s): float(p) for s, p in zip(ds["scenario"].values, ds["probability"].values, strict=True)
        },
        "expected_cost_discounted_usd": float(ds.attrs["objective_usd"]),
        "total_cost_discounted_usd": float(ds.attrs["objective_usd"]),
        **{k: _finite(ds.attrs[k]) for k in STOCHASTIC_FIGURES},
        "first_period_new_capacity_mw": {
            t: float(first["new_capacity"].sel(technology=t).sum()) for t in ds["technology"].values
        },
    }
    return {"path": path, "scenarios": scenarios}


__all__ = ["PeriodResult", "pathway_dataset", "pathway_kpis", "stochastic_dataset"]
