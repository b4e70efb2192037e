"""The planning LP of docs/formulation.md as a PyPSA network.

:func:`to_pypsa` returns a :class:`pypsa.Network` and an ``extra_functionality(n, snapshots)`` callable;
``n.optimize(solver_name="highs", extra_functionality=extra, include_objective_constant=False)`` then solves the
same problem as :func:`greenzone.plan` and reaches the same optimum (``tests/test_peer_pypsa.py`` checks it).
:func:`greenzone_objective` turns PyPSA's objective into greenzone's (see *Objective* below).

Mapping (one bus per node, named by the node id; every other name says what the component is)

======================== =========================================================================================
greenzone                PyPSA
======================== =========================================================================================
hours, weights w_t       snapshots = the profiles' time; snapshot weightings objective α w_t, generators w_t,
                         stores w_t (α = 8760 / Σ w_t)
generator g at node n    Generator "n tech": p_nom_extendable, p_nom_min = existing, p_nom_max = max_mw (hydro: or
(not a reservoir)        the rated power), p_max_pu = cf (values < 1e-3 set to 0), capital_cost = annuity · capex
                         [USD/MW/yr], fom_cost = fixed O&M [USD/MW/yr], marginal_cost = variable O&M + fuel price /
                         efficiency [USD/MWh]; biomass fuel budget B as e_sum_max = B / α
reservoir hydro          bus "n tech water" holding Store "n tech reservoir" (e_nom = storage_mwh, fixed, cyclic),
                         Generator "n tech inflow" (fixed at the inflow), Generator "n tech spill" (withdraws:
                         p_min_pu = -1, p_max_pu = 0) and Link "n tech turbine" (water → n, efficiency 1; its p_nom is
                         P_g, with the generator's bounds and costs)
storage s (battery,      bus "n tech energy" holding Store "n tech" (E_s: extendable, capital_cost = annuity ·
pumped hydro, hydrogen)  capex per MWh, standing_loss κ, cyclic), Link "n tech charger" (n → energy, efficiency η_c,
                         p_nom = Pc_s, or = Pd_s for a shared rating) and Link "n tech discharger" (energy → n,
                         efficiency η_d). greenzone's Pd bounds the discharge *output* d = η_d p, so the discharger's
                         p_nom is Pd / η_d and its bounds and costs per MW are scaled by η_d
link l                   Links "l forward" (a → b) and "l backward" (b → a), efficiency 1 − λ_l, equal p_nom (see
                         extra_functionality); capital_cost and fom_cost on "l forward" only
national grid            Generator "n grid import" (p_nom = import_max_mw, marginal_cost = import price) and Generator
                         "n grid export" (p_nom = export_max_mw, p_min_pu = -1, p_max_pu = 0, marginal_cost = export
                         price, so exporting earns it); hourly prices as time-varying marginal costs
unserved load            Generator "n unserved" (p_nom = max_t D, p_max_pu = D_t / p_nom, marginal_cost = VOLL);
                         absent when ``policy.allow_unserved`` is false
demand                   Load "n demand"
CO2 cap                  GlobalConstraint "co2_cap" (primary_energy, constant = cap / α) with carrier co2_emissions
                         ε_g η_g per MWh of fuel for the gas turbine and ε_m for the carrier "grid import"
======================== =========================================================================================

``extra_functionality`` adds what PyPSA has no component for (linopy names):

- ``greenzone-link_symmetry``: p_nom of "l backward" = p_nom of "l forward";
- ``greenzone-storage_charge_rating``: charger p_nom = η_d · discharger p_nom (c ≤ Pd, battery and pumped hydro);
- ``greenzone-storage_max_duration``: E ≤ h_max · η_d · discharger p_nom;
- ``greenzone-reservoir_min_release``: turbine p − spill generator p ≥ min_release_t;
- ``greenzone-land-<node>``: Σ land use × capacity ≤ usable land of the year;
- ``greenzone-renewable_share``: Σ_t w_t (fossil + (1 − ρ) import + (1 − R) unserved) ≤ (1 − R) Σ_t w_t D_t;
- ``greenzone-operating_reserve``: Σ_dispatchable (cf P − p) + Σ_s ρ_s ≥ r Σ_n D_t, with storage reserve
  ρ_s ≤ η_d (discharger p_nom − p) and ρ_s ≤ η_d e_s (``greenzone-storage_reserve_power`` / ``_energy``).

Objective
---------
greenzone charges investment only on new capacity: its objective is PyPSA's "all capacity at capital_cost +
fom_cost, plus operation" *less* the constant Σ annuity · capex · existing capacity, which this module stores in
``n.meta["greenzone_existing_investment_usd_per_year"]``. Solved with ``include_objective_constant=False``, greenzone's
objective is ``n.objective − that constant``; with ``True`` PyPSA subtracts capital_cost + fom_cost on the ``p_nom``
(= existing) of extendable components, so greenzone's objective is ``n.objective + n.objective_constant −`` that
constant. :func:`greenzone_objective` does this sum for either setting.

Spill is bounded by p_nom = max_t (inflow_t + storage_mwh / w_t), which never binds: the water balance with
0 ≤ level ≤ storage_mwh already implies σ_t ≤ storage_mwh / w_t + inflow_t.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import GreenzoneError, InfeasibleError, ZoneError
from greenzone.output import atomic_path
from greenzone.zone.schema import (
    HYDRO_KINDS,
    STORAGE_KINDS,
    DispatchableTechnology,
    HourlySeries,
    StorageTechnology,
    Zone,
)

if TYPE_CHECKING:
    import pypsa

PYPSA_MISSING = "install the pypsa extra: pip install 'greenzone[pypsa]'"
"""Message of the error raised when PyPSA is not installed."""

CF_THRESHOLD = 1e-3
"""Capacity factors below this are set to 0, as the planner does (docs/formulation.md, Numerics)."""

HOURS_PER_YEAR = 8760.0
DISPATCHABLE_KINDS = frozenset({"hydro_reservoir", "geothermal", "biomass", "gas_turbine"})
"""Technologies whose headroom cf · P − p counts as operating reserve."""
FOSSIL_KINDS = frozenset({"gas_turbine"})
META_KEY = "greenzone_existing_investment_usd_per_year"


def _import_pypsa():
    try:
        import pypsa
    except ImportError:
        raise GreenzoneError(PYPSA_MISSING) from None
    return pypsa


def annuity(rate: float, lifetime_years: float) -> float:
    """Annuity factor r / (1 − (1 + r)^−y) [1/yr]; 1/y when r = 0."""
    if rate == 0:
        return 1.0 / lifetime_years
    return rate / (1.0 - (1.0 + rate) ** -lifetime_years)


# ---------------------------------------------------------------------------------------------- constraints


@dataclass
class GreenzoneConstraints:
    """The ``extra_functionality(n, snapshots)`` of a network built by :func:`to_pypsa`.

    Holds the data of the constraints PyPSA has no component for (see the module docstring) and adds them to
    ``n.model`` when called. :attr:`names` lists the linopy constraint names it adds.
    """

    weights: np.ndarray
    link_pairs: list[tuple[str, str]] = field(default_factory=list)  # (forward, backward) Links
    charge_pairs: list[tuple[str, str, float]] = field(default_factory=list)  # (charger, discharger, η_d)
    durations: list[tuple[str, str, float]] = field(default_factory=list)  # (Store, discharger, h_max η_d)
    releases: list[tuple[str, str, np.ndarray]] = field(default_factory=list)  # (turbine, spill, [MW] per t)
    # land: node -> (usable [km^2], {Generator: km^2/MW}, {Link: km^2/MW of p_nom})
    land: dict[str, tuple[float, dict[str, float], dict[str, float]]] = field(default_factory=dict)
    renewable_share: float | None = None
    fossil: list[str] = field(default_factory=list)  # Generators
    grid_import: str | None = None
    import_renewable_share: float = 0.0
    unserved: list[str] = field(default_factory=list)  # Generators
    total_demand: np.ndarray | None = None  # Σ_n D_{n,t} [MW]
    reserve_share: float = 0.0
    reserve_generators: dict[str, np.ndarray] = field(default_factory=dict)  # Generator -> cf_t
    reserve_turbines: dict[str, np.ndarray] = field(default_factory=dict)  # Link -> cf_t
    reserve_dischargers: dict[str, float] = field(default_factory=dict)  # Link -> η_d

    @property
    def names(self) -> list[str]:
        """The linopy names of the constraints this adds (none of which a NetCDF export carries)."""
        names = []
        if self.link_pairs:
            names.append("greenzone-link_symmetry")
        if self.charge_pairs:
            names.append("greenzone-storage_charge_rating")
        if self.durations:
            names.append("greenzone-storage_max_duration")
        if self.releases:
            names.append("greenzone-reservoir_min_release")
        names += [f"greenzone-land-{node}" for node in self.land]
        if self._renewable_terms():
            names.append("greenzone-renewable_share")
        if self.reserve_share > 0:
            names.append("greenzone-operating_reserve")
        return names

    def _renewable_terms(self) -> bool:
        return self.renewable_share is not None and bool(self.fossil or self.grid_import or self.unserved)

    def __call__(self, n: pypsa.Network, snapshots: Sequence) -> None:
        m = n.model
        sns = pd.Index(n.snapshots)
        if len(pd.Index(snapshots)) != len(sns):
            raise GreenzoneError(
                "greenzone's extra_functionality holds for the whole horizon; optimise all snapshots at once."
            )
        w = xr.DataArray(self.weights, coords={"snapshot": sns}, dims="snapshot")

        def pick(var_name: str, names: Sequence[str], labels: Sequence[str] | None = None):
            var = m[var_name].sel(name=list(names))
            return var.assign_coords(name=list(labels)) if labels is not None else var

        def per_name(values: Sequence[float], labels: Sequence[str]) -> xr.DataArray:
            return xr.DataArray(np.asarray(values, dtype=float), coords={"name": list(labels)}, dims="name")

        def hourly(columns: dict[str, np.ndarray]) -> xr.DataArray:
            return xr.DataArray(
                np.column_stack(list(columns.values())),
                coords={"snapshot": sns, "name": list(columns)},
                dims=("snapshot", "name"),
            )

        if self.link_pairs:
            fwd, bwd = zip(*self.link_pairs, strict=True)
            lhs = pick("Link-p_nom", fwd) - pick("Link-p_nom", bwd, fwd)
            m.add_constraints(lhs == 0, name="greenzone-link_symmetry")
        if self.charge_pairs:
            chargers, dischargers, eta = zip(*self.charge_pairs, strict=True)
            lhs = pick("Link-p_nom", chargers) - per_name(eta, chargers) * pick(
                "Link-p_nom", dischargers, chargers
            )
            m.add_constraints(lhs == 0, name="greenzone-storage_charge_rating")
        if self.durations:
            stores, dischargers, h_eta = zip(*self.durations, strict=True)
            lhs = pick("Store-e_nom", stores) - per_name(h_eta, stores) * pick(
                "Link-p_nom", dischargers, stores
            )
            m.add_constraints(lhs <= 0, name="greenzone-storage_max_duration")
        if self.releases:
            turbines, spills, release = zip(*self.releases, strict=True)
            lhs = pick("Link-p", turbines) - pick("Generator-p", spills, turbines)
            rhs = hourly(dict(zip(turbines, release, strict=True)))
            m.add_constraints(lhs >= rhs, name="greenzone-reservoir_min_release")
        for node, (usable, gens, links) in self.land.items():
            terms = []
            if gens:
                terms.append(
                    (per_name(list(gens.values()), list(gens)) * pick("Generator-p_nom", gens)).sum()
                )
            if links:
                terms.append((per_name(list(links.values()), list(links)) * pick("Link-p_nom", links)).sum())
            m.add_constraints(sum(terms[1:], terms[0]) <= usable, name=f"greenzone-land-{node}")
        if self._renewable_terms():
            share = float(self.renewable_share)
            terms = []
            if self.fossil:
                terms.append((w * pick("Generator-p", self.fossil)).sum())
            if self.grid_import:
                terms.append(
                    (1.0 - self.import_renewable_share) * (w * pick("Generator-p", [self.grid_import])).sum()
                )
            if self.unserved:
                terms.append((1.0 - share) * (w * pick("Generator-p", self.unserved)).sum())
            rhs = (1.0 - share) * float((self.weights * self.total_demand).sum())
            m.add_constraints(sum(terms[1:], terms[0]) <= rhs, name="greenzone-renewable_share")
        if self.reserve_share > 0:
            terms = []
            for var, columns in (("Generator", self.reserve_generators), ("Link", self.reserve_turbines)):
                if columns:
                    names = list(columns)
                    terms.append((hourly(columns) * pick(f"{var}-p_nom", names)).sum("name"))
                    terms.append(-pick(f"{var}-p", names).sum("name"))
            if self.reserve_dischargers:
                # storage holds ρ ≤ η_d (p_nom − p) (power headroom at the output) and ρ ≤ η_d e (energy left)
                names = list(self.reserve_dischargers)
                stores = [name.removesuffix(" discharger") for name in names]
                eta = per_name(list(self.reserve_dischargers.values()), names)
                lower = xr.DataArray(
                    np.zeros((len(sns), len(names))),
                    coords={"snapshot": sns, "name": names},
                    dims=("snapshot", "name"),
                )
                rho = m.add_variables(lower=lower, name="greenzone-storage_reserve")
                m.add_constraints(
                    rho - eta * pick("Link-p_nom", names) + eta * pick("Link-p", names) <= 0,
                    name="greenzone-storage_reserve_power",
                )
                m.add_constraints(
                    rho - eta * pick("Store-e", stores, names) <= 0, name="greenzone-storage_reserve_energy"
                )
                terms.append(rho.sum("name"))
            rhs = xr.DataArray(
                self.reserve_share * self.total_demand, coords={"snapshot": sns}, dims="snapshot"
            )
            if terms:
                m.add_constraints(sum(terms[1:], terms[0]) >= rhs, name="greenzone-operating_reserve")
            elif (rhs > 0).any():
                raise InfeasibleError(
                    f"policy.reserve_share {self.reserve_share:g} asks for operating reserve, but no reservoir, "
                    "geothermal, biomass, gas turbine or storage stands in the zone to hold it."
                )


# ---------------------------------------------------------------------------------------------- network


class _Components:
    """Components collected one by one and added to a network in one call per component and attribute set
    (``Network.add`` costs about 20 ms a call, whatever the number of components)."""

    ORDER = ("Carrier", "Bus")

    def __init__(self, time: pd.DatetimeIndex):
        self.time = time
        self.groups: dict[tuple[str, tuple[str, ...]], list[tuple[str, dict]]] = {}

    def add(self, component: str, name: str, **attrs) -> None:
        self.groups.setdefault((component, tuple(sorted(attrs))), []).append((name, attrs))

    def add_to(self, n: pypsa.Network) -> None:
        def rank(key):
            return self.ORDER.index(key[0]) if key[0] in self.ORDER else len(self.ORDER)

        for component, keys in sorted(self.groups, key=rank):
            rows = self.groups[(component, keys)]
            names = [name for name, _ in rows]
            kwargs = {}
            for key in keys:
                values = [attrs[key] for _, attrs in rows]
                if any(isinstance(v, pd.Series) for v in values):
                    kwargs[key] = pd.DataFrame(
                        {
                            name: v if isinstance(v, pd.Series) else pd.Series(float(v), index=self.time)
                            for name, v in zip(names, values, strict=True)
                        },
                        index=self.time,
                    )
                else:
                    kwargs[key] = values
            n.add(component, names, **kwargs)


def hourly_price(value: float | HourlySeries, time: pd.DatetimeIndex, zone: Zone, field_name: str):
    """A constant price [USD/MWh], or an hourly CSV read exactly as the planner reads it."""
    if not isinstance(value, HourlySeries):
        return float(value)
    from greenzone.resources.series import hourly_price as planner_price

    return pd.Series(planner_price(value, time, zone.timezone, field_name), index=time)


def _refuse_dated_values(zone: Zone) -> None:
    """The export reads the zone's undated numbers only: refuse a zone whose pathway section changes the year's
    fleet, capex or grid (``plan`` on a year reads them), rather than export another problem than greenzone's."""
    for i, node in enumerate(zone.nodes):
        if node.usable_land_by_kind_km2:
            raise ZoneError(
                f"{zone.zone_file or 'the zone'}: nodes[{i}].usable_land_by_kind_km2: the PyPSA export does not "
                "read land by technology kind yet; export a copy of the zone without it"
            )
    pw = zone.pathway
    if pw is None:
        return
    dated = [
        name
        for name, given in (
            ("assets", pw.assets),
            ("capex_usd_per_kw", pw.capex_usd_per_kw),
            ("capex_usd_per_kwh", pw.capex_usd_per_kwh),
            ("grid", pw.grid),
            ("links", pw.links),
        )
        if given
    ]
    if dated:
        where = zone.zone_file or "the zone"
        raise ZoneError(
            f"{where}: pathway.{dated[0]}: the PyPSA export does not read the pathway section's dated values yet "
            f"({', '.join('pathway.' + d for d in dated)}); export a copy of the zone without them (pathway.periods "
            "alone is fine)"
        )


