"""Rolling-horizon operation of a built zone from forecasts, on one persistent HiGHS model.

``operate(zone, capacities, profiles, forecast=..., horizon=48, step=24)`` dispatches the zone window by
window, as an operator would, without knowing the future:

1. **One window LP, built once.** The planning formulation on ``horizon`` hours with ``cyclic=False``
   (docs/formulation.md): every capacity is fixed through its bounds (lower = upper = the planned capacity),
   the storage and reservoir balances start from an initial level that enters the first rows' right-hand
   sides, and the availability rows are built with a capacity factor of 1 (p ≤ P). The forecast's capacity
   factors then enter as dispatch upper bounds cf·P (exact, since P is fixed), demand as the balance's
   right-hand side and the unserved load's upper bound, inflows and minimum releases as right-hand sides.
   Each window changes only bounds, right-hand sides (and, for hourly grid prices, costs) in the live HiGHS
   model, which warm-starts from the previous basis (dual simplex). Nothing is rebuilt.
2. **Annual limits.** A fuel budget B [MWh/yr] allows B·T/8760 over the T hours operated; each window may
   use the budget still left times the plan's own dispatch in the window's hours over the plan's dispatch
   in all hours still to come (pro rata to the plan; uniform where the plan has no dispatch). The renewable
   share and CO2 cap are not enforced in operation, only reported; nor are the land, duration and reserve
   rows (the capacities are given).
3. **End-of-window value of stored energy: a terminal level target.** With ``terminal="plan"`` every
   storage unit and reservoir should end the window at least at the plan's level in that hour (the plan's
   cyclic optimum carries the seasonal strategy); ``"initial"``: at least at the level the operation began
   with; ``"none"``: no target. In every mode the operation's last hour must end at least at the initial
   level (the issue's "the last window ends with storage at least as full as the first began"). A target is
   soft: a shortfall costs half the value of lost load per MWh, so the window LP is always feasible and
   never sheds load to fill a store.
4. **Commit and settle.** The first ``step`` hours of the window are committed, then settled hour by hour
   against the actual weather and demand with a one-hour LP that keeps the committed schedule and lets the
   difference be absorbed, in this order of preference (penalty per MW of deviation from the schedule):
   using renewable output that was curtailed (0.1), storage charging or discharging more or less (1 each),
   links (0.5 per direction), the national grid (3 per direction), dispatchable output lowered (4; never
   raised above its schedule), renewables curtailed beyond the schedule (6), and last unserved load
   (1,000). Every limit holds: generators within the actual cf·P (reservoirs within the water there is),
   storage within its power and energy, links and grid within their capacity, and the balance closes in
   every hour. Settled storage and reservoir levels are carried into the next window. (Charging and
   discharging a lossy store in the same hour also disposes of a surplus; the penalties make that dearer than
   curtailing for round-trip efficiencies above 5/7 ≈ 0.71, but not for hydrogen.)

In operation load can always be shed, at the value of lost load, whatever ``policy.allow_unserved`` says
(that policy shapes the plan; the weather does not ask for permission).

The result, an Operation, has the variables of a Plan (:mod:`greenzone.planning`) on the operated hours,
computed from the settled values (``price`` is the window LP's balance dual of the committed hour), plus
``forecast_error`` (time, node) [MW], the net-load error of the committed hours (forecast minus actual demand,
minus forecast minus actual renewable availability cf·P), the committed schedule (``committed_*``), the
per-window solver record (``window_*``) and the forecast's skill (``forecast_skill``, nRMSE by lead time).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import GreenzoneError
from greenzone.operate.forecast import FORECAST_VARIABLES, forecast_skill, make_forecast
from greenzone.optimize.formulation import Model, build_model
from greenzone.optimize.formulation.data import CF_THRESHOLD
from greenzone.optimize.numerics import clean_small_coefficients
from greenzone.optimize.solve import (
    IterationCounts,
    PersistentSolver,
    Solution,
    SolverOptions,
    Status,
    require_optimal,
)
from greenzone.planning import plan_dataset
from greenzone.zone.schema import STORAGE_KINDS, VARIABLE_KINDS, Zone

__all__ = [
    "ForecastError",
    "OperationModel",
    "existing_capacities",
    "fix_capacities",
    "initial_state",
    "operate",
    "operating_cost",
]

TERMINAL_MODES = ("plan", "initial", "none")
SHORTFALL_SHARE_OF_VOLL = 0.5
"""A terminal-level shortfall costs this share of the value of lost load per MWh."""

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


class ForecastError(GreenzoneError, ValueError):
    """A forecast or an operating state is missing, too short, malformed or names unknown units."""

    exit_code = 2


# --------------------------------------------------------------------------------------------- capacities
def existing_capacities(zone: Zone) -> xr.Dataset:
    """The zone's capacity in service, shaped like a Plan's capacity variables (no dispatch)."""
    nodes, techs, stores = zone.node_ids, list(zone.generator_ids), list(zone.storage_ids)
    cap = np.zeros((len(nodes), len(techs)))
    power = np.zeros((len(nodes), len(stores)))
    charge = np.zeros_like(power)
    energy = np.zeros_like(power)
    for i, node in enumerate(zone.nodes):
        for tech_id, nt in node.technologies.items():
            spec = zone.technologies[tech_id]
            if spec.kind in STORAGE_KINDS:
                k = stores.index(tech_id)
                power[i, k] = nt.existing_mw
                charge[i, k] = nt.existing_charge_mw if spec.separate_charge_rating else nt.existing_mw
                energy[i, k] = nt.existing_energy_mwh
            else:
                cap[i, techs.index(tech_id)] = nt.existing_mw
    links = [link.name for link in zone.links]
    return xr.Dataset(
        {
            "capacity": (("node", "technology"), cap, {"units": "MW"}),
            "storage_discharge_capacity": (("node", "storage"), power, {"units": "MW"}),
            "storage_charge_capacity": (("node", "storage"), charge, {"units": "MW"}),
            "storage_energy": (("node", "storage"), energy, {"units": "MWh"}),
            "link_capacity": (
                ("link",),
                np.array([link.existing_mw for link in zone.links]),
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


def _fix_capacities(lp, fleet: _Fleet) -> None:
    lp.update_bounds("capacity", lower=fleet.gen, upper=fleet.gen)
    if "storage_power" in lp.variables:
        lp.update_bounds("storage_power", lower=fleet.power, upper=fleet.power)
        lp.update_bounds("storage_charge_power", lower=fleet.charge, upper=fleet.charge)
        lp.update_bounds("storage_energy", lower=fleet.energy, upper=fleet.energy)
    if "link_capacity" in lp.variables:
        lp.update_bounds("link_capacity", lower=fleet.link, upper=fleet.link)
    for name in ("renewable_share", "co2_cap", "land", "max_duration"):
        if name in lp.constraints:
            lp.update_rhs(name, np.inf)
    if "reserve" in lp.constraints:
        lp.update_rhs("reserve", -np.inf)


def fix_capacities(model: Model, capacities: xr.Dataset) -> None:
    """Fix a built model's capacities at ``capacities`` (a Plan or :func:`existing_capacities`) and drop the
    planning-only rows (renewable share, CO2 cap, land, duration, reserve) and any ban on unserved load, as
    operation does: what is left is the dispatch of a given fleet. Usable as ``plan(extra_constraints=...)``."""
    _fix_capacities(model.lp, _Fleet(model.data, capacities))
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
        self.solver = PersistentSolver(lp, options or SolverOptions(method="dual_simplex"))

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

    def set_window(
        self,
        forecast: xr.Dataset,
        storage0: np.ndarray,
        reservoir0: np.ndarray,
        *,
        storage_target: np.ndarray | None = None,
        reservoir_target: np.ndarray | None = None,
        fuel_allowance: np.ndarray | None = None,
        import_price: np.ndarray | None = None,
        export_price: np.ndarray | None = None,
        derate: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Put one window's forecast and state into the live model: bounds and right-hand sides only.

        ``*_target`` are (unit, hour) floors (−inf where none) [MWh]; ``fuel_allowance`` the MWh each
        fuel-limited generator may use in the window; prices (hour,) [USD/MWh] where they vary by hour;
        ``derate`` the available share [-] of storage, links and the grid connection by hour (forced
        outages; see :meth:`_derate`)."""
        lp, d, fleet = self.model.lp, self.d, self.fleet
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

    def solve(self, what: str) -> Solution:
        return require_optimal(self.solver.solve(), what=what)

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


