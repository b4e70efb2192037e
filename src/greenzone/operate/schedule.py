"""The operator's day-ahead schedule: from the current storage levels and a forecast file, the next hours'
dispatch per unit, link and grid connection (one window of :mod:`greenzone.operate.rolling`).

Inputs
------
State (JSON): an object of storage and reservoir levels [MWh] by unit label "node/technology", e.g.
``{"fuzuli/battery": 120.0, "lachin/hydro_reservoir": 5400}``; units left out start from the plan's level
(or half full).

Forecast (CSV): one row per hour, consecutive, and the columns

- ``time``: hourly, timezone-naive UTC, label = start of the hour;
- ``demand:<node> [MW]`` for every node with demand;
- ``cf:<node>/<technology> [-]``, capacity factor (0 … 1), for every solar, wind and run-of-river unit
  with capacity in the plan;
- ``inflow:<node>/<technology> [MW]`` for every reservoir;
- optionally ``min_release:<node>/<technology> [MW]`` and ``cf:`` columns of dispatchable units; left out,
  they take the run's profiles at the same hour of the year.

Metered actuals (the service's ``POST /zones/{zone}/actuals``) use the same format and may also hold
``grid_import_price [USD/MWh]`` and ``grid_export_price [USD/MWh]`` (:data:`PRICE_COLUMNS`); a forecast may not.

The horizon is the number of rows. Each window ends with every store at least at the plan's level for the
same hour of the year (``terminal="plan"``, soft as in :func:`greenzone.operate.operate`) when the plan has
hourly levels, else at least at its current level.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from greenzone import safe_read
from greenzone.operate.window import ForecastError, OperationModel, check_forecast, initial_state, unit_series
from greenzone.optimize.solve import Solution, SolverOptions
from greenzone.planning.year import _to_grid
from greenzone.safe_read import parse_numbers, parse_times, read_csv_table, read_text
from greenzone.zone.schema import VARIABLE_KINDS, Zone

__all__ = [
    "Window",
    "forecast_columns",
    "read_forecast_csv",
    "read_state_json",
    "schedule",
    "schedule_dataset",
    "schedule_table",
    "schedule_window",
]

_UNITS = {"demand": "MW", "cf": "-", "inflow": "MW", "min_release": "MW"}
_COLUMN = re.compile(r"^(demand|cf|inflow|min_release):([^\s\[]+)\s*\[([^\]]*)\]$")
PRICE_COLUMNS = {
    "grid_import_price": "grid_import_price [USD/MWh]",
    "grid_export_price": "grid_export_price [USD/MWh]",
}
"""Metered grid prices an actuals file may hold (:func:`read_forecast_csv` with ``prices=True``)."""


def read_state_json(path: str | Path) -> dict[str, float]:
    """Storage and reservoir levels [MWh] by unit label from a JSON file (checked against the zone later).

    The file is read under :mod:`greenzone.safe_read` (size, kind, UTF-8); it must be one JSON object whose
    keys appear once and whose values are finite numbers >= 0 (not true/false, not NaN or Infinity).
    """
    path = Path(path)
    text = read_text(path, what="state file", error=ForecastError, limit=safe_read.MAX_TEXT_BYTES)
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, path))
    except ForecastError:
        raise
    except json.JSONDecodeError as exc:
        raise ForecastError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); write an object like "
            '{"node/battery": 120.0}'
        ) from None
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits; nesting too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split("; use sys.")[0]
        raise ForecastError(f"{path}: not valid JSON ({reason})") from None
    if not isinstance(data, dict):
        raise ForecastError(f'{path}: the state must be a JSON object like {{"node/battery": 120.0}} [MWh]')
    for label, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ForecastError(
                f"{path}: key {label!r}: the level must be a number [MWh], got {_json(value)}"
            )
        if not _finite(value) or value < 0:
            raise ForecastError(
                f"{path}: key {label!r}: the level must be a finite number >= 0 [MWh], got {_json(value)}"
            )
    return {str(k): float(v) for k, v in data.items()}


def _unique_keys(pairs: list[tuple[str, object]], path: Path) -> dict[str, object]:
    """A JSON object's pairs as a dict, refusing a key that appears twice (json keeps the last silently)."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ForecastError(f"{path}: key {key!r} appears twice; give each unit's level once")
        out[key] = value
    return out


