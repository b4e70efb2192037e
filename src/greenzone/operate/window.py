"""The window LP of rolling operation and of the day-ahead schedule, built once and re-solved in place.

:class:`OperationModel` is the planning formulation on ``horizon`` hours with ``cyclic=False``
(docs/formulation.md): every capacity is fixed through its bounds (lower = upper = the planned capacity), the
storage and reservoir balances start from an initial level that enters the first rows' right-hand sides, and
the availability rows are built with a capacity factor of 1 (p ≤ P). A forecast's capacity factors then enter
as dispatch upper bounds cf·P (exact, since P is fixed), demand as the balance's right-hand side and the
unserved load's upper bound, inflows and minimum releases as right-hand sides. Each window changes only
bounds, right-hand sides (and, for hourly grid prices, costs) in the live HiGHS model, which warm-starts from
the previous basis (dual simplex). Storage and reservoirs carry soft terminal floors (a shortfall costs
:data:`SHORTFALL_SHARE_OF_VOLL` of the value of lost load per MWh), so a window is always feasible.

Used by :func:`greenzone.operate.rolling.operate` (window by window), by
:func:`greenzone.operate.schedule.schedule` (one window) and, through it, by the service.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import GreenzoneError, InfeasibleError
from greenzone.operate.forecast import FORECAST_VARIABLES
from greenzone.optimize.formulation import Model, build_model
from greenzone.optimize.formulation.data import CF_THRESHOLD
from greenzone.optimize.formulation.vintages import dated_in_service
from greenzone.optimize.numerics import clean_small_coefficients
from greenzone.optimize.solve import PersistentSolver, Solution, SolverOptions, require_optimal
from greenzone.zone.schema import STORAGE_KINDS, Zone

__all__ = [
    "ForecastError",
    "OperationModel",
    "check_forecast",
    "existing_capacities",
    "fix_capacities",
    "initial_state",
    "unit_series",
]

SHORTFALL_SHARE_OF_VOLL = 0.5
"""A terminal-level shortfall costs this share of the value of lost load per MWh."""

CAPACITY_CRUMB = 1e-6
"""Capacities below this [MW, MWh] are taken as 0: an interior-point plan leaves crumbs such as 5.7e-14 MW of
storage, which as fixed bounds only trip the numerics warning."""

LIMIT_ROWS = ("renewable_share", "co2_cap")
"""The annual limits a window can keep by an allowance (fuel budgets always are, by ``fuel_allowance``)."""


class ForecastError(GreenzoneError, ValueError):
    """A forecast or an operating state is missing, too short, malformed or names unknown units."""

    exit_code = 2


# --------------------------------------------------------------------------------------------- capacities
def existing_capacities(zone: Zone, year: int | None = None) -> xr.Dataset:
    """The zone's capacity in service in ``year`` (default the zone's year), shaped like a Plan's capacity
    variables (no dispatch): each ``existing_mw`` plus the pathway's dated assets and link capacity in service
    then, as the planning model counts them."""
    nodes, techs, stores = zone.node_ids, list(zone.generator_ids), list(zone.storage_ids)
    dated = dated_in_service(zone, zone.year if year is None else year)
    cap = np.zeros((len(nodes), len(techs)))
    power = np.zeros((len(nodes), len(stores)))
    charge = np.zeros_like(power)
    energy = np.zeros_like(power)
    for i, node in enumerate(zone.nodes):
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            label = f"{node.id}/{tech_id}"
            if spec.kind in STORAGE_KINDS:
                k = stores.index(tech_id)
                power[i, k] = nt.existing_mw + dated.get(("storage_power", label), 0.0)
                charge[i, k] = nt.existing_charge_mw if spec.separate_charge_rating else power[i, k]
                energy[i, k] = nt.existing_energy_mwh + dated.get(("storage_energy", label), 0.0)
            else:
                cap[i, techs.index(tech_id)] = nt.existing_mw + dated.get(("generator", label), 0.0)
    links = [link.name for link in zone.links]
    link_mw = [link.existing_mw + dated.get(("link", link.name), 0.0) for link in zone.links]
    return xr.Dataset(
        {
            "capacity": (("node", "technology"), cap, {"units": "MW"}),
            "storage_discharge_capacity": (("node", "storage"), power, {"units": "MW"}),
            "storage_charge_capacity": (("node", "storage"), charge, {"units": "MW"}),
            "storage_energy": (("node", "storage"), energy, {"units": "MWh"}),
            "link_capacity": (
                ("link",),
                np.array(link_mw, dtype=float),
                {"units": "MW"},
            ),
        },
        coords={"node": nodes, "technology": techs, "storage": stores, "link": links},
        attrs={"title": f"existing capacity of {zone.name}"},
    )


def _unit_values(ds: xr.Dataset, name: str, labels: list[str], dim: str) -> np.ndarray:
    if name not in ds:
        raise ForecastError(
            f"capacities: variable {name!r} is missing (pass a Plan or existing_capacities())"
        )
    da = ds[name]
    out = np.zeros(len(labels))
    for u, label in enumerate(labels):
        node, tech = label.split("/", 1)
        try:
            out[u] = float(da.sel(node=node, **{dim: tech}))
        except KeyError:
            raise ForecastError(
                f"capacities: {name} has no value for {label}; were they made for this zone?"
            ) from None
    out[np.abs(out) < CAPACITY_CRUMB] = 0.0
    return out


class _Fleet:
    """Fixed capacities in the order of the model's units."""

    def __init__(self, d, capacities: xr.Dataset) -> None:
        self.gen = _unit_values(capacities, "capacity", d.gen_labels, "technology")
        self.power = _unit_values(capacities, "storage_discharge_capacity", d.sto_labels, "storage")
        charge = _unit_values(capacities, "storage_charge_capacity", d.sto_labels, "storage")
        self.charge = np.where(d.sto_separate_charge, charge, 0.0)
        self.energy = _unit_values(capacities, "storage_energy", d.sto_labels, "storage")
        self.link = np.array(
            [float(capacities["link_capacity"].sel(link=name)) for name in d.link_labels], dtype=float
        )
        self.reservoir = d.res_storage.copy()