class _Settlement:
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


# -------------------------------------------------------------------------------------------- operation
def _extended(actual: xr.Dataset, extra: int) -> xr.Dataset:
    """``actual`` followed by its first ``extra`` hours again (the year seen as cyclic, as the planner does),
    with the time labels continuing hourly."""
    if extra <= 0:
        return actual
    n = actual.sizes["time"]
    idx = np.arange(n + extra) % n
    out = actual.isel(time=idx)
    time = pd.DatetimeIndex(actual.indexes["time"])
    labels = pd.date_range(time[0], periods=n + extra, freq="h")
    return out.assign_coords(time=labels)


def _check_forecast(window, start_time, horizon: int, actual: xr.Dataset) -> xr.Dataset:
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


def _plan_hourly(capacities: xr.Dataset, name: str, time: pd.DatetimeIndex) -> xr.DataArray | None:
    if name in capacities and "time" in capacities[name].dims:
        if capacities.sizes["time"] == len(time) and np.array_equal(
            pd.DatetimeIndex(capacities.indexes["time"]), time
        ):
            return capacities[name]
    return None


def _by_unit(da: xr.DataArray, labels: list[str], dim: str) -> np.ndarray:
    """(unit, time) values of a Plan's (time, node, dim) variable."""
    out = np.zeros((len(labels), da.sizes["time"]))
    for u, label in enumerate(labels):
        node, tech = label.split("/", 1)
        out[u] = da.sel(node=node, **{dim: tech}).values
    return out


