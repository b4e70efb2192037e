"""Schedule requests: the inputs read by the CLI's own readers, the schedule made by the CLI's own function,
and each one stored with its inputs, greenzone's version and the solver status, so that any past schedule can
be fetched and made again exactly.

A request is a state (storage and reservoir levels [MWh] by "node/technology", as ``greenzone schedule
--state``), a forecast CSV's text (as ``--forecast``) and optionally a horizon [h]. The readers of
:mod:`greenzone.operate.schedule` read them from a private temporary folder under the names ``state.json`` and
``forecast.csv``, so their messages (field, line and fix) are the CLI's, naming those files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from greenzone import __version__
from greenzone.errors import GreenzoneError
from greenzone.operate.schedule import read_forecast_csv, read_state_json, schedule, schedule_table
from greenzone.optimize.solve import SolverOptions
from greenzone.runfolder import RunFolder
from greenzone.service import db

__all__ = ["ScheduleRequest", "make_schedule", "read_request", "store_schedule", "table_record"]


class RequestError(GreenzoneError):
    """A request the service refuses before reading it: over a limit, or an idempotency key reused."""

    exit_code = 2


@dataclass(frozen=True)
class ScheduleRequest:
    """One schedule request as sent: its state, forecast text and horizon [h]."""

    state: dict
    forecast_csv: str
    horizon: int | None = None

    @classmethod
    def from_row(cls, row) -> ScheduleRequest:
        """The request a stored schedule or job was made from."""
        return cls(json.loads(row.state_json), row.forecast_csv, row.horizon_h)

    def state_json(self) -> str:
        return json.dumps(self.state, sort_keys=True)

    def sha256(self) -> str:
        body = json.dumps([self.state, self.forecast_csv, self.horizon], sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def read_request(run: RunFolder, request: ScheduleRequest, max_horizon_h: int) -> tuple[dict, xr.Dataset]:
    """The request's levels and forecast window, read and checked by the CLI's readers (ForecastError with
    the CLI's message naming state.json or forecast.csv)."""
    hours = sum(1 for line in request.forecast_csv.splitlines()[1:] if line.strip())
    horizon = request.horizon if request.horizon is not None else hours
    if horizon > max_horizon_h:
        raise RequestError(
            f"horizon: {horizon} hours asked, this service schedules at most {max_horizon_h} hours per request; "
            "send a shorter forecast or a smaller horizon"
        )
    with _as_files({"state.json": request.state_json(), "forecast.csv": request.forecast_csv}) as folder:
        levels = read_state_json(folder / "state.json")
        window = read_forecast_csv(folder / "forecast.csv", run.zone, run.profiles, request.horizon, run.plan)
    return levels, window


def read_hours(
    run: RunFolder, text: str, name: str, hours: int | None = None, *, prices: bool = False
) -> xr.Dataset:
    """A CSV in the forecast file's format (forecasts, or metered actuals) as a profiles-shaped window,
    read by the CLI's reader under the file name ``name``; with ``hours``, its first ``hours`` rows; with
    ``prices`` (actuals), metered grid prices [USD/MWh] too."""
    with _as_files({name: text}) as folder:
        return read_forecast_csv(folder / name, run.zone, run.profiles, hours, run.plan, prices=prices)


@contextlib.contextmanager
def _as_files(files: dict[str, str]):
    """A private temporary folder holding ``files`` (name → text); a GreenzoneError raised inside names the
    files without the folder, as the user sent them."""
    with tempfile.TemporaryDirectory(prefix="greenzone-request-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            yield folder
        except GreenzoneError as exc:
            raise type(exc)(str(exc).replace(str(folder) + "/", "")) from None


def make_schedule(run: RunFolder, levels: dict, window: xr.Dataset, time_limit_s: float | None) -> xr.Dataset:
    """The schedule ``greenzone schedule`` makes from the same inputs (:func:`schedule`), within a solver
    time limit [s]."""
    options = SolverOptions(method="dual_simplex", time_limit_s=time_limit_s)
    return schedule(run.zone, run.plan, window, levels, options=options)


def table_record(result: xr.Dataset) -> dict:
    """The schedule as stored and sent: hours (ISO, UTC) and one list of values per column of
    :func:`schedule_table` (the CLI's schedule.csv columns, at full precision)."""
    table = schedule_table(result)
    return {
        "time": [t.isoformat() for t in table.index],
        "columns": {name: [float(v) for v in table[name].to_numpy()] for name in table.columns},
    }


def store_schedule(
    engine: Engine,
    *,
    zone_row,
    caller_id: int,
    caller_name: str,
    request: ScheduleRequest,
    result: xr.Dataset,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Store a schedule and its audit entry in one transaction; returns (id, created). With an idempotency
    key already used for this zone, nothing is written and the stored id comes back (created False) when the
    request is the same, else RequestError."""
    record = table_record(result)
    row = {
        "zone_id": zone_row.id,
        "idempotency_key": idempotency_key,
        "request_sha256": request.sha256(),
        "state_json": request.state_json(),
        "forecast_csv": request.forecast_csv,
        "horizon_h": request.horizon,
        "start": pd.Timestamp(result.indexes["time"][0]).to_pydatetime(),
        "hours": int(result.sizes["time"]),
        "greenzone_version": __version__,
        "zone_fingerprint": zone_row.zone_fingerprint,
        "solver_status": str(result.attrs.get("solver_status", "optimal")),
        "solver_iterations": int(result.attrs["solver_iterations"]),
        "result_json": json.dumps(record),
        "created_at": db.now(),
        "created_by": caller_id,
    }
    if idempotency_key is not None:
        existing = find_by_key(engine, zone_row.id, idempotency_key, request)
        if existing is not None:
            return existing, False
    try:
        with db.transaction(engine) as conn:
            new_id = int(conn.execute(db.schedules.insert().values(**row)).inserted_primary_key[0])
            conn.execute(
                db.audit.insert().values(
                    at=db.now(),
                    token_name=caller_name,
                    zone_id=zone_row.id,
                    action="create_schedule",
                    target=f"schedule {new_id} from {row['start']:%Y-%m-%d %H:%M}, {row['hours']} h",
                )
            )
    except IntegrityError:
        # another request with the same key was stored first
        existing = find_by_key(engine, zone_row.id, idempotency_key, request) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return new_id, True


def find_by_key(engine: Engine, zone_id: str, key: str, request: ScheduleRequest) -> int | None:
    """The schedule stored under idempotency ``key``, or None; RequestError when it was another request."""
    with engine.connect() as conn:
        row = conn.execute(
            select(db.schedules.c.id, db.schedules.c.request_sha256).where(
                (db.schedules.c.zone_id == zone_id) & (db.schedules.c.idempotency_key == key)
            )
        ).first()
    if row is None:
        return None
    if row.request_sha256 != request.sha256():
        raise RequestError(
            f"Idempotency-Key {key!r} was used for another request (schedule {row.id}); use a new key for a new "
            "request"
        )
    return int(row.id)


def stored(engine: Engine, zone_id: str, schedule_id: int):
    """The stored schedule row, or None."""
    with engine.connect() as conn:
        return conn.execute(
            select(db.schedules).where(
                (db.schedules.c.zone_id == zone_id) & (db.schedules.c.id == schedule_id)
            )
        ).first()


def describe(row, *, with_result: bool = True, with_inputs: bool = False) -> dict:
    """A stored schedule as the API returns it."""
    out = {
        "id": row.id,
        "zone": row.zone_id,
        "start": row.start.isoformat(),
        "hours": row.hours,
        "greenzone_version": row.greenzone_version,
        "zone_fingerprint": row.zone_fingerprint,
        "solver_status": row.solver_status,
        "solver_iterations": row.solver_iterations,
        "created_at": row.created_at.isoformat(),
        "idempotency_key": row.idempotency_key,
    }
    if with_result:
        out["schedule"] = json.loads(row.result_json)
    if with_inputs:
        out["request"] = {
            "state": json.loads(row.state_json),
            "forecast_csv": row.forecast_csv,
            "horizon": row.horizon_h,
        }
    return out


def request_of(row) -> ScheduleRequest:
    """The request a stored schedule was made from."""
    return ScheduleRequest.from_row(row)


def http_status(exc: GreenzoneError) -> int:
    """The HTTP status of an error greenzone raised: 409 infeasible, 503 solver or run folder, else 422."""
    from greenzone.errors import InfeasibleError, SolverError
    from greenzone.runfolder import RunFolderError

    if isinstance(exc, InfeasibleError):
        return 409
    if isinstance(exc, (SolverError, RunFolderError)):
        return 503
    return 422


def same_values(a: dict, b: dict) -> bool:
    """Whether two schedule records hold the same hours, columns and values, bit for bit."""
    if a["time"] != b["time"] or list(a["columns"]) != list(b["columns"]):
        return False
    return all(
        len(a["columns"][k]) == len(b["columns"][k])
        and all(
            x == y or (math.isnan(x) and math.isnan(y))
            for x, y in zip(a["columns"][k], b["columns"][k], strict=True)
        )
        for k in a["columns"]
    )