def to_pypsa(
    zone: Zone,
    profiles: xr.Dataset,
    *,
    year: int | None = None,
    weights: np.ndarray | None = None,
) -> tuple[pypsa.Network, Callable]:
    """The planning problem of ``zone`` on ``profiles`` as a PyPSA network, plus its extra constraints.

    Parameters
    ----------
    zone : a validated zone (:func:`greenzone.load_zone`).
    profiles : its resource profiles (:func:`greenzone.profiles`).
    year : the year whose usable land applies; default the zone's (demand comes from ``profiles``).
    weights : hours each time step stands for [h]; default 1 per step.

    Returns
    -------
    (network, extra_functionality) : solve with ``network.optimize(solver_name="highs",
        extra_functionality=extra_functionality, include_objective_constant=False)``; the extra functionality is
        a :class:`GreenzoneConstraints` whose ``names`` lists the constraints it adds. See the module docstring
        for the mapping and :func:`greenzone_objective` for the objective.

    Raises
    ------
    GreenzoneError
        when PyPSA is not installed.
    """
    pypsa = _import_pypsa()
    _refuse_dated_values(zone)
    year = zone.year if year is None else year
    time = pd.DatetimeIndex(profiles.indexes["time"])
    n_t = len(time)
    w = np.ones(n_t) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n_t,) or (w <= 0).any():
        raise ValueError(f"weights must be positive with shape ({n_t},), got shape {w.shape}")
    if list(profiles["node"].values) != zone.node_ids:
        raise ValueError("profiles were made for another zone: their nodes differ from the zone's")
    alpha = HOURS_PER_YEAR / w.sum()
    rate = zone.economics.discount_rate

    n = pypsa.Network(name=zone.name)
    n.set_snapshots(time)
    n.snapshot_weightings = pd.DataFrame(
        {"objective": alpha * w, "stores": w.copy(), "generators": w.copy()}, index=n.snapshots
    )

    parts = _Components(time)
    extra = GreenzoneConstraints(weights=w.copy())
    existing_investment = 0.0
    carriers: dict[str, dict] = {"AC": {}, "water": {}, "transmission": {}, "unserved": {}, "grid export": {}}
    cf_all = profiles["capacity_factor"].transpose("time", "node", "technology")
    cf_all = cf_all.where(np.abs(cf_all) >= CF_THRESHOLD, 0.0)
    demand = profiles["demand"].transpose("time", "node")
    total_demand = demand.sum("node").values.astype(float)
    policy = zone.policy

    def series(values: np.ndarray) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=float), index=time)

    for node in zone.nodes:
        parts.add("Bus", node.id, carrier="AC")
    for node in zone.nodes:
        land_gens: dict[str, float] = {}
        land_links: dict[str, float] = {}
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            a = annuity(rate, spec.lifetime_years)
            land_use = spec.land_use_km2_per_mw if nt.land_use_km2_per_mw is None else nt.land_use_km2_per_mw
            name = f"{node.id} {tech_id}"
            capex = a * spec.capex_usd_per_kw * 1000.0  # [USD/MW/yr]
            fom = spec.fixed_om_usd_per_kw_year * 1000.0  # [USD/MW/yr]
            carriers.setdefault(tech_id, {})
            if spec.kind in STORAGE_KINDS:
                assert isinstance(spec, StorageTechnology)
                eta_c, eta_d = spec.efficiency_charge, spec.efficiency_discharge
                bus = f"{name} energy"
                parts.add("Bus", bus, carrier=tech_id)
                parts.add(
                    "Store",
                    name,
                    bus=bus,
                    carrier=tech_id,
                    e_nom=nt.existing_energy_mwh,
                    e_nom_extendable=True,
                    e_nom_min=nt.existing_energy_mwh,
                    e_nom_max=np.inf if nt.max_energy_mwh is None else nt.max_energy_mwh,
                    capital_cost=a * spec.capex_usd_per_kwh * 1000.0,
                    standing_loss=spec.standing_loss_per_h,
                    e_cyclic=True,
                )
                existing_investment += a * spec.capex_usd_per_kwh * 1000.0 * nt.existing_energy_mwh
                power_max = np.inf if nt.max_mw is None else nt.max_mw
                parts.add(
                    "Link",
                    f"{name} discharger",
                    bus0=bus,
                    bus1=node.id,
                    carrier=tech_id,
                    efficiency=eta_d,
                    p_nom=nt.existing_mw / eta_d,
                    p_nom_extendable=True,
                    p_nom_min=nt.existing_mw / eta_d,
                    p_nom_max=power_max / eta_d,
                    capital_cost=capex * eta_d,
                    fom_cost=fom * eta_d,
                )
                existing_investment += capex * nt.existing_mw
                if spec.separate_charge_rating:
                    charge_capex = a * spec.charge_capex_usd_per_kw * 1000.0
                    charge = {
                        "p_nom": nt.existing_charge_mw,
                        "p_nom_min": nt.existing_charge_mw,
                        "p_nom_max": np.inf if nt.max_charge_mw is None else nt.max_charge_mw,
                        "capital_cost": charge_capex,
                        "fom_cost": spec.charge_fixed_om_usd_per_kw_year * 1000.0,
                    }
                    existing_investment += charge_capex * nt.existing_charge_mw
                else:
                    charge = {"p_nom": nt.existing_mw, "p_nom_min": nt.existing_mw, "p_nom_max": power_max}
                    extra.charge_pairs.append((f"{name} charger", f"{name} discharger", eta_d))
                parts.add(
                    "Link",
                    f"{name} charger",
                    bus0=node.id,
                    bus1=bus,
                    carrier=tech_id,
                    efficiency=eta_c,
                    p_nom_extendable=True,
                    **charge,
                )
                if spec.max_duration_h is not None:
                    extra.durations.append((name, f"{name} discharger", spec.max_duration_h * eta_d))
                land_links[f"{name} discharger"] = land_use * eta_d
                extra.reserve_dischargers[f"{name} discharger"] = eta_d
                continue

            upper = nt.max_mw
            if upper is None and spec.kind in HYDRO_KINDS:
                upper = max(nt.rated_power_mw, nt.existing_mw)
            bounds = {
                "p_nom": nt.existing_mw,
                "p_nom_extendable": True,
                "p_nom_min": nt.existing_mw,
                "p_nom_max": np.inf if upper is None else upper,
                "capital_cost": capex,
                "fom_cost": fom,
            }
            existing_investment += capex * nt.existing_mw
            cf = cf_all.sel(node=node.id, technology=tech_id).values.astype(float)
            marginal = spec.variable_om_usd_per_mwh
            if isinstance(spec, DispatchableTechnology):
                marginal += spec.fuel_cost_usd_per_mwh
                if spec.emission_factor_t_per_mwh > 0:
                    carriers[tech_id] = {"co2_emissions": spec.emission_factor_t_per_mwh * spec.efficiency}

            if spec.kind == "hydro_reservoir":
                water = f"{name} water"
                inflow = profiles["inflow"].sel(node=node.id, technology=tech_id).values.astype(float)
                release = profiles["min_release"].sel(node=node.id, technology=tech_id).values.astype(float)
                parts.add("Bus", water, carrier="water")
                parts.add(
                    "Store",
                    f"{name} reservoir",
                    bus=water,
                    carrier="water",
                    e_nom=nt.storage_mwh,
                    e_cyclic=True,
                )
                peak = float(inflow.max())
                parts.add(
                    "Generator",
                    f"{name} inflow",
                    bus=water,
                    carrier="water",
                    p_nom=peak,
                    p_min_pu=series(inflow / peak if peak > 0 else np.zeros(n_t)),
                    p_max_pu=series(inflow / peak if peak > 0 else np.zeros(n_t)),
                )
                parts.add(
                    "Generator",
                    f"{name} spill",
                    bus=water,
                    carrier="water",
                    p_nom=float(np.max(inflow + nt.storage_mwh / w)),
                    p_min_pu=-1.0,
                    p_max_pu=0.0,
                )
                parts.add(
                    "Link",
                    f"{name} turbine",
                    bus0=water,
                    bus1=node.id,
                    carrier=tech_id,
                    efficiency=1.0,
                    p_max_pu=series(cf),
                    marginal_cost=marginal,
                    **bounds,
                )
                if (release > 0).any():
                    extra.releases.append((f"{name} turbine", f"{name} spill", release))
                land_links[f"{name} turbine"] = land_use
                extra.reserve_turbines[f"{name} turbine"] = cf
                continue

            attrs = {}
            if isinstance(spec, DispatchableTechnology):
                attrs["efficiency"] = spec.efficiency
            if nt.fuel_budget_mwh is not None:
                attrs["e_sum_max"] = nt.fuel_budget_mwh / alpha
            parts.add(
                "Generator",
                name,
                bus=node.id,
                carrier=tech_id,
                p_max_pu=series(cf),
                marginal_cost=marginal,
                **bounds,
                **attrs,
            )
            land_gens[name] = land_use
            if spec.kind in FOSSIL_KINDS:
                extra.fossil.append(name)
            if spec.kind in DISPATCHABLE_KINDS:
                extra.reserve_generators[name] = cf

        if node.usable_land_km2 is not None and any(
            v > 0 for v in [*land_gens.values(), *land_links.values()]
        ):
            extra.land[node.id] = (node.usable_land_km2.at(year), land_gens, land_links)

        d = demand.sel(node=node.id).values.astype(float)
        if d.max() > 0:
            parts.add("Load", f"{node.id} demand", bus=node.id, carrier="AC", p_set=series(d))
            if policy.allow_unserved:
                parts.add(
                    "Generator",
                    f"{node.id} unserved",
                    bus=node.id,
                    carrier="unserved",
                    p_nom=float(d.max()),
                    p_max_pu=series(d / d.max()),
                    marginal_cost=policy.value_of_lost_load_usd_per_mwh,
                )
                extra.unserved.append(f"{node.id} unserved")

    for link in zone.links:
        a = annuity(rate, link.lifetime_years)
        capex = a * link.capex_usd_per_mw_km * link.length_km
        fom = link.fixed_om_share * link.capex_usd_per_mw_km * link.length_km
        bounds = {
            "p_nom": link.existing_mw,
            "p_nom_extendable": True,
            "p_nom_min": link.existing_mw,
            "p_nom_max": np.inf if link.max_mw is None else link.max_mw,
            "efficiency": 1.0 - link.loss,
            "length": link.length_km,
            "carrier": "transmission",
        }
        parts.add(
            "Link",
            f"{link.name} forward",
            bus0=link.from_node,
            bus1=link.to_node,
            capital_cost=capex,
            fom_cost=fom,
            **bounds,
        )
        parts.add("Link", f"{link.name} backward", bus0=link.to_node, bus1=link.from_node, **bounds)
        extra.link_pairs.append((f"{link.name} forward", f"{link.name} backward"))
        existing_investment += capex * link.existing_mw

    grid = zone.grid
    if grid is not None:
        if grid.import_max_mw > 0:
            carriers["grid import"] = {"co2_emissions": grid.emission_factor_t_per_mwh}
            parts.add(
                "Generator",
                f"{grid.node} grid import",
                bus=grid.node,
                carrier="grid import",
                p_nom=grid.import_max_mw,
                marginal_cost=hourly_price(
                    grid.import_price_usd_per_mwh, time, zone, "grid.import_price_usd_per_mwh"
                ),
            )
            extra.grid_import = f"{grid.node} grid import"
            extra.import_renewable_share = grid.renewable_share
        if grid.export_max_mw > 0:
            parts.add(
                "Generator",
                f"{grid.node} grid export",
                bus=grid.node,
                carrier="grid export",
                p_nom=grid.export_max_mw,
                p_min_pu=-1.0,
                p_max_pu=0.0,
                marginal_cost=hourly_price(
                    grid.export_price_usd_per_mwh, time, zone, "grid.export_price_usd_per_mwh"
                ),
            )

    for carrier, attrs in carriers.items():
        parts.add("Carrier", carrier, **attrs)
    if policy.co2_cap_t is not None:
        parts.add(
            "GlobalConstraint",
            "co2_cap",
            type="primary_energy",
            carrier_attribute="co2_emissions",
            sense="<=",
            constant=policy.co2_cap_t / alpha,
        )

    parts.add_to(n)
    extra.renewable_share = policy.renewable_share_min
    extra.total_demand = total_demand
    extra.reserve_share = policy.reserve_share
    n.meta = {
        **n.meta,
        "greenzone_zone": zone.name,
        "greenzone_year": int(year),
        "greenzone_alpha": float(alpha),
        META_KEY: float(existing_investment),
        "greenzone_extra_constraints": extra.names,
    }
    return n, extra