def operate(
    zone: Zone,
    capacities: xr.Dataset,
    profiles: xr.Dataset,
    *,
    forecast: str | Callable = "perfect",
    horizon: int = 48,
    step: int = 24,
    seed: int = 0,
    terminal: str | None = None,
    state: Mapping[str, float] | None = None,
    options: SolverOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    availability: xr.Dataset | None = None,
) -> xr.Dataset:
    """Operate ``zone`` with fixed ``capacities`` over ``profiles`` in rolling windows (module docstring).

    Parameters
    ----------
    capacities : a Plan (:func:`greenzone.plan`) or :func:`existing_capacities`. A Plan on the same hours as
        ``profiles`` also gives the initial levels, the terminal targets and the split of fuel budgets.
    profiles : the actual hourly profiles (:func:`greenzone.profiles`).
    forecast : "perfect", "persistence", "climatology", "noisy", or a model ``(actual, start, horizon) ->
        Dataset`` (see :mod:`greenzone.operate.forecast`).
    horizon, step : hours per window LP, and hours committed per window (1 ≤ step ≤ horizon).
    seed : seed of the noisy forecast.
    terminal : "plan", "initial" or "none" (see the module docstring); default "plan" when the capacities are
        a Plan on the same hours, else "initial".
    state : initial levels by unit label "node/technology" [MWh]; default the plan's or half full.
    options : solver options of the window LP (default dual simplex, which warm-starts).
    progress : called with (windows done, windows in all) after every window.
    availability : share of each asset's capacity in service by hour [-] (forced outages, from
        :func:`greenzone.adequacy.outages.sample_availability`): ``generator_availability`` (node,
        technology, time), ``storage_availability`` (node, storage, time), ``link_availability`` (link,
        time), ``grid_availability`` (time). Only with the perfect forecast: the
        dispatch knows the outages, as in an adequacy study.

    With the perfect forecast the committed schedule is already feasible against the actual hours, so it is
    taken as settled without the hour-by-hour settlement LP.
    """
    horizon, step = int(horizon), int(step)
    if horizon < 1 or not 1 <= step <= horizon:
        raise ForecastError(f"need 1 ≤ step ≤ horizon, got horizon {horizon} and step {step}")
    time = pd.DatetimeIndex(profiles.indexes["time"])
    n_t = len(time)
    if n_t == 0:
        raise ForecastError("the profiles have no hours to operate")
    model = (
        make_forecast(forecast, seed=seed, timezone=zone.timezone) if isinstance(forecast, str) else forecast
    )
    name = getattr(model, "name", type(model).__name__)
    perfect = isinstance(forecast, str) and forecast == "perfect"
    if availability is not None:
        if not perfect:
            raise ForecastError(
                "forced outages (availability) can only be dispatched with forecast='perfect'"
            )
        profiles = _with_availability(profiles, availability)
    if terminal is None:
        terminal = "plan" if _plan_hourly(capacities, "storage_level", time) is not None else "initial"
    if terminal not in TERMINAL_MODES:
        raise ForecastError(f"terminal must be one of {TERMINAL_MODES}, got {terminal!r}")
    starts = list(range(0, n_t, step))
    actual_ext = _extended(profiles, starts[-1] + horizon - n_t)
    op = OperationModel(zone, capacities, actual_ext, horizon, options=options)
    d = op.d
    settlement = None if perfect else _Settlement(zone, capacities, profiles)
    derates = None if availability is None else _derate_by_unit(d, availability)
    storage0, reservoir0 = initial_state(d, capacities, state)
    start_storage, start_reservoir = storage0.copy(), reservoir0.copy()
    res_labels = [d.gen_labels[g] for g in d.res_gen]

    # plan trajectories (terminal targets, fuel split)
    plan_sto = _plan_hourly(capacities, "storage_level", time)
    plan_res = _plan_hourly(capacities, "reservoir_level", time)
    plan_dispatch = _plan_hourly(capacities, "dispatch", time)
    if terminal == "plan" and plan_sto is None:
        raise ForecastError("terminal='plan' needs a Plan on the same hours as the profiles")
    plan_sto = _by_unit(plan_sto, d.sto_labels, "storage") if plan_sto is not None else None
    plan_res = _by_unit(plan_res, res_labels, "technology") if plan_res is not None else None
    limited = np.flatnonzero(np.isfinite(d.fuel_budget))
    if limited.size:
        if plan_dispatch is not None:
            pd_units = _by_unit(plan_dispatch, [d.gen_labels[g] for g in limited], "technology")
        else:
            pd_units = np.ones((limited.size, n_t))
        budget_left = d.fuel_budget[limited] * n_t / 8760.0
    full_fuel = np.full(len(d.gen_labels), np.inf)

    grid_prices = None
    if d.grid_node is not None:
        from greenzone.resources.series import hourly_price

        g = zone.grid
        ext_time = pd.DatetimeIndex(actual_ext.indexes["time"])
        imp = hourly_price(
            g.import_price_usd_per_mwh, ext_time, zone.timezone, "grid.import_price_usd_per_mwh"
        )
        exp = hourly_price(
            g.export_price_usd_per_mwh, ext_time, zone.timezone, "grid.export_price_usd_per_mwh"
        )
        if np.ptp(imp) > 0 or np.ptp(exp) > 0:
            grid_prices = (imp, exp)
        import_hourly, export_hourly = imp[:n_t], exp[:n_t]
    else:
        import_hourly = export_hourly = np.zeros(n_t)

    n_g, n_s, n_r, n_l, n_n = (
        len(d.gen_labels),
        len(d.sto_labels),
        len(res_labels),
        len(d.link_labels),
        len(d.nodes),
    )
    rec = {
        "dispatch": np.zeros((n_g, n_t)),
        "spill": np.zeros((n_r, n_t)),
        "reservoir_level": np.zeros((n_r, n_t)),
        "charge": np.zeros((n_s, n_t)),
        "discharge": np.zeros((n_s, n_t)),
        "storage_level": np.zeros((n_s, n_t)),
        "flow_forward": np.zeros((n_l, n_t)),
        "flow_backward": np.zeros((n_l, n_t)),
        "grid_import": np.zeros(n_t),
        "grid_export": np.zeros(n_t),
        "unserved": np.zeros((n_n, n_t)),
    }
    committed = {key: np.zeros_like(value) for key, value in rec.items()}
    price = np.zeros((n_n, n_t))
    forecast_error = np.zeros((n_n, n_t))
    win = {k: [] for k in ("start", "iterations", "solve_s", "settle_s", "objective", "shortfall")}
    variable = np.array([k in VARIABLE_KINDS for k in d.gen_kind])
    t_begin = _time.perf_counter()
    for w_index, start in enumerate(starts):
        t0 = _time.perf_counter()
        start_time = pd.Timestamp(actual_ext.indexes["time"][start])
        fc = _check_forecast(model(actual_ext, start, horizon), start_time, horizon, profiles)
        if start + horizon > n_t:
            # past the last operated hour nothing is to be served: the stores' worth there is the floor at the
            # last hour, not the next year's demand read cyclically (which would draw water away from it)
            fc = fc.copy(deep=True)
            fc["demand"][{"time": slice(n_t - start, None)}] = 0.0
        hours = np.arange(start, start + horizon)
        sto_target = res_target = None
        if n_s or n_r:
            sto_target = np.full((n_s, horizon), -np.inf)
            res_target = np.full((n_r, horizon), -np.inf)
            if terminal == "plan":
                sto_target[:, -1] = plan_sto[:, hours[-1] % n_t]
                if plan_res is not None:
                    res_target[:, -1] = plan_res[:, hours[-1] % n_t]
            elif terminal == "initial":
                sto_target[:, -1] = start_storage
                res_target[:, -1] = start_reservoir
            if start <= n_t - 1 < start + horizon:
                # the year ends inside this window: its floor is the one that counts; a second floor at the
                # window's end would charge a release before both twice, as much as shedding load
                k = n_t - 1 - start
                sto_target[:, k] = np.maximum(sto_target[:, k], start_storage)
                res_target[:, k] = np.maximum(res_target[:, k], start_reservoir)
                sto_target[:, k + 1 :] = -np.inf
                res_target[:, k + 1 :] = -np.inf
        allowance = None
        if limited.size:
            allowance = full_fuel.copy()
            rest = pd_units[:, start:].sum(axis=1)
            in_window = (
                pd_units[:, hours % n_t].sum(axis=1)
                if start + horizon <= n_t
                else pd_units[:, start:].sum(axis=1)
            )
            share = np.divide(in_window, rest, out=np.ones_like(rest), where=rest > 0)
            allowance = np.maximum(budget_left, 0.0) * np.minimum(share, 1.0)
        prices = (grid_prices[0][hours], grid_prices[1][hours]) if grid_prices is not None else (None, None)
        op.set_window(
            fc,
            storage0,
            reservoir0,
            storage_target=sto_target if n_s else None,
            reservoir_target=res_target if n_r else None,
            fuel_allowance=allowance,
            import_price=prices[0],
            export_price=prices[1],
            derate=None if derates is None else {k: v[..., hours % n_t] for k, v in derates.items()},
        )
        solution = op.solve(f"the operation window starting {start_time}")
        t1 = _time.perf_counter()
        n_commit = min(step, n_t - start)
        plan_part = op.schedule(solution, n_commit)
        sl = slice(start, start + n_commit)
        for key in rec:
            if key in plan_part:
                committed[key][..., sl] = plan_part[key]
        price[:, sl] = plan_part["price"]
        # net-load forecast error of the committed hours
        fc_cf = _gen_cf(d, fc)[:, :n_commit]
        ac_cf = _gen_cf(d, profiles.isel(time=sl))
        avail_err = np.zeros((n_n, n_commit))
        for g in np.flatnonzero(variable):
            avail_err[d.gen_node[g]] += (fc_cf[g] - ac_cf[g]) * op.fleet.gen[g]
        demand_err = (
            fc["demand"].transpose("node", "time").values[:, :n_commit]
            - profiles["demand"].transpose("node", "time").values[:, sl]
        )
        forecast_error[:, sl] = demand_err - avail_err
        if settlement is None:  # perfect forecast: the schedule is what happens
            for key in rec:
                if key in plan_part:
                    rec[key][..., sl] = plan_part[key]
            if n_s:
                storage0 = np.clip(plan_part["storage_level"][:, n_commit - 1], 0.0, op.fleet.energy)
            if n_r:
                reservoir0 = np.clip(plan_part["reservoir_level"][:, n_commit - 1], 0.0, d.res_storage)
        # settle hour by hour
        for h in range(n_commit if settlement is not None else 0):
            t = start + h
            hour_commit = {key: np.asarray(value)[..., h : h + 1] for key, value in plan_part.items()}
            if "grid_import" in hour_commit:
                hour_commit["grid_import"] = hour_commit["grid_import"].reshape(1)
                hour_commit["grid_export"] = hour_commit["grid_export"].reshape(1)
            settled, _ = settlement.settle(
                hour_commit,
                profiles.isel(time=slice(t, t + 1)),
                storage0,
                reservoir0,
                f"the settlement of {time[t]}",
            )
            for key, value in settled.items():
                rec[key][..., t] = np.asarray(value).reshape(rec[key][..., t].shape)
            if n_s:
                storage0 = np.clip(settled["storage_level"][:, 0], 0.0, op.fleet.energy)
            if n_r:
                reservoir0 = np.clip(settled["reservoir_level"][:, 0], 0.0, d.res_storage)
        if limited.size:
            budget_left = budget_left - rec["dispatch"][limited, sl].sum(axis=1)
        t2 = _time.perf_counter()
        win["start"].append(start_time)
        win["iterations"].append(solution.iterations.total)
        win["solve_s"].append(t1 - t0)
        win["settle_s"].append(t2 - t1)
        win["objective"].append(solution.objective)
        win["shortfall"].append(op.shortfall(solution))
        if progress is not None:
            progress(w_index + 1, len(starts))
    total_s = _time.perf_counter() - t_begin
    op.close()
    if settlement is not None:
        settlement.close()
    result = _operation_dataset(
        zone, capacities, profiles, rec, committed, price, forecast_error, total_s, win
    )
    result["import_price_hourly"] = xr.Variable(("time",), import_hourly, {"units": "USD/MWh"})
    result["export_price_hourly"] = xr.Variable(("time",), export_hourly, {"units": "USD/MWh"})
    result.attrs.update(
        {
            "title": f"greenzone operation: {zone.name}",
            "forecast": name,
            "forecast_seed": int(seed),
            "horizon_h": horizon,
            "step_h": step,
            "terminal": terminal,
            "windows": len(starts),
            "operating_cost_usd": operating_cost(result),
            "run_time_s": total_s,
        }
    )
    if name != "perfect" and n_t >= horizon:
        skill = forecast_skill(model, profiles, horizon=horizon, step=step)
        result["forecast_skill"] = xr.Variable(
            ("lead_h", "forecast_quantity"),
            skill.to_numpy(),
            {"units": "1", "long_name": "nRMSE by lead time"},
        )
        result = result.assign_coords(lead_h=skill.index.to_numpy(), forecast_quantity=list(skill.columns))
        for column in skill.columns:
            key = column.replace(":", "_")
            result.attrs[f"forecast_nrmse_lead1_{key}"] = float(skill[column].iloc[0])
            result.attrs[f"forecast_nrmse_lead{horizon}_{key}"] = float(skill[column].iloc[-1])
    return result