def _fix_capacities(lp, fleet: _Fleet, *, keep_limits: bool = False) -> None:
    lp.update_bounds("capacity", lower=fleet.gen, upper=fleet.gen)
    if "storage_power" in lp.variables:
        lp.update_bounds("storage_power", lower=fleet.power, upper=fleet.power)
        lp.update_bounds("storage_charge_power", lower=fleet.charge, upper=fleet.charge)
        lp.update_bounds("storage_energy", lower=fleet.energy, upper=fleet.energy)
    if "link_capacity" in lp.variables:
        lp.update_bounds("link_capacity", lower=fleet.link, upper=fleet.link)
    dropped = (
        ("land", "max_duration") if keep_limits else ("renewable_share", "co2_cap", "land", "max_duration")
    )
    for name in dropped:
        if name in lp.constraints:
            lp.update_rhs(name, np.inf)
    if "reserve" in lp.constraints and not keep_limits:
        lp.update_rhs("reserve", -np.inf)


def fix_capacities(model: Model, capacities: xr.Dataset, *, keep_limits: bool = False) -> None:
    """Fix a built model's capacities at ``capacities`` (a Plan or :func:`existing_capacities`) and drop the
    planning-only rows (renewable share, CO2 cap, land, duration, reserve) and any ban on unserved load, as
    operation does: what is left is the dispatch of a given fleet. With ``keep_limits`` the annual limits
    (renewable share, CO2 cap; fuel budgets are always kept) and the hourly reserve rows stay. Usable as
    ``plan(extra_constraints=...)``."""
    _fix_capacities(model.lp, _Fleet(model.data, capacities), keep_limits=keep_limits)
    model.lp.update_bounds("unserved", upper=np.asarray(model.data.demand, dtype=float))


