"""Metered actuals and the settlement of a stored schedule against them.

Actuals are sent in the forecast file's format (``demand:<node> [MW]``, ``cf:<node>/<technology> [-]``,
``inflow:<node>/<technology> [MW]``: what the hours turned out to be; optionally the metered
``grid_import_price [USD/MWh]`` and ``grid_export_price [USD/MWh]``, used in the settlement instead of the
zone's grid prices), one upload per (zone, first hour); a
second upload for the same first hour replaces the first (a correction), and the audit log says so. The
settlement of a schedule is :func:`greenzone.operate.day.settle_schedule` on the schedule's stored inputs and
the actuals covering its hours: the settled operating cost and the cost of forecast error [USD].
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from greenzone.operate.day import settle_schedule
from greenzone.optimize.solve import SolverOptions
from greenzone.runfolder import RunFolder
from greenzone.service import db, scheduling

__all__ = ["covering", "settle", "store_actuals"]


def store_actuals(
    engine: Engine, run: RunFolder, zone_id: str, caller_name: str, caller_id: int, text: str
) -> dict:
    """Read ``text`` as actuals (ForecastError with the CLI's message naming actuals.csv) and store it with
    its audit entry in one transaction; returns what was stored."""
    window = scheduling.read_hours(run, text, "actuals.csv", prices=True)
    start = pd.Timestamp(window.indexes["time"][0]).to_pydatetime()
    hours = int(window.sizes["time"])
    with db.transaction(engine) as conn:
        old = conn.execute(
            select(db.actuals.c.id).where((db.actuals.c.zone_id == zone_id) & (db.actuals.c.start == start))
        ).first()
        values = {"hours": hours, "actuals_csv": text, "created_at": db.now(), "created_by": caller_id}
        if old is None:
            conn.execute(db.actuals.insert().values(zone_id=zone_id, start=start, **values))
        else:
            conn.execute(db.actuals.update().where(db.actuals.c.id == old.id).values(**values))
        conn.execute(
            db.audit.insert().values(
                at=db.now(),
                token_name=caller_name,
                zone_id=zone_id,
                action="create_actuals" if old is None else "replace_actuals",
                target=f"actuals from {start:%Y-%m-%d %H:%M}, {hours} h",
            )
        )
    return {"zone": zone_id, "start": start.isoformat(), "hours": hours, "replaced": old is not None}


def covering(engine: Engine, zone_id: str, start, hours: int):
    """The actuals row that starts at ``start`` and covers ``hours`` hours, or None."""
    with engine.connect() as conn:
        return conn.execute(
            select(db.actuals).where(
                (db.actuals.c.zone_id == zone_id)
                & (db.actuals.c.start == start)
                & (db.actuals.c.hours >= hours)
            )
        ).first()


def settle(run: RunFolder, schedule_row, actuals_row, time_limit_s: float | None) -> dict:
    """The settlement of a stored schedule against its actuals: key figures and, by hour, scheduled and
    settled grid exchange and unserved load, forecast and actual demand [MW], the grid prices paid [USD/MWh]."""
    request = scheduling.request_of(schedule_row)
    levels, forecast = scheduling.read_request(run, request, 10**9)
    actual = scheduling.read_hours(
        run, actuals_row.actuals_csv, "actuals.csv", schedule_row.hours, prices=True
    )
    options = SolverOptions(method="dual_simplex", time_limit_s=time_limit_s)
    operation, figures = settle_schedule(run.zone, run.plan, forecast, actual, levels, options=options)
    net = lambda ds, prefix="": (ds[f"{prefix}grid_import"] - ds[f"{prefix}grid_export"]).values  # noqa: E731
    hourly = {
        "time": [pd.Timestamp(t).isoformat() for t in operation.indexes["time"]],
        "demand_forecast [MW]": [float(v) for v in forecast["demand"].sum("node").values],
        "demand_actual [MW]": [float(v) for v in actual["demand"].sum("node").values],
        "grid_net_import_scheduled [MW]": [float(v) for v in net(operation, "committed_")],
        "grid_net_import_settled [MW]": [float(v) for v in net(operation)],
        "unserved_settled [MW]": [float(v) for v in operation["unserved"].sum("node").values],
        "grid_import_settled [MW]": [float(v) for v in operation["grid_import"].values],
        "grid_export_settled [MW]": [float(v) for v in operation["grid_export"].values],
        "import_price [USD/MWh]": [float(v) for v in operation["import_price_hourly"].values],
        "export_price [USD/MWh]": [float(v) for v in operation["export_price_hourly"].values],
    }
    return {"schedule": schedule_row.id, **figures, "hourly": hourly}