def greenzone_objective(n: pypsa.Network) -> float:
    """greenzone's objective [USD/yr] (docs/formulation.md) of a solved network built by :func:`to_pypsa`.

    PyPSA's objective counts capital_cost on all capacity (or, with ``include_objective_constant=True``, on new
    capacity and fixed O&M too); greenzone counts investment on new capacity and fixed O&M on all of it.
    """
    constant = n.objective_constant or 0.0
    return float(n.objective) + float(constant) - float(n.meta[META_KEY])


def export_network(
    zone: Zone,
    profiles: xr.Dataset,
    path: str | Path,
    *,
    year: int | None = None,
    weights: np.ndarray | None = None,
) -> list[str]:
    """Write the PyPSA network of ``zone`` as NetCDF and return the constraints the file cannot carry.

    The returned names are those of :class:`GreenzoneConstraints` (also in the file's
    ``meta["greenzone_extra_constraints"]``): a network read back from the file solves a relaxation of greenzone's
    problem unless they are added again.

    Raises
    ------
    GreenzoneError
        when PyPSA is not installed.
    """
    path = Path(path)
    with warnings.catch_warnings():
        # PyPSA 1.x warns about pandas 3 string dtypes while building and exporting: nothing a user can act on
        warnings.simplefilter("ignore", FutureWarning)
        n, extra = to_pypsa(zone, profiles, year=year, weights=weights)
        with atomic_path(path) as tmp:
            n.export_to_netcdf(tmp)
    return extra.names


__all__ = ["PYPSA_MISSING", "GreenzoneConstraints", "export_network", "greenzone_objective", "to_pypsa"]