def _finite(value: float) -> bool:
    """True for a finite number (an integer too large for a float is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _json(value: object) -> str:
    """A JSON value as the file spells it, shortened."""
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    text = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(text, text)
    return text if len(text) <= 40 else text[:37] + "..."


def read_forecast_csv(
    path: str | Path,
    zone: Zone,
    profiles: xr.Dataset,
    horizon: int | None = None,
    capacities: xr.Dataset | None = None,
    *,
    prices: bool = False,
) -> xr.Dataset:
    """A forecast CSV (format in this module's docstring) as a profiles-shaped window Dataset; with
    ``horizon``, its first ``horizon`` hours (fewer rows are an error). With ``capacities`` (a Plan), units
    without capacity need no columns (they take the profiles). With ``prices`` (metered actuals), the columns
    of :data:`PRICE_COLUMNS` [USD/MWh] may be given too (any finite number; a market price may be negative)
    and become the window's variables ``grid_import_price`` / ``grid_export_price`` (time). The file is read under
    :mod:`greenzone.safe_read` (size, kind, UTF-8); every cell of the rows used must be a finite number, and a
    bad cell is named by line and column. Times with a UTC offset are converted to UTC."""
    path = Path(path)
    table = read_csv_table(path, what="forecast file", error=ForecastError)
    if not len(table):
        raise ForecastError(f"{path}: the forecast file has no rows (one row per hour is needed)")
    if horizon is not None:
        if len(table) < horizon:
            raise ForecastError(
                f"{path}: the forecast covers {len(table)} hours, but the horizon is {horizon} hours"
            )
        table = table.head(horizon)
    if "time" not in table.columns:
        raise ForecastError(f"{path}: a 'time' column is needed (hourly, UTC, label = start of the hour)")
    time = parse_times(table, "time", timezone=None, error=ForecastError)
    steps = np.diff(time.asi8) if len(time) > 1 else np.array([], dtype=np.int64)
    if (steps != pd.Timedelta("1h").value).any():
        row = int(np.flatnonzero(steps != pd.Timedelta("1h").value)[0]) + 1
        raise ForecastError(
            f"{table.line(row)}: the times must be consecutive hours without gaps or repeats "
            f"({time[row - 1]:%Y-%m-%d %H:%M} is followed by {time[row]:%Y-%m-%d %H:%M})"
        )
    nodes, techs = zone.node_ids, list(profiles["technology"].values)
    columns: dict[tuple[str, str], pd.Series] = {}
    metered: dict[str, np.ndarray] = {}
    for column in table.columns:
        if column == "time":
            continue
        if prices and column in PRICE_COLUMNS.values():
            name = column.partition(" ")[0]
            metered[name] = parse_numbers(table, column, unit="USD/MWh", error=ForecastError)
            continue
        match = _COLUMN.match(column)
        if not match:
            raise ForecastError(
                f"{path}: column {column!r} is not understood; use 'demand:<node> [MW]', "
                "'cf:<node>/<technology> [-]', 'inflow:<node>/<technology> [MW]' or "
                "'min_release:<node>/<technology> [MW]'"
                + (", 'grid_import_price [USD/MWh]' or 'grid_export_price [USD/MWh]'" if prices else "")
            )
        kind, unit_label, unit = match.groups()
        if unit.strip() != _UNITS[kind]:
            raise ForecastError(
                f"{path}: column {column!r} is in [{unit}], but {kind} must be given in [{_UNITS[kind]}]"
            )
        if kind == "demand":
            if unit_label not in nodes:
                raise ForecastError(
                    f"{path}: column {column!r} names unknown node {unit_label!r}; nodes: {', '.join(nodes)}"
                )
        else:
            node, _, tech = unit_label.partition("/")
            if (
                node not in nodes
                or tech not in techs
                or tech not in zone.nodes[nodes.index(node)].technologies
            ):
                raise ForecastError(f"{path}: column {column!r} names no unit of the zone ({unit_label!r})")
        values = parse_numbers(table, column, unit=_UNITS[kind], error=ForecastError)
        outside = (values < 0) | ((values > 1) if kind == "cf" else False)
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise ForecastError(
                f"{table.line(row)}: column {column!r} has values outside "
                + ("0 … 1" if kind == "cf" else "0 … inf")
                + f" ({values[row]:g})"
            )
        columns[(kind, unit_label)] = pd.Series(values)
    # defaults: the run's profiles at the same hour of the year
    n_p = profiles.sizes["time"]
    p_time = pd.DatetimeIndex(profiles.indexes["time"])
    hour_of_year = (
        (time - time.year.map(lambda y: pd.Timestamp(year=y, month=1, day=1))) // pd.Timedelta("1h")
    ).to_numpy()
    first = int((p_time[0] - pd.Timestamp(year=p_time[0].year, month=1, day=1)) // pd.Timedelta("1h"))
    window = profiles.isel(time=(hour_of_year - first) % n_p).copy(deep=True).assign_coords(time=time)
    for j, node in enumerate(zone.nodes):
        if ("demand", node.id) in columns:
            window["demand"][:, j] = columns[("demand", node.id)].to_numpy(float)
        for tech in node.technologies:
            if tech not in techs:
                continue
            k = techs.index(tech)
            label = f"{node.id}/{tech}"
            for kind, name in (
                ("cf", "capacity_factor"),
                ("inflow", "inflow"),
                ("min_release", "min_release"),
            ):
                if (kind, label) in columns:
                    window[name][:, j, k] = columns[(kind, label)].to_numpy(float)
    given = {f"{kind}:{label} [{_UNITS[kind]}]" for kind, label in columns}
    missing = [column for column in forecast_columns(zone, profiles, capacities) if column not in given]
    if missing:
        raise ForecastError(f"{path}: columns missing: {', '.join(missing)}")
    for name, values in metered.items():
        window[name] = xr.Variable(("time",), values.astype(float), {"units": "USD/MWh"})
    return window


def forecast_columns(zone: Zone, profiles: xr.Dataset, capacities: xr.Dataset | None = None) -> list[str]:
    """The columns a forecast file for this zone must hold: demand of every node with demand, the capacity
    factor of every solar, wind and run-of-river unit (with capacity in ``capacities``, a Plan, when given)
    and the inflow of every reservoir (module docstring)."""
    techs = list(profiles["technology"].values)
    peak = profiles["demand"].max("time").sel(node=zone.node_ids).values
    capacity = None
    if capacities is not None and "capacity" in capacities:
        capacity = capacities["capacity"].transpose("node", "technology").to_pandas()
    out = []
    for j, node in enumerate(zone.nodes):
        if float(peak[j]) > 0:
            out.append(f"demand:{node.id} [MW]")
        for tech in node.technologies:
            if tech not in techs:
                continue
            kind = zone.technologies[tech].kind
            built = capacity is None or float(capacity.loc[node.id, tech]) > 0
            if kind in VARIABLE_KINDS and built:
                out.append(f"cf:{node.id}/{tech} [-]")
            if kind == "hydro_reservoir":
                out.append(f"inflow:{node.id}/{tech} [MW]")
    return out


def schedule(
    zone: Zone,
    capacities: xr.Dataset,
    forecast: xr.Dataset,
    state: Mapping[str, float] | None = None,
    *,
    options: SolverOptions | None = None,
) -> xr.Dataset:
    """The optimal schedule of the forecast's hours from ``state`` (module docstring), as a Dataset of
    dispatch, storage charge, discharge and level, flows, grid import and export and unserved load;
    ``options`` for the window LP (e.g. a time limit; default dual simplex)."""
    window = schedule_window(zone, capacities, forecast, state, options=options)
    return schedule_dataset(zone, window)


@dataclass(frozen=True)
class Window:
    """One solved schedule window: the model's data, the checked forecast, the initial levels [MWh], the
    solution and its values by block (unit, hour), as :meth:`OperationModel.schedule` gives them."""

    d: object
    forecast: xr.Dataset
    storage0: np.ndarray
    reservoir0: np.ndarray
    solution: Solution
    part: dict[str, np.ndarray]
    generation_capacity: np.ndarray


def schedule_window(
    zone: Zone,
    capacities: xr.Dataset,
    forecast: xr.Dataset,
    state: Mapping[str, float] | None = None,
    *,
    options: SolverOptions | None = None,
    import_price: np.ndarray | None = None,
    export_price: np.ndarray | None = None,
) -> Window:
    """The window LP of :func:`schedule` built, solved and read back (module docstring); with
    ``import_price`` and ``export_price`` (hour,) [USD/MWh] the grid is priced at them instead of the zone's
    grid prices (a day settled at metered prices)."""
    horizon = forecast.sizes["time"]
    if horizon < 1:
        raise ForecastError("the forecast has no hours")
    op = OperationModel(zone, capacities, forecast, horizon, options=options)
    d = op.d
    forecast = check_forecast(forecast, pd.Timestamp(forecast.indexes["time"][0]), horizon, forecast)
    sto0, res0 = initial_state(d, capacities, state)
    res_labels = [d.gen_labels[g] for g in d.res_gen]
    sto_target = np.full((len(d.sto_labels), horizon), -np.inf)
    res_target = np.full((len(res_labels), horizon), -np.inf)
    sto_target[:, -1], res_target[:, -1] = sto0, res0
    if "storage_level" in capacities and "time" in capacities["storage_level"].dims:
        p_time = pd.DatetimeIndex(capacities.indexes["time"])
        end = pd.Timestamp(forecast.indexes["time"][-1])
        hour = int((end - pd.Timestamp(year=end.year, month=1, day=1)) // pd.Timedelta("1h"))
        first = int((p_time[0] - pd.Timestamp(year=p_time[0].year, month=1, day=1)) // pd.Timedelta("1h"))
        at = (hour - first) % len(p_time)
        sto_target[:, -1] = unit_series(capacities["storage_level"], d.sto_labels, "storage")[:, at]
        if res_labels and "reservoir_level" in capacities:
            res_target[:, -1] = unit_series(capacities["reservoir_level"], res_labels, "technology")[:, at]
    fuel = None
    limited = np.flatnonzero(np.isfinite(d.fuel_budget))
    if limited.size:
        fuel = d.fuel_budget[limited] * horizon / 8760.0
    op.set_window(
        forecast,
        sto0,
        res0,
        storage_target=sto_target if d.sto_labels else None,
        reservoir_target=res_target if res_labels else None,
        fuel_allowance=fuel,
        import_price=import_price,
        export_price=export_price,
    )
    try:
        solution = op.solve(f"the schedule from {forecast.indexes['time'][0]}")
        part = op.schedule(solution, horizon)
    finally:
        op.close()
    return Window(d, forecast, sto0, res0, solution, part, op.fleet.gen.copy())


def schedule_dataset(zone: Zone, window: Window) -> xr.Dataset:
    """A solved window as the schedule Dataset (:func:`schedule`)."""
    d, part, solution, forecast = window.d, window.part, window.solution, window.forecast
    horizon = forecast.sizes["time"]
    res_labels = [d.gen_labels[g] for g in d.res_gen]
    nodes, techs, stores = d.nodes, list(zone.generator_ids), list(zone.storage_ids)
    time = forecast.indexes["time"]

    def grid(values, labels, names):
        return _to_grid(values, labels, nodes, names, time=True)

    empty = np.zeros((0, horizon))
    ds = xr.Dataset(
        {
            "dispatch": (
                ("time", "node", "technology"),
                grid(part["dispatch"], d.gen_labels, techs),
                {"units": "MW"},
            ),
            "storage_charge": (
                ("time", "node", "storage"),
                grid(part.get("charge", empty), d.sto_labels, stores),
                {"units": "MW"},
            ),
            "storage_discharge": (
                ("time", "node", "storage"),
                grid(part.get("discharge", empty), d.sto_labels, stores),
                {"units": "MW"},
            ),
            "storage_level": (
                ("time", "node", "storage"),
                grid(part.get("storage_level", empty), d.sto_labels, stores),
                {"units": "MWh"},
            ),
            "reservoir_level": (
                ("time", "node", "technology"),
                grid(part.get("reservoir_level", empty), res_labels, techs),
                {"units": "MWh"},
            ),
            "flow": (
                ("time", "link"),
                (part.get("flow_forward", empty) - part.get("flow_backward", empty)).T,
                {"units": "MW"},
            ),
            "grid_import": (("time",), part.get("grid_import", np.zeros(horizon)), {"units": "MW"}),
            "grid_export": (("time",), part.get("grid_export", np.zeros(horizon)), {"units": "MW"}),
            "unserved": (("time", "node"), part["unserved"].T, {"units": "MW"}),
            "demand": (
                ("time", "node"),
                forecast["demand"].transpose("time", "node").values,
                {"units": "MW"},
            ),
            "price": (("time", "node"), part["price"].T, {"units": "USD/MWh"}),
        },
        coords={"time": time, "node": nodes, "technology": techs, "storage": stores, "link": d.link_labels},
        attrs={
            "title": f"greenzone schedule: {zone.name}",
            "horizon_h": horizon,
            "solver_iterations": int(solution.iterations.total),
            "solver_time_s": float(solution.run_time_s),
            "solver_status": solution.status.value,
        },
    )
    return ds


def schedule_table(ds: xr.Dataset) -> pd.DataFrame:
    """The schedule as one row per hour and a column per unit, link and grid connection [MW, MWh]."""

    def grid(name: str, *dims: str) -> np.ndarray:  # (time, ...) values in the order of ``dims``
        return ds[name].transpose("time", *dims).values

    dispatch = grid("dispatch", "node", "technology")
    level, charge, discharge = (
        grid(v, "node", "storage") for v in ("storage_level", "storage_charge", "storage_discharge")
    )
    reservoir = grid("reservoir_level", "node", "technology")
    unserved, flow = grid("unserved", "node"), grid("flow", "link")
    out = {}
    for i, node in enumerate(ds["node"].values):
        for k, tech in enumerate(ds["technology"].values):
            values = dispatch[:, i, k]
            if np.abs(values).max() > 0:
                out[f"dispatch:{node}/{tech} [MW]"] = values
        for k, store in enumerate(ds["storage"].values):
            net = discharge[:, i, k] - charge[:, i, k]
            if np.abs(level[:, i, k]).max() > 0 or np.abs(net).max() > 0:
                out[f"storage_net_discharge:{node}/{store} [MW]"] = net
                out[f"storage_level:{node}/{store} [MWh]"] = level[:, i, k]
        for k, tech in enumerate(ds["technology"].values):
            if np.abs(reservoir[:, i, k]).max() > 0:
                out[f"reservoir_level:{node}/{tech} [MWh]"] = reservoir[:, i, k]
        if unserved[:, i].max() > 0:
            out[f"unserved:{node} [MW]"] = unserved[:, i]
    for j, link in enumerate(ds["link"].values):
        out[f"flow:{link} [MW]"] = flow[:, j]
    out["grid_import [MW]"] = ds["grid_import"].values
    out["grid_export [MW]"] = ds["grid_export"].values
    return pd.DataFrame(out, index=pd.DatetimeIndex(ds.indexes["time"], name="time"))
