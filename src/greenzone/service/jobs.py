"""Schedule requests longer than a day ahead, answered by polling: a job id at once (202), the schedule later.

A job row holds the request (its state, forecast text and horizon) and its idempotency key (the client's, or
``job:<id>``); a worker thread makes the schedule with the same functions as a synchronous request and stores
it under that key, then marks the job done with the schedule's id. A server killed meanwhile leaves the job
queued or running: at the next start it is run again, and the key makes sure that it stores one schedule
however far the first attempt got. A job whose inputs the readers refuse is never queued: the request gets the
422 at once.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from greenzone.errors import GreenzoneError
from greenzone.service import db, scheduling
from greenzone.service.limits import Limits
from greenzone.service.zones import ZoneCache

__all__ = ["JobRunner"]

log = logging.getLogger("greenzone.service")


class JobRunner:
    """Worker threads for jobs, and the jobs left unfinished by a previous process (:meth:`resume`)."""

    def __init__(self, engine: Engine, zones: ZoneCache, limits: Limits, workers: int = 1) -> None:
        self.engine, self.zones, self.limits = engine, zones, limits
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="greenzone-job")

    def submit(
        self, zone_id: str, caller, request: scheduling.ScheduleRequest, key: str | None
    ) -> tuple[str, bool]:
        """Queue a job (with its audit entry, one transaction); returns (job id, created). A key used before
        for a job of this zone gives that job (RequestError when it was another request)."""
        job_id = uuid.uuid4().hex
        row = {
            "id": job_id,
            "zone_id": zone_id,
            "idempotency_key": key or f"job:{job_id}",
            "request_sha256": request.sha256(),
            "state_json": request.state_json(),
            "forecast_csv": request.forecast_csv,
            "horizon_h": request.horizon,
            "state": "queued",
            "created_at": db.now(),
            "created_by": caller.token_id,
        }
        try:
            with db.transaction(self.engine) as conn:
                conn.execute(db.jobs.insert().values(**row))
                conn.execute(
                    db.audit.insert().values(
                        at=db.now(),
                        token_name=caller.name,
                        zone_id=zone_id,
                        action="create_job",
                        target=f"job {job_id}",
                    )
                )
        except IntegrityError:
            existing = self.by_key(zone_id, key) if key else None
            if existing is None:
                raise
            if existing.request_sha256 != request.sha256():
                raise scheduling.RequestError(
                    f"Idempotency-Key {key!r} was used for another request (job {existing.id}); use a new key"
                ) from None
            return existing.id, False
        self.executor.submit(self._run, job_id)
        return job_id, True

    def by_key(self, zone_id: str, key: str):
        with self.engine.connect() as conn:
            return conn.execute(
                select(db.jobs).where((db.jobs.c.zone_id == zone_id) & (db.jobs.c.idempotency_key == key))
            ).first()

    def get(self, zone_id: str, job_id: str):
        with self.engine.connect() as conn:
            return conn.execute(
                select(db.jobs).where((db.jobs.c.zone_id == zone_id) & (db.jobs.c.id == job_id))
            ).first()

    def resume(self) -> int:
        """Queue again every job a previous process left queued or running; returns how many."""
        with self.engine.connect() as conn:
            ids = list(
                conn.execute(select(db.jobs.c.id).where(db.jobs.c.state.in_(("queued", "running")))).scalars()
            )
        for job_id in ids:
            self.executor.submit(self._run, job_id)
        return len(ids)

    def _finish(self, job_id: str, **values) -> None:
        with db.transaction(self.engine) as conn:
            conn.execute(
                db.jobs.update().where(db.jobs.c.id == job_id).values(finished_at=db.now(), **values)
            )

    def _run(self, job_id: str) -> None:
        with db.transaction(self.engine) as conn:
            conn.execute(db.jobs.update().where(db.jobs.c.id == job_id).values(state="running"))
        with self.engine.connect() as conn:
            job = conn.execute(select(db.jobs).where(db.jobs.c.id == job_id)).first()
            caller = conn.execute(select(db.tokens.c.name).where(db.tokens.c.id == job.created_by)).scalar()
        try:
            zone_row, run = self.zones.run(job.zone_id)
            request = scheduling.ScheduleRequest.from_row(job)
            levels, window = scheduling.read_request(run, request, self.limits.max_horizon_h)
            result = scheduling.make_schedule(run, levels, window, self.limits.solver_time_limit_s)
            schedule_id, _ = scheduling.store_schedule(
                self.engine,
                zone_row=zone_row,
                caller_id=job.created_by,
                caller_name=caller,
                request=request,
                result=result,
                idempotency_key=job.idempotency_key,
            )
        except GreenzoneError as exc:
            self._finish(job_id, state="failed", error=str(exc), error_status=scheduling.http_status(exc))
            return
        except Exception as exc:  # a bug: the job says so instead of staying queued forever
            log.exception("job %s", job_id)
            self._finish(
                job_id, state="failed", error=f"internal error ({type(exc).__name__})", error_status=500
            )
            return
        self._finish(job_id, state="done", schedule_id=schedule_id)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def describe(job) -> dict:
    """A job as the API returns it."""
    out = {
        "job": job.id,
        "zone": job.zone_id,
        "state": job.state,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "idempotency_key": job.idempotency_key,
        "poll": f"/zones/{job.zone_id}/jobs/{job.id}",
    }
    if job.schedule_id is not None:
        out["schedule_id"] = job.schedule_id
        out["schedule"] = f"/zones/{job.zone_id}/schedules/{job.schedule_id}"
    if job.error is not None:
        out["error"], out["error_status"] = job.error, job.error_status
    return out
