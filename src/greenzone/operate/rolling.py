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
   in all hours still to come (pro rata to the plan; uniform where the plan has no dispatch).
   With ``hold_limits=True`` the renewable share and the CO2 cap are kept the same way: what the year may
   use of each (fossil output, non-renewable imports and (1 − R) × unserved load [MWh] under the share;
   tonnes under the cap, cap·T/8760) is handed to the windows pro rata to the plan's own use of it in their
   hours, and what a window's committed hours used is taken off; a window that cannot stay within its
   allowance exceeds it at the value of lost load per unit (recorded as ``limit_excess_*``). Otherwise they
   are not enforced in operation, only reported. Land, duration and reserve rows are not (the capacities
   are given).
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

The result, an Operation, has the variables of a Plan (:mod:`greenzone.planning.year`) on the operated hours,
computed from the settled values (``price`` is the window LP's balance dual of the committed hour), plus
``forecast_error`` (time, node) [MW], the net-load error of the committed hours (forecast minus actual demand,
minus forecast minus actual renewable availability cf·P), the committed schedule (``committed_*``), the
per-window solver record (``window_*``) and the forecast's skill (``forecast_skill``, nRMSE by lead time).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.operate.forecast import forecast_skill, make_forecast
from greenzone.operate.limits import LimitGuidance
from greenzone.operate.results import hourly_grid_prices, operating_cost, operation_dataset
from greenzone.operate.settle import SETTLEMENT_WEIGHTS, Settlement, net_load_error, settle_hours
from greenzone.operate.window import (
    SHORTFALL_SHARE_OF_VOLL,
    ForecastError,
    OperationModel,
    check_forecast,
    existing_capacities,
    fix_capacities,
    initial_state,
    unit_series,
)
from greenzone.optimize.solve import SolverOptions
from greenzone.zone.schema import Zone

__all__ = [
    "SETTLEMENT_WEIGHTS",
    "SHORTFALL_SHARE_OF_VOLL",
    "ForecastError",
    "OperationModel",
    "existing_capacities",
    "fix_capacities",
    "initial_state",
    "operate",
    "operating_cost",
]

TERMINAL_MODES = ("plan", "initial", "none")


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


def _plan_hourly(capacities: xr.Dataset, name: str, time: pd.DatetimeIndex) -> xr.DataArray | None:
    if name in capacities and "time" in capacities[name].dims:
        if capacities.sizes["time"] == len(time) and np.array_equal(
            pd.DatetimeIndex(capacities.indexes["time"]), time
        ):
            return capacities[name]
    return None


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
    hold_limits: bool = False,
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
    hold_limits : keep the zone's renewable share and CO2 cap over the operated hours, each window allowed
        the plan's share of what is left (module docstring, point 2).

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
    settlement = None if perfect else Settlement(zone, capacities, profiles)
    derates = None if availability is None else _derate_by_unit(d, availability)
    storage0, reservoir0 = initial_state(d, capacities, state)
    guide = _Guidance.of(capacities, time, d, terminal, storage0, reservoir0)
    limits = LimitGuidance.of(
        zone, _plan_hourly(capacities, "dispatch", time), capacities, profiles, d, hold_limits
    )
    grid_prices, import_hourly, export_hourly = hourly_grid_prices(zone, d, actual_ext, n_t)
    rec = _record(d, n_t)
    committed = {key: np.zeros_like(value) for key, value in rec.items()}
    price = np.zeros((len(d.nodes), n_t))
    forecast_error = np.zeros((len(d.nodes), n_t))
    win = {k: [] for k in ("start", "iterations", "solve_s", "settle_s", "objective", "shortfall")}
    t_begin = _time.perf_counter()
    for w_index, start in enumerate(starts):
        t0 = _time.perf_counter()
        start_time = pd.Timestamp(actual_ext.indexes["time"][start])
        fc = _forecast_step(model, actual_ext, profiles, start, horizon)
        hours = np.arange(start, start + horizon)
        sto_target, res_target = guide.targets(start, horizon)
        prices = (grid_prices[0][hours], grid_prices[1][hours]) if grid_prices is not None else (None, None)
        op.set_window(
            fc,
            storage0,
            reservoir0,
            storage_target=sto_target,
            reservoir_target=res_target,
            fuel_allowance=guide.fuel_allowance(start, horizon),
            limit_allowance=limits.allowance(start, horizon),
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
        actual = profiles.isel(time=sl)
        forecast_error[:, sl] = net_load_error(d, op.fleet.gen, fc, actual)
        if settlement is None:  # perfect forecast: the schedule is what happens
            settled = plan_part
            if d.sto_labels:
                storage0 = np.clip(plan_part["storage_level"][:, n_commit - 1], 0.0, op.fleet.energy)
            if d.res_gen.size:
                reservoir0 = np.clip(plan_part["reservoir_level"][:, n_commit - 1], 0.0, d.res_storage)
        else:
            settled, storage0, reservoir0 = settle_hours(settlement, plan_part, actual, storage0, reservoir0)
        for key in rec:
            if key in settled:
                rec[key][..., sl] = settled[key]
        guide.spend(rec["dispatch"][:, sl])
        limits.spend(rec, sl, op.limit_excess(solution))
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
    result = operation_dataset(
        zone, capacities, profiles, rec, committed, price, forecast_error, total_s, win
    )
    result["import_price_hourly"] = xr.Variable(("time",), import_hourly, {"units": "USD/MWh"})
    result.attrs.update(limits.attrs())
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
        result = _with_skill(result, model, profiles, horizon, step)
    return result


def _forecast_step(
    model, actual_ext: xr.Dataset, profiles: xr.Dataset, start: int, horizon: int
) -> xr.Dataset:
    """The checked forecast of the window from ``start`` [hour index]; past the last operated hour nothing is
    to be served: the stores' worth there is the floor at the last hour, not the next year's demand read
    cyclically (which would draw water away from it)."""
    n_t = profiles.sizes["time"]
    start_time = pd.Timestamp(actual_ext.indexes["time"][start])
    fc = check_forecast(model(actual_ext, start, horizon), start_time, horizon, profiles)
    if start + horizon > n_t:
        fc = fc.copy(deep=True)
        fc["demand"][{"time": slice(n_t - start, None)}] = 0.0
    return fc


def _record(d, n_t: int) -> dict[str, np.ndarray]:
    """Zeroed (unit, hour) arrays for every block operation records."""
    n_g, n_s, n_r, n_l, n_n = (
        len(d.gen_labels),
        len(d.sto_labels),
        d.res_gen.size,
        len(d.link_labels),
        len(d.nodes),
    )
    return {
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


@dataclass
class _Guidance:
    """What the plan tells each window: terminal level floors and the share of fuel budgets (module
    docstring, points 2 and 3)."""

    terminal: str
    n_t: int
    start_storage: np.ndarray
    start_reservoir: np.ndarray
    plan_sto: np.ndarray | None
    plan_res: np.ndarray | None
    limited: np.ndarray
    plan_fuel: np.ndarray | None
    budget_left: np.ndarray | None

    @classmethod
    def of(cls, capacities, time, d, terminal: str, storage0, reservoir0) -> _Guidance:
        n_t = len(time)
        res_labels = [d.gen_labels[g] for g in d.res_gen]
        plan_sto = _plan_hourly(capacities, "storage_level", time)
        plan_res = _plan_hourly(capacities, "reservoir_level", time)
        plan_dispatch = _plan_hourly(capacities, "dispatch", time)
        if terminal == "plan" and plan_sto is None:
            raise ForecastError("terminal='plan' needs a Plan on the same hours as the profiles")
        limited = np.flatnonzero(np.isfinite(d.fuel_budget))
        plan_fuel = budget_left = None
        if limited.size:
            if plan_dispatch is not None:
                plan_fuel = unit_series(plan_dispatch, [d.gen_labels[g] for g in limited], "technology")
            else:
                plan_fuel = np.ones((limited.size, n_t))
            budget_left = d.fuel_budget[limited] * n_t / 8760.0
        return cls(
            terminal,
            n_t,
            storage0.copy(),
            reservoir0.copy(),
            unit_series(plan_sto, d.sto_labels, "storage") if plan_sto is not None else None,
            unit_series(plan_res, res_labels, "technology") if plan_res is not None else None,
            limited,
            plan_fuel,
            budget_left,
        )

    def targets(self, start: int, horizon: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(unit, hour) floors of storage and reservoirs [MWh] in the window from ``start`` (−inf: none)."""
        n_s, n_r, n_t = self.start_storage.size, self.start_reservoir.size, self.n_t
        if not (n_s or n_r):
            return None, None
        hours = np.arange(start, start + horizon)
        sto_target = np.full((n_s, horizon), -np.inf)
        res_target = np.full((n_r, horizon), -np.inf)
        if self.terminal == "plan":
            sto_target[:, -1] = self.plan_sto[:, hours[-1] % n_t]
            if self.plan_res is not None:
                res_target[:, -1] = self.plan_res[:, hours[-1] % n_t]
        elif self.terminal == "initial":
            sto_target[:, -1] = self.start_storage
            res_target[:, -1] = self.start_reservoir
        if start <= n_t - 1 < start + horizon:
            # the year ends inside this window: its floor is the one that counts; a second floor at the
            # window's end would charge a release before both twice, as much as shedding load
            k = n_t - 1 - start
            sto_target[:, k] = np.maximum(sto_target[:, k], self.start_storage)
            res_target[:, k] = np.maximum(res_target[:, k], self.start_reservoir)
            sto_target[:, k + 1 :] = -np.inf
            res_target[:, k + 1 :] = -np.inf
        return (sto_target if n_s else None), (res_target if n_r else None)

    def fuel_allowance(self, start: int, horizon: int) -> np.ndarray | None:
        """[MWh] each fuel-limited generator may use in the window from ``start``: the budget left times the
        plan's dispatch in the window over its dispatch in all hours still to come."""
        if not self.limited.size:
            return None
        n_t = self.n_t
        hours = np.arange(start, start + horizon)
        rest = self.plan_fuel[:, start:].sum(axis=1)
        in_window = (
            self.plan_fuel[:, hours % n_t].sum(axis=1)
            if start + horizon <= n_t
            else self.plan_fuel[:, start:].sum(axis=1)
        )
        share = np.divide(in_window, rest, out=np.ones_like(rest), where=rest > 0)
        return np.maximum(self.budget_left, 0.0) * np.minimum(share, 1.0)

    def spend(self, dispatch: np.ndarray) -> None:
        """Take the settled (generator, hour) ``dispatch`` [MW] of committed hours off the fuel budgets."""
        if self.limited.size:
            self.budget_left = self.budget_left - dispatch[self.limited].sum(axis=1)


def _with_skill(result: xr.Dataset, model, profiles: xr.Dataset, horizon: int, step: int) -> xr.Dataset:
    """``result`` with the forecast's nRMSE by lead time (variable ``forecast_skill`` and attrs)."""
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
        out["storage"] = unit_series(share, d.sto_labels, "storage")
    if "link_availability" in availability and d.link_labels:
        share = availability["link_availability"]
        out["link"] = np.stack([share.sel(link=name).values.astype(float) for name in d.link_labels])
    if "grid_availability" in availability:
        out["grid"] = availability["grid_availability"].values.astype(float)
    return out