def _with_availability(profiles: xr.Dataset, availability: xr.Dataset) -> xr.Dataset:
    """``profiles`` with every capacity factor times the generator's available share."""
    if "generator_availability" not in availability:
        raise ForecastError(
            "availability: variable 'generator_availability' (node, technology, time) is missing"
        )
    share = availability["generator_availability"]
    cf = profiles["capacity_factor"]
    if share.sizes.get("time") != cf.sizes["time"] or not np.array_equal(
        pd.DatetimeIndex(share.indexes["time"]), pd.DatetimeIndex(cf.indexes["time"])
    ):
        raise ForecastError("availability: its hours differ from the profiles' hours")
    try:
        share = share.sel(node=cf["node"].values, technology=cf["technology"].values)
    except KeyError:
        raise ForecastError("availability: its nodes or technologies differ from the zone's") from None
    out = profiles.copy()
    out["capacity_factor"] = (cf * share.transpose(*cf.dims).values).clip(0.0, 1.0)
    return out


def _derate_by_unit(d, availability: xr.Dataset) -> dict[str, np.ndarray]:
    """Available shares [-] of storage units, links and the grid connection in the model's unit order."""
    out: dict[str, np.ndarray] = {}
    if "storage_availability" in availability and d.sto_labels:
        share = availability["storage_availability"].transpose("time", ...)
        out["storage"] = _by_unit(share, d.sto_labels, "storage")
    if "link_availability" in availability and d.link_labels:
        share = availability["link_availability"]
        out["link"] = np.stack([share.sel(link=name).values.astype(float) for name in d.link_labels])
    if "grid_availability" in availability:
        out["grid"] = availability["grid_availability"].values.astype(float)
    return out