def _unit_profiles(profiles: xr.Dataset, horizon: int) -> xr.Dataset:
    """The first ``horizon`` hours of ``profiles`` with every capacity factor 1 (availability p ≤ P)."""
    window = profiles.isel(time=slice(0, horizon)).copy(deep=True)
    window["capacity_factor"][:] = 1.0
    return window


# ------------------------------------------------------------------------------------------------ state
def initial_state(
    model_data, capacities: xr.Dataset, state: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Initial storage and reservoir levels [MWh]: given ``state`` (unit label "node/technology" → MWh), else
    the plan's level at its last hour (its cyclic start) where the plan has levels, else half full."""
    d = model_data
    res_labels = [d.gen_labels[g] for g in d.res_gen]
    sto = np.zeros(len(d.sto_labels))
    res = np.zeros(len(res_labels))
    energy = _unit_values(capacities, "storage_energy", d.sto_labels, "storage")
    for arr, labels, var, dim, full in (
        (sto, d.sto_labels, "storage_level", "storage", energy),
        (res, res_labels, "reservoir_level", "technology", d.res_storage),
    ):
        for u, label in enumerate(labels):
            node, tech = label.split("/", 1)
            if var in capacities and "time" in capacities[var].dims:
                arr[u] = float(capacities[var].sel(node=node, **{dim: tech}).isel(time=-1))
            else:
                arr[u] = 0.5 * full[u]
    if state:
        known = {label: ("storage", u) for u, label in enumerate(d.sto_labels)}
        known.update({label: ("reservoir", u) for u, label in enumerate(res_labels)})
        for label, value in state.items():
            if label not in known:
                raise ForecastError(
                    f"state: unknown storage or reservoir {label!r}; known units are "
                    f"{', '.join(known) or 'none'} (labels are node/technology)"
                )
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ForecastError(
                    f"state: level of {label!r} must be a number [MWh], got {value!r}"
                ) from None
            kind, u = known[label]
            limit = energy[u] if kind == "storage" else d.res_storage[u]
            if not 0.0 <= value <= limit + 1e-9:
                raise ForecastError(
                    f"state: level of {label!r} is {value} MWh, outside its range 0 … {limit:g} MWh"
                )
            (sto if kind == "storage" else res)[u] = min(value, limit)
    return sto, res


# --------------------------------------------------------------------------------------------- the model
def _gen_cf(d, window: xr.Dataset) -> np.ndarray:
    """(generator, hour) capacity factors of a profiles window, cleaned as the planner cleans them."""
    cf = clean_small_coefficients(
        window["capacity_factor"].transpose("node", "technology", "time").values, CF_THRESHOLD
    )
    techs = list(window["technology"].values)
    return (
        np.stack([cf[n, techs.index(t)] for n, t in zip(d.gen_node, d.gen_tech, strict=True)])
        if len(d.gen_labels)
        else np.zeros((0, window.sizes["time"]))
    )


def _res_values(d, window: xr.Dataset, name: str) -> np.ndarray:
    values = window[name].transpose("node", "technology", "time").values
    techs = list(window["technology"].values)
    return (
        np.stack([values[d.gen_node[g], techs.index(d.gen_tech[g])] for g in d.res_gen])
        if d.res_gen.size
        else np.zeros((0, window.sizes["time"]))
    )


class OperationModel:
    """The window LP of :func:`operate`, built once and re-solved in place (see the module docstring)."""

    def __init__(
        self,
        zone: Zone,
        capacities: xr.Dataset,
        profiles: xr.Dataset,
        horizon: int,
        *,
        options: SolverOptions | None = None,
    ) -> None:
        self.zone = zone
        self.horizon = horizon
        self.model: Model = build_model(zone, _unit_profiles(profiles, horizon), cyclic=False)
        lp, d = self.model.lp, self.model.data
        self.d = d
        self.fleet = _Fleet(d, capacities)
        _fix_capacities(lp, self.fleet)
        penalty = d.alpha * SHORTFALL_SHARE_OF_VOLL * zone.policy.value_of_lost_load_usd_per_mwh
        self._add_targets(lp, "storage", d.sto_labels, "storage_level", penalty)
        self._add_targets(lp, "reservoir", [d.gen_labels[g] for g in d.res_gen], "reservoir_level", penalty)
        self._add_limit_excess(lp, d, zone)
        self.solver = PersistentSolver(lp, options or SolverOptions(method="dual_simplex"))
        self._window: tuple[xr.Dataset, np.ndarray] | None = None

    def _add_targets(self, lp, prefix: str, labels: list[str], level: str, penalty: float) -> None:
        if not labels:
            return
        coords = {prefix: labels, "time": np.arange(self.horizon)}
        short = lp.add_variables(f"{prefix}_shortfall", coords=coords, cost=penalty)
        lp.add_constraints(
            f"{prefix}_target",
            coords=coords,
            terms=[(1.0, lp.variable_block(level).index), (1.0, short.index)],
            sense=">=",
            rhs=-np.inf,
        )

    def _add_limit_excess(self, lp, d, zone: Zone) -> None:
        """A priced excess column σ ≥ 0 on the renewable-share and CO2-cap rows (``<row>_excess``), so that a
        window given its share of an annual limit (:meth:`set_window`, ``limit_allowance``) stays feasible;
        σ costs the value of lost load per MWh (per MWh of the least-emitting fossil source for CO2), above
        every dual a window's limit row can have. Without an allowance the rows are free (right-hand side
        +inf) and σ is 0."""
        voll = d.alpha * max(float(zone.policy.value_of_lost_load_usd_per_mwh), 1.0)
        emitting = [e for e in (*d.gen_emission, d.import_emission) if e > 0]
        penalties = {"renewable_share": voll, "co2_cap": voll / min(emitting) if emitting else voll}
        self.limit_rows = [row for row in LIMIT_ROWS if row in lp.constraints]
        for row in self.limit_rows:
            excess = lp.add_variables(f"{row}_excess", coords={}, cost=penalties[row])
            lp.add_terms(row, [(-1.0, excess.index)])

    def set_window(
        self,
        forecast: xr.Dataset,
        storage0: np.ndarray,
        reservoir0: np.ndarray,
        *,
        storage_target: np.ndarray | None = None,
        reservoir_target: np.ndarray | None = None,
        fuel_allowance: np.ndarray | None = None,
        limit_allowance: Mapping[str, float] | None = None,
        import_price: np.ndarray | None = None,
        export_price: np.ndarray | None = None,
        derate: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Put one window's forecast and state into the live model: bounds and right-hand sides only.

        ``*_target`` are (unit, hour) floors (−inf where none) [MWh]; ``fuel_allowance`` the MWh each
        fuel-limited generator may use in the window; ``limit_allowance`` what the window may use of each
        annual limit it keeps: ``renewable_share`` [MWh of fossil output, non-renewable imports and (1 − R)
        × unserved load], ``co2_cap`` [t CO2] (a limit left out is free); prices (hour,) [USD/MWh] where
        they vary by hour; ``derate`` the available share [-] of storage, links and the grid connection by hour (forced
        outages; see :meth:`_derate`)."""
        lp, d, fleet = self.model.lp, self.d, self.fleet
        self._window = (forecast, np.asarray(reservoir0, dtype=float))
        cf = _gen_cf(d, forecast)
        lp.update_bounds("dispatch", lower=0.0, upper=cf * fleet.gen[:, None])
        demand = forecast["demand"].transpose("node", "time").values.astype(float)
        lp.update_rhs("balance", demand)
        lp.update_bounds("unserved", upper=demand)
        if d.sto_labels:
            keep = 1.0 - d.sto_standing_loss
            rhs = np.zeros((len(d.sto_labels), self.horizon))
            rhs[:, 0] = keep * storage0
            lp.update_rhs("storage_balance", rhs)
            target = np.full(rhs.shape, -np.inf) if storage_target is None else storage_target
            lp.update_rhs("storage_target", target)
        if d.res_gen.size:
            inflow = _res_values(d, forecast, "inflow")
            inflow[:, 0] += reservoir0
            lp.update_rhs("reservoir_balance", inflow)
            lp.update_rhs("min_release", _res_values(d, forecast, "min_release"))
            target = np.full(inflow.shape, -np.inf) if reservoir_target is None else reservoir_target
            lp.update_rhs("reservoir_target", target)
        if fuel_allowance is not None and "fuel_budget" in lp.constraints:
            lp.update_rhs("fuel_budget", d.alpha * fuel_allowance)
        allowance = limit_allowance or {}
        for row in self.limit_rows:
            # the CO2 row reads alpha x the window's tonnes (as the annual cap does); the share row MWh
            value = allowance.get(row, np.inf)
            lp.update_rhs(row, d.alpha * value if row == "co2_cap" else value)
        if import_price is not None and "grid_import" in lp.variables:
            lp.update_costs("grid_import", d.alpha * import_price)
            lp.update_costs("grid_export", -d.alpha * export_price)
        if derate is not None:
            self._derate(derate)

    def _derate(self, derate: Mapping[str, np.ndarray]) -> None:
        """Per-hour upper bounds for assets on forced outage: ``derate`` holds the available share [-] of
        storage (unit, hour), links (link, hour) and the grid connection (hour,); exact because the
        capacities are fixed."""
        lp, d, fleet = self.model.lp, self.d, self.fleet
        if "storage" in derate and d.sto_labels:
            f = np.asarray(derate["storage"], dtype=float)
            charge_cap = np.where(d.sto_separate_charge, fleet.charge, fleet.power)
            lp.update_bounds("discharge", upper=f * fleet.power[:, None])
            lp.update_bounds("charge", upper=f * charge_cap[:, None])
        if "link" in derate and d.link_labels:
            f = np.asarray(derate["link"], dtype=float)
            lp.update_bounds("flow_forward", upper=f * fleet.link[:, None])
            lp.update_bounds("flow_backward", upper=f * fleet.link[:, None])
        if "grid" in derate and "grid_import" in lp.variables:
            f = np.asarray(derate["grid"], dtype=float)
            lp.update_bounds("grid_import", upper=f * d.import_max)
            lp.update_bounds("grid_export", upper=f * d.export_max)

    def shortfall(self, solution: Solution) -> float:
        """Terminal-target shortfall of a window's solution, storage and reservoirs together [MWh]."""
        lp = self.model.lp
        names = [n for n in ("storage_shortfall", "reservoir_shortfall") if n in lp.variables]
        return float(sum(lp.variable_values(n, solution.x).sum() for n in names))

    def limit_excess(self, solution: Solution) -> dict[str, float]:
        """How far a window's solution exceeds its allowance of each annual limit it keeps [MWh, t CO2]."""
        lp, d = self.model.lp, self.d
        out = {}
        for row in self.limit_rows:
            value = float(lp.variable_values(f"{row}_excess", solution.x).sum())
            out[row] = value / d.alpha if row == "co2_cap" else value
        return out

    def solve(self, what: str) -> Solution:
        """Solve the window; an infeasible one raises :class:`InfeasibleError` with its cause where the
        minimum releases explain it (:meth:`release_shortfalls`)."""
        try:
            return require_optimal(self.solver.solve(), what=what)
        except InfeasibleError:
            causes = self.release_shortfalls()
            if not causes:
                raise
            raise InfeasibleError(f"{what} is infeasible:\n  " + "\n  ".join(causes)) from None

    def release_shortfalls(self) -> list[str]:
        """Why the last window cannot be met by its reservoirs: the only hard rows of the window LP are the
        minimum releases (load may be shed, store floors are soft), and a reservoir can release by hour t at
        most its initial level plus its inflow until then (spill is free), so a cumulative minimum release
        above that cannot be met. One message per reservoir, at its first such hour."""
        if self._window is None or not self.d.res_gen.size:
            return []
        forecast, reservoir0 = self._window
        d = self.d
        inflow = _res_values(d, forecast, "inflow")
        release = _res_values(d, forecast, "min_release")
        time = pd.DatetimeIndex(forecast.indexes["time"])
        out = []
        for r, g in enumerate(d.res_gen):
            short = np.cumsum(release[r]) - (reservoir0[r] + np.cumsum(inflow[r]))
            bad = np.flatnonzero(short > 1e-6)
            if bad.size:
                t = int(bad[0])
                label = d.gen_labels[g]
                out.append(
                    f"min_release:{label} [MW]: {label} must release {np.sum(release[r, : t + 1]):,.1f} MWh by "
                    f"{time[t]:%Y-%m-%d %H:%M} UTC, but it holds {reservoir0[r]:,.1f} MWh and its inflow "
                    f"until then is {np.sum(inflow[r, : t + 1]):,.1f} MWh (short by {short[t]:,.1f} MWh); lower "
                    "the minimum release, or give the reservoir's level in the state"
                )
        return out

    def schedule(self, solution: Solution, hours: int) -> dict[str, np.ndarray]:
        """The first ``hours`` hours of a window's solution, by block (unit, hour)."""
        lp, d = self.model.lp, self.d
        x = solution.x
        out: dict[str, np.ndarray] = {}
        for name in (
            "dispatch",
            "spill",
            "reservoir_level",
            "charge",
            "discharge",
            "storage_level",
            "flow_forward",
            "flow_backward",
            "grid_import",
            "grid_export",
            "unserved",
        ):
            if name in lp.variables:
                out[name] = lp.variable_values(name, x)[..., :hours]
        out["price"] = lp.constraint_duals("balance", solution.y)[:, :hours] / d.alpha
        return out

    def close(self) -> None:
        self.solver.close()


def check_forecast(window, start_time, horizon: int, actual: xr.Dataset) -> xr.Dataset:
    if not isinstance(window, xr.Dataset):
        raise ForecastError(f"the forecast model returned {type(window).__name__}, not an xarray Dataset")
    missing = [v for v in FORECAST_VARIABLES if v not in window]
    if missing:
        raise ForecastError(f"forecast from {start_time}: variables {missing} are missing")
    if window.sizes.get("time", 0) < horizon:
        raise ForecastError(
            f"forecast from {start_time} covers {window.sizes.get('time', 0)} hours, but the horizon is "
            f"{horizon} hours; give forecasts for every hour of the window"
        )
    window = window.isel(time=slice(0, horizon))
    for dim in ("node", "technology"):
        if list(window[dim].values) != list(actual[dim].values):
            raise ForecastError(f"forecast from {start_time}: its {dim}s differ from the zone's profiles")
    for name in FORECAST_VARIABLES:
        values = window[name].values
        if not np.isfinite(values).all() or (values < 0).any():
            raise ForecastError(
                f"forecast from {start_time}: {name} has missing, infinite or negative values"
            )
    if float(window["capacity_factor"].max()) > 1.0 + 1e-9:
        raise ForecastError(f"forecast from {start_time}: capacity factors must lie in 0 … 1")
    return window


def unit_series(da: xr.DataArray, labels: list[str], dim: str) -> np.ndarray:
    """(unit, time) values of a Plan's (time, node, dim) variable."""
    out = np.zeros((len(labels), da.sizes["time"]))
    for u, label in enumerate(labels):
        node, tech = label.split("/", 1)
        out[u] = da.sel(node=node, **{dim: tech}).values
    return out
