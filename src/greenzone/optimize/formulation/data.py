"""Model data: the zone and its profiles turned into the arrays the formulation needs.

Everything here is plain numpy, indexed by generator, storage unit, link, node and hour, with the unit of
each array in its comment. No LP code: the ``define_*`` functions read these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.optimize.formulation.vintages import add_in_service, zone_vintages
from greenzone.optimize.numerics import clean_small_coefficients
from greenzone.resources.series import hourly_price
from greenzone.zone.dated import capex_at, grid_at
from greenzone.zone.schema import (
    HYDRO_KINDS,
    STORAGE_KINDS,
    DispatchableTechnology,
    StorageTechnology,
    Zone,
)

CF_THRESHOLD = 1e-3
"""Capacity factors below this are set to 0 before building (see docs/formulation.md, Numerics)."""

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True, eq=False)
class Periods:
    """Typical periods for the storage formulation (Kotzur et al. 2018; docs/formulation.md, Typical periods).

    The model's hours are K representative periods of H hours each, concatenated in period order; the
    original horizon is the sequence of D periods ``order`` (the representative period of each original one).

    Parameters
    ----------
    n_hours : int
        Hours per period H (24 for typical days).
    order : numpy.ndarray
        For each original period d = 0 … D − 1, in chronological order, its representative period k(d) in
        0 … K − 1. Every representative period must occur at least once.
    linking : bool
        True: storage levels are linked across the original periods (intra-period level plus inter-period
        state). False: every storage is cyclic within each representative period (the naive method).
    """

    n_hours: int
    order: np.ndarray
    linking: bool = True

    def __post_init__(self) -> None:
        order = np.asarray(self.order)
        if order.ndim != 1 or order.size == 0 or order.dtype.kind not in "iu":
            raise ValueError(
                "periods.order must be a non-empty 1-d integer array (a period per original one)"
            )
        if int(self.n_hours) < 1:
            raise ValueError(f"periods.n_hours must be positive, got {self.n_hours}")
        k = int(order.max()) + 1
        if order.min() < 0 or (np.bincount(order, minlength=k) == 0).any():
            raise ValueError(
                "periods.order must use every representative period 0 … K − 1 at least once and no other"
            )
        object.__setattr__(self, "order", order.astype(np.int64))

    @property
    def n_periods(self) -> int:
        """Number of representative periods K."""
        return int(self.order.max()) + 1

    @property
    def n_original(self) -> int:
        """Number of original periods D."""
        return int(self.order.size)

    @property
    def counts(self) -> np.ndarray:
        """Original periods each representative period stands for (K,)."""
        return np.bincount(self.order, minlength=self.n_periods)

    def weights(self) -> np.ndarray:
        """Hours each model hour stands for: its period's count, per hour (K·H,) [h]."""
        return np.repeat(self.counts.astype(float), self.n_hours)

    def hour_index(self) -> np.ndarray:
        """For every original hour (D·H,), the model hour that stands for it."""
        return (self.order[:, None] * self.n_hours + np.arange(self.n_hours)[None, :]).ravel()

    def previous_in_period(self) -> np.ndarray:
        """Index of each model hour's predecessor, cyclic within its period (K·H,)."""
        h = np.arange(self.n_periods * self.n_hours).reshape(self.n_periods, self.n_hours)
        return np.roll(h, 1, axis=1).ravel()

    def absolute_level(
        self, intra: np.ndarray, inter: np.ndarray, keep: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """Level at the end of every original hour: keep^{h+1} E_d + e^{intra}_{k(d),h} [MWh].

        Parameters
        ----------
        intra : (units, K·H) intra-period levels; inter : (units, D) levels at the start of each original
        period; keep : (units,) 1 − standing loss per hour [-].
        """
        units = intra.shape[0]
        decay = np.asarray(keep, dtype=float).reshape(-1, 1) ** np.arange(1, self.n_hours + 1)[None, :]
        decay = np.broadcast_to(decay, (units, self.n_hours))
        start = inter[:, :, None] * decay[:, None, :]  # (units, D, H)
        return start.reshape(units, -1) + intra[:, self.hour_index()]


def annuity(rate: float, lifetime_years: float) -> float:
    """Annuity factor r / (1 - (1 + r)^-y) [1/yr]; 1/y when r = 0."""
    if rate == 0:
        return 1.0 / lifetime_years
    return rate / (1.0 - (1.0 + rate) ** -lifetime_years)


@dataclass(frozen=True)
class ModelData:
    """Arrays for one planning problem. Generators g, storage units s, links l, nodes n, hours t."""

    zone: Zone
    year: int
    time: pd.DatetimeIndex
    weights: np.ndarray  # (t,) [h]
    alpha: float  # 8760 / sum(weights) [-]
    nodes: list[str]
    demand: np.ndarray  # (n, t) [MW]
    # generators
    gen_labels: list[str]  # "node/technology"
    gen_node: np.ndarray  # (g,) node position
    gen_tech: list[str]
    gen_kind: list[str]
    cf: np.ndarray  # (g, t) [-]
    gen_existing: np.ndarray  # (g,) [MW]
    gen_max: np.ndarray  # (g,) [MW], inf when unlimited
    gen_capex: np.ndarray  # (g,) annualised investment per MW [USD/MW/yr]
    gen_fom: np.ndarray  # (g,) [USD/MW/yr]
    gen_marginal: np.ndarray  # (g,) variable O&M + fuel [USD/MWh]
    gen_emission: np.ndarray  # (g,) [t CO2/MWh]
    gen_land: np.ndarray  # (g,) [km^2/MW]
    fuel_budget: np.ndarray  # (g,) [MWh/yr], inf when none
    # reservoirs (subset of generators)
    res_gen: np.ndarray  # (r,) generator position
    res_storage: np.ndarray  # (r,) [MWh]
    res_inflow: np.ndarray  # (r, t) [MW]
    res_min_release: np.ndarray  # (r, t) [MW]
    # storage
    sto_labels: list[str]
    sto_node: np.ndarray
    sto_tech: list[str]
    sto_kind: list[str]
    sto_separate_charge: np.ndarray  # (s,) bool
    sto_power_existing: np.ndarray
    sto_power_max: np.ndarray
    sto_charge_existing: np.ndarray
    sto_charge_max: np.ndarray
    sto_energy_existing: np.ndarray
    sto_energy_max: np.ndarray
    sto_power_capex: np.ndarray  # annualised [USD/MW/yr]
    sto_charge_capex: np.ndarray  # annualised [USD/MW/yr]
    sto_energy_capex: np.ndarray  # annualised [USD/MWh/yr]
    sto_power_fom: np.ndarray  # [USD/MW/yr]
    sto_charge_fom: np.ndarray  # [USD/MW/yr]
    sto_eff_charge: np.ndarray
    sto_eff_discharge: np.ndarray
    sto_standing_loss: np.ndarray  # [1/h]
    sto_max_duration: np.ndarray  # [h], inf when none
    sto_land: np.ndarray  # [km^2/MW]
    # links
    link_labels: list[str]
    link_from: np.ndarray
    link_to: np.ndarray
    link_existing: np.ndarray
    link_max: np.ndarray
    link_loss: np.ndarray  # [-]
    link_capex: np.ndarray  # annualised [USD/MW/yr]
    link_fom: np.ndarray  # [USD/MW/yr]
    # national grid
    grid_node: int | None
    import_max: float
    export_max: float
    import_price: np.ndarray  # (t,) [USD/MWh]
    export_price: np.ndarray  # (t,) [USD/MWh]
    import_emission: float  # [t CO2/MWh]
    import_renewable_share: float
    # policy
    usable_land: np.ndarray  # (n,) [km^2], inf when unlimited
    periods: Periods | None = None  # typical periods; None: the hours are one chronological horizon
    extra: dict = field(default_factory=dict)
    land_by_kind: tuple[tuple[int, str, float], ...] = ()  # (node position, kind, usable [km^2]) of the year

    @property
    def annual(self) -> float:
        """Operating sums over the horizon times ``alpha`` give annual values [-]."""
        return self.alpha


def _node_value(nt, name: str, default):
    value = getattr(nt, name)
    return default if value is None else value


def _grid_value(zone: Zone, field: str, year: int) -> float:
    """A grid limit in ``year`` [MW]: the pathway's dated value where given, else the grid section's."""
    dated = grid_at(zone, field, year)
    return getattr(zone.grid, field) if dated is None else dated


def _grid_price(zone: Zone, field: str, year: int, time: pd.DatetimeIndex) -> np.ndarray:
    """A grid price on ``time`` [USD/MWh]: the pathway's dated value in ``year`` where given (constant over
    the hours), else the grid section's number or hourly CSV."""
    dated = grid_at(zone, field, year)
    if dated is not None:
        return np.full(len(time), dated)
    return hourly_price(getattr(zone.grid, field), time, zone.timezone, f"grid.{field}")


def model_data(
    zone: Zone,
    profiles: xr.Dataset,
    *,
    year: int | None = None,
    weights: np.ndarray | None = None,
    periods: Periods | None = None,
) -> ModelData:
    """Collect the arrays of one planning problem from a zone and its profiles.

    Parameters
    ----------
    weights : hours each time step stands for [h]; default 1 for every hour, or with ``periods`` the
        number of original periods each representative one stands for.
    periods : typical periods (:class:`Periods`): the hours are K periods of H hours; they must number K·H.
    """
    year = zone.year if year is None else year
    time = pd.DatetimeIndex(profiles.indexes["time"])
    n_t = len(time)
    if periods is not None:
        if periods.n_periods * periods.n_hours != n_t:
            raise ValueError(
                f"periods: {periods.n_periods} periods of {periods.n_hours} hours need {periods.n_periods * periods.n_hours}"
                f" hours, but the profiles have {n_t}"
            )
        if weights is None:
            weights = periods.weights()
        elif not np.array_equal(np.asarray(weights, dtype=float), periods.weights()):
            raise ValueError(
                "weights must equal the number of original periods each representative period stands for "
                "(periods.weights()); leave weights out to take them from periods"
            )
    weights = np.ones(n_t) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != (n_t,) or (weights <= 0).any():
        raise ValueError(f"weights must be positive with shape ({n_t},), got shape {weights.shape}")
    alpha = HOURS_PER_YEAR / weights.sum()
    nodes = zone.node_ids
    if list(profiles["node"].values) != nodes:
        raise ValueError("profiles were made for another zone: their nodes differ from the zone's")
    rate = zone.economics.discount_rate
    node_pos = {n: i for i, n in enumerate(nodes)}
    cf_all = clean_small_coefficients(
        profiles["capacity_factor"].transpose("node", "technology", "time").values, CF_THRESHOLD
    )
    prof_techs = list(profiles["technology"].values)

    gens: dict[str, list] = {
        k: []
        for k in (
            "label",
            "node",
            "tech",
            "kind",
            "cf",
            "existing",
            "max",
            "capex",
            "fom",
            "marginal",
            "emission",
            "land",
            "budget",
        )
    }
    res: dict[str, list] = {k: [] for k in ("gen", "storage", "inflow", "min_release")}
    sto: dict[str, list] = {
        k: []
        for k in (
            "label",
            "node",
            "tech",
            "kind",
            "sep",
            "p_ex",
            "p_max",
            "c_ex",
            "c_max",
            "e_ex",
            "e_max",
            "p_capex",
            "c_capex",
            "e_capex",
            "p_fom",
            "c_fom",
            "eta_c",
            "eta_d",
            "loss",
            "dur",
            "land",
        )
    }
    inflow_all = profiles["inflow"].transpose("node", "technology", "time").values
    release_all = profiles["min_release"].transpose("node", "technology", "time").values

    for node in zone.nodes:
        i = node_pos[node.id]
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            land = spec.land_use_km2_per_mw if nt.land_use_km2_per_mw is None else nt.land_use_km2_per_mw
            a = annuity(rate, spec.lifetime_years)
            if spec.kind in STORAGE_KINDS:
                assert isinstance(spec, StorageTechnology)
                sto["label"].append(f"{node.id}/{tech_id}")
                sto["node"].append(i)
                sto["tech"].append(tech_id)
                sto["kind"].append(spec.kind)
                sto["sep"].append(spec.separate_charge_rating)
                sto["p_ex"].append(nt.existing_mw)
                sto["p_max"].append(_node_value(nt, "max_mw", np.inf))
                sto["c_ex"].append(nt.existing_charge_mw)
                sto["c_max"].append(
                    _node_value(nt, "max_charge_mw", np.inf) if spec.separate_charge_rating else 0.0
                )
                sto["e_ex"].append(nt.existing_energy_mwh)
                sto["e_max"].append(_node_value(nt, "max_energy_mwh", np.inf))
                sto["p_capex"].append(a * capex_at(zone, tech_id, "capex_usd_per_kw", year) * 1000.0)
                sto["c_capex"].append(a * spec.charge_capex_usd_per_kw * 1000.0)
                sto["e_capex"].append(a * capex_at(zone, tech_id, "capex_usd_per_kwh", year) * 1000.0)
                sto["p_fom"].append(spec.fixed_om_usd_per_kw_year * 1000.0)
                sto["c_fom"].append(spec.charge_fixed_om_usd_per_kw_year * 1000.0)
                sto["eta_c"].append(spec.efficiency_charge)
                sto["eta_d"].append(spec.efficiency_discharge)
                sto["loss"].append(spec.standing_loss_per_h)
                sto["dur"].append(np.inf if spec.max_duration_h is None else spec.max_duration_h)
                sto["land"].append(land)
                continue
            k = prof_techs.index(tech_id)
            g = len(gens["label"])
            gens["label"].append(f"{node.id}/{tech_id}")
            gens["node"].append(i)
            gens["tech"].append(tech_id)
            gens["kind"].append(spec.kind)
            gens["cf"].append(cf_all[i, k])
            gens["existing"].append(nt.existing_mw)
            upper = nt.max_mw
            if upper is None and spec.kind in HYDRO_KINDS:
                upper = max(nt.rated_power_mw, nt.existing_mw)
            gens["max"].append(np.inf if upper is None else upper)
            gens["capex"].append(a * capex_at(zone, tech_id, "capex_usd_per_kw", year) * 1000.0)
            gens["fom"].append(spec.fixed_om_usd_per_kw_year * 1000.0)
            marginal = spec.variable_om_usd_per_mwh
            emission = 0.0
            if isinstance(spec, DispatchableTechnology):
                marginal += spec.fuel_cost_usd_per_mwh
                emission = spec.emission_factor_t_per_mwh
            gens["marginal"].append(marginal)
            gens["emission"].append(emission)
            gens["land"].append(land)
            gens["budget"].append(np.inf if nt.fuel_budget_mwh is None else nt.fuel_budget_mwh)
            if spec.kind == "hydro_reservoir":
                res["gen"].append(g)
                res["storage"].append(nt.storage_mwh)
                res["inflow"].append(inflow_all[i, k])
                res["min_release"].append(release_all[i, k])

    def arr(values, dtype=float):
        return np.asarray(values, dtype=dtype)

    def mat(values, rows):
        return np.asarray(values, dtype=float).reshape(rows, n_t)

    links = zone.links
    grid = zone.grid
    usable = np.array(
        [np.inf if n.usable_land_km2 is None else n.usable_land_km2.at(year) for n in zone.nodes], dtype=float
    )
    data = ModelData(
        zone=zone,
        year=year,
        time=time,
        weights=weights,
        alpha=alpha,
        nodes=nodes,
        demand=profiles["demand"].transpose("node", "time").values.astype(float),
        gen_labels=gens["label"],
        gen_node=arr(gens["node"], int),
        gen_tech=gens["tech"],
        gen_kind=gens["kind"],
        cf=mat(gens["cf"], len(gens["label"])),
        gen_existing=arr(gens["existing"]),
        gen_max=arr(gens["max"]),
        gen_capex=arr(gens["capex"]),
        gen_fom=arr(gens["fom"]),
        gen_marginal=arr(gens["marginal"]),
        gen_emission=arr(gens["emission"]),
        gen_land=arr(gens["land"]),
        fuel_budget=arr(gens["budget"]),
        res_gen=arr(res["gen"], int),
        res_storage=arr(res["storage"]),
        res_inflow=mat(res["inflow"], len(res["gen"])),
        res_min_release=mat(res["min_release"], len(res["gen"])),
        sto_labels=sto["label"],
        sto_node=arr(sto["node"], int),
        sto_tech=sto["tech"],
        sto_kind=sto["kind"],
        sto_separate_charge=arr(sto["sep"], bool),
        sto_power_existing=arr(sto["p_ex"]),
        sto_power_max=arr(sto["p_max"]),
        sto_charge_existing=arr(sto["c_ex"]),
        sto_charge_max=arr(sto["c_max"]),
        sto_energy_existing=arr(sto["e_ex"]),
        sto_energy_max=arr(sto["e_max"]),
        sto_power_capex=arr(sto["p_capex"]),
        sto_charge_capex=arr(sto["c_capex"]),
        sto_energy_capex=arr(sto["e_capex"]),
        sto_power_fom=arr(sto["p_fom"]),
        sto_charge_fom=arr(sto["c_fom"]),
        sto_eff_charge=arr(sto["eta_c"]),
        sto_eff_discharge=arr(sto["eta_d"]),
        sto_standing_loss=arr(sto["loss"]),
        sto_max_duration=arr(sto["dur"]),
        sto_land=arr(sto["land"]),
        link_labels=[link.name for link in links],
        link_from=arr([node_pos[link.from_node] for link in links], int),
        link_to=arr([node_pos[link.to_node] for link in links], int),
        link_existing=arr([link.existing_mw for link in links]),
        link_max=arr([np.inf if link.max_mw is None else link.max_mw for link in links]),
        link_loss=arr([link.loss for link in links]),
        link_capex=arr(
            [annuity(rate, link.lifetime_years) * link.capex_usd_per_mw_km * link.length_km for link in links]
        ),
        link_fom=arr([link.fixed_om_share * link.capex_usd_per_mw_km * link.length_km for link in links]),
        grid_node=None if grid is None else node_pos[grid.node],
        import_max=0.0 if grid is None else _grid_value(zone, "import_max_mw", year),
        export_max=0.0 if grid is None else _grid_value(zone, "export_max_mw", year),
        import_price=np.zeros(n_t)
        if grid is None
        else _grid_price(zone, "import_price_usd_per_mwh", year, time),
        export_price=np.zeros(n_t)
        if grid is None
        else _grid_price(zone, "export_price_usd_per_mwh", year, time),
        import_emission=0.0 if grid is None else grid.emission_factor_t_per_mwh,
        import_renewable_share=0.0 if grid is None else grid.renewable_share,
        usable_land=usable,
        periods=periods,
        land_by_kind=tuple(
            (node_pos[n.id], kind, land.at(year))
            for n in zone.nodes
            for kind, land in n.usable_land_by_kind_km2.items()
        ),
    )
    return add_in_service(data, zone_vintages(zone), year)