def operating_cost(operation: xr.Dataset) -> float:
    """Variable and fuel cost + imports − exports + value of lost load over the operated hours [USD]."""
    cost = float(operation["cost"].sel(component="variable").sum()) / float(operation.attrs["alpha"])
    cost += float((operation["grid_import"] * operation["import_price_hourly"]).sum())
    cost -= float((operation["grid_export"] * operation["export_price_hourly"]).sum())
    cost += float(operation["unserved"].sum()) * float(operation.attrs["value_of_lost_load_usd_per_mwh"])
    return cost


def _operation_dataset(
    zone, capacities, profiles, rec, committed, price, forecast_error, total_s, win
) -> xr.Dataset:
    """The settled values as a Plan-shaped Dataset (through :func:`greenzone.planning.plan_dataset`)."""
    full = build_model(zone, profiles, cyclic=False)
    lp, d = full.lp, full.data
    fleet = _Fleet(d, capacities)
    x = np.zeros(lp.num_variables)

    def put(name, values):
        if name in lp.variables:
            block = lp.variable_block(name)
            x[block.offset : block.offset + block.size] = np.asarray(values, dtype=float).reshape(-1)

    put("capacity", fleet.gen)
    put("storage_power", fleet.power)
    put("storage_charge_power", fleet.charge)
    put("storage_energy", fleet.energy)
    put("link_capacity", fleet.link)
    for name, values in rec.items():
        put(name, values)
    y = np.zeros(lp.num_constraints)
    balance = lp.constraint_block("balance")
    y[balance.offset : balance.offset + balance.size] = (price * d.alpha).reshape(-1)
    objective = float(lp.col_cost @ x + lp.objective_constant)
    solution = Solution(
        Status.OPTIMAL,
        objective,
        x,
        y,
        np.zeros(lp.num_variables),
        solver="highs",
        solver_version="",
        method="dual_simplex",
        run_time_s=total_s,
        iterations=IterationCounts(simplex=int(sum(win["iterations"]))),
        message="rolling-horizon operation",
    )
    ds = plan_dataset(full, solution, profiles)
    nodes, techs, stores = d.nodes, list(zone.generator_ids), list(zone.storage_ids)
    from greenzone.planning import _to_grid

    res_labels = [d.gen_labels[g] for g in d.res_gen]
    spec = {
        "committed_dispatch": ("dispatch", d.gen_labels, techs, ("time", "node", "technology"), "MW"),
        "committed_storage_charge": ("charge", d.sto_labels, stores, ("time", "node", "storage"), "MW"),
        "committed_storage_discharge": ("discharge", d.sto_labels, stores, ("time", "node", "storage"), "MW"),
        "committed_storage_level": (
            "storage_level",
            d.sto_labels,
            stores,
            ("time", "node", "storage"),
            "MWh",
        ),
        "committed_reservoir_level": (
            "reservoir_level",
            res_labels,
            techs,
            ("time", "node", "technology"),
            "MWh",
        ),
    }
    for var, (key, labels, units_of, dims, unit) in spec.items():
        ds[var] = xr.Variable(
            dims, _to_grid(committed[key], labels, nodes, units_of, time=True), {"units": unit}
        )
    ds["committed_flow"] = xr.Variable(
        ("time", "link"), (committed["flow_forward"] - committed["flow_backward"]).T, {"units": "MW"}
    )
    ds["committed_grid_import"] = xr.Variable(("time",), committed["grid_import"], {"units": "MW"})
    ds["committed_grid_export"] = xr.Variable(("time",), committed["grid_export"], {"units": "MW"})
    ds["committed_unserved"] = xr.Variable(("time", "node"), committed["unserved"].T, {"units": "MW"})
    ds["forecast_error"] = xr.Variable(
        ("time", "node"),
        forecast_error.T,
        {
            "units": "MW",
            "long_name": "net-load forecast error (forecast − actual demand − renewable availability)",
        },
    )
    ds = ds.assign_coords(window=np.arange(len(win["start"])))
    ds["window_start"] = xr.Variable(("window",), pd.DatetimeIndex(win["start"]).values)
    ds["window_iterations"] = xr.Variable(("window",), np.array(win["iterations"]), {"units": "1"})
    ds["window_solve_s"] = xr.Variable(("window",), np.array(win["solve_s"]), {"units": "s"})
    ds["window_settle_s"] = xr.Variable(("window",), np.array(win["settle_s"]), {"units": "s"})
    ds["window_objective"] = xr.Variable(("window",), np.array(win["objective"]), {"units": "USD/yr"})
    ds["window_terminal_shortfall"] = xr.Variable(
        ("window",),
        np.array(win["shortfall"]),
        {"units": "MWh", "long_name": "terminal level target missed by the window's schedule"},
    )
    return ds
