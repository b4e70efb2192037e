"""The HTTP routes of ``greenzone serve`` (FastAPI; OpenAPI docs at /docs).

Every route but ``/health``, the OpenAPI document and the control-room page needs ``Authorization: Bearer <token>``: 401 without a
valid token, 404 for a zone the token holds no role on, 403 for a role too low, 429 past the token's request
rate. Bad input gets the CLI's message with 422, an infeasible schedule its diagnosis with 409, a solver past
its time limit 503; a request body past the size limit 413. See docs/service.md for the table of routes.
"""

import contextlib
import json
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select

from greenzone import __version__
from greenzone.errors import GreenzoneError, ZoneError
from greenzone.operate.schedule import forecast_columns
from greenzone.runfolder import RunFolderError
from greenzone.service import actuals, db, jobs, scheduling, upload
from greenzone.service import zones as zone_store
from greenzone.service.auth import Caller, authenticate
from greenzone.service.limits import Limits, RateLimiter
from greenzone.service.page import add_page
from greenzone.service.zones import ZoneCache

__all__ = ["create_app"]

log = logging.getLogger("greenzone.service")


class ScheduleBody(BaseModel):
    """A schedule request: levels [MWh] by "node/technology", the forecast CSV's text, optionally a horizon."""

    model_config = ConfigDict(extra="forbid")
    state: dict[str, Any] = Field(default_factory=dict, description="storage levels [MWh] by node/technology")
    forecast_csv: str = Field(
        description="the forecast file's text, as `greenzone schedule --forecast` reads"
    )
    horizon: int | None = Field(default=None, ge=1, description="hours to schedule [h]; default every row")


class ActualsBody(BaseModel):
    """Metered hours in the forecast file's format: demand [MW], capacity factors [-], inflows [MW]."""

    model_config = ConfigDict(extra="forbid")
    actuals_csv: str = Field(description="the actual hours, in the forecast CSV's format")


class _BodyLimit:
    """ASGI middleware: a request body past ``limit`` bytes gets 413 before the route reads it."""

    def __init__(self, app, limit: int, upload_limit: int) -> None:
        self.app, self.body_limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope.get("method") == "PUT" and str(scope.get("path", "")).endswith("/run")
        limit = self.upload_limit if upload else self.body_limit
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            fix = "send only the folder 'greenzone run' wrote" if upload else "send a shorter forecast"
            response = JSONResponse(
                {"detail": f"the request body is over {limit:,} bytes; {fix}"}, status_code=413
            )
            return await response(scope, receive, send)
        # read the whole body first (within the limit), then hand it on: a chunked body has no length
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            chunks.append(message)
            seen += len(message.get("body", b""))
            more = message.get("more_body", False)
            if seen > limit:
                response = JSONResponse({"detail": f"the request body is over {limit:,} bytes"}, 413)
                return await response(scope, receive, send)
        return await self.app(scope, _replay(chunks, receive), send)


def _replay(messages: list[dict], receive=None):
    """An ASGI receive that gives ``messages`` again, then waits on ``receive`` (a disconnect)."""
    queue = list(messages)

    async def replayed():
        if queue:
            return queue.pop(0)
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replayed


def create_app(engine: Engine, limits: Limits | None = None) -> FastAPI:
    """The service on ``engine`` (migrated, see :func:`greenzone.service.db.connect`) within ``limits``."""
    limits = limits or Limits()
    zones = ZoneCache(engine)
    rate = RateLimiter(limits.rate_per_s, limits.burst)
    runner = jobs.JobRunner(engine, zones, limits)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        resumed = runner.resume()  # jobs a killed process left unfinished
        if resumed:
            log.warning("resumed %d unfinished job(s)", resumed)
        yield
        runner.close()

    app = FastAPI(
        lifespan=lifespan,
        title="greenzone service",
        version=__version__,
        description="Day-ahead schedules of renewable energy zones, with their history, actuals and settlement.",
    )
    app.add_middleware(_BodyLimit, limit=limits.max_body_bytes, upload_limit=limits.max_upload_bytes)

    @app.exception_handler(GreenzoneError)
    def _greenzone_error(_request: Request, exc: GreenzoneError) -> JSONResponse:
        if isinstance(exc, RunFolderError):
            log.error("%s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=scheduling.http_status(exc))

    def caller(authorization: Annotated[str | None, Header()] = None) -> Caller:
        who = authenticate(engine, authorization)
        if who is None:
            raise HTTPException(
                401, "give a valid token: Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
            )
        wait = rate.take(who.token_id)
        if wait > 0:
            raise HTTPException(
                429, f"over {limits.rate_per_s:g} requests per second", {"Retry-After": f"{wait:.2f}"}
            )
        return who

    def zone_for(role: str):
        def check(zone: str, who: Annotated[Caller, Depends(caller)]) -> tuple[Caller, str]:
            if zone not in who.roles:
                raise HTTPException(404, f"no zone {zone!r}")
            if not who.allows(zone, role):
                raise HTTPException(
                    403, f"this token is {who.roles[zone]} of zone {zone!r}; {role} is needed"
                )
            return who, zone

        return check

    viewer, operator, admin = zone_for("viewer"), zone_for("operator"), zone_for("admin")

    @app.get("/health")
    def health() -> dict:
        with engine.connect() as conn:
            version = conn.execute(
                select(db.schema_version.c.version).order_by(db.schema_version.c.version.desc())
            ).scalar()
        return {"status": "ok", "greenzone_version": __version__, "schema_version": version}

    @app.get("/zones")
    def list_zones(who: Annotated[Caller, Depends(caller)]) -> list[dict]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(db.zones).where(db.zones.c.id.in_(list(who.roles))).order_by(db.zones.c.id)
            ).all()
        return [{"id": r.id, "name": r.name, "role": who.roles[r.id]} for r in rows]

    @app.put(
        "/zones/{zone}/run",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the folder 'greenzone run' wrote, as a tar (.tar, .tar.gz, .tar.xz) or zip",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def put_run(
        zone: str, request: Request, response: Response, who: Annotated[Caller, Depends(caller)]
    ) -> dict:
        """Upload a run folder as zone ``zone``: an admin of the zone replaces its plan; a new zone may be
        created by a token that is admin of some zone, and that token becomes its admin."""
        if zone in who.roles:
            if not who.allows(zone, "admin"):
                raise HTTPException(403, f"this token is {who.roles[zone]} of zone {zone!r}; admin is needed")
        elif zones.record(zone) is not None:
            raise HTTPException(404, f"no zone {zone!r}")
        elif "admin" not in who.roles.values():
            raise HTTPException(403, "only a token that is admin of a zone may create zones")
        data = await request.body()
        try:
            record = await run_in_threadpool(
                zone_store.upload_zone, engine, zone, data, who.name, who.token_id
            )
        except upload.UploadTooLarge as exc:
            raise HTTPException(413, str(exc)) from None
        except (RunFolderError, ZoneError) as exc:
            raise HTTPException(422, str(exc)) from None
        if not record["created"]:
            response.status_code = 200
        return {
            "id": zone,
            "name": record["name"],
            "zone_fingerprint": record["zone_fingerprint"],
            "plan_sha256": record["plan_sha256"],
            "archive_sha256": record["run_dir"][3:],
            "created": record["created"],
        }

    @app.get("/zones/{zone}")
    def get_zone(access: Annotated[tuple, Depends(viewer)]) -> dict:
        who, zone = access
        row, run = zones.run(zone)
        z = run.zone
        return {
            "id": row.id,
            "name": row.name,
            "role": who.roles[zone],
            "zone_fingerprint": row.zone_fingerprint,
            "nodes": z.node_ids,
            "storage_units": _units(run, "storage"),
            "forecast_columns": forecast_columns(run.zone, run.profiles, run.plan),
        }

    @app.post("/zones/{zone}/schedules", status_code=201)
    def create_schedule(
        body: ScheduleBody,
        response: Response,
        access: Annotated[tuple, Depends(operator)],
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> dict:
        who, zone = access
        row, run = zones.run(zone)
        request = scheduling.ScheduleRequest(body.state, body.forecast_csv, body.horizon)
        if idempotency_key is not None:
            existing = scheduling.find_by_key(engine, zone, idempotency_key, request)
            if existing is not None:
                response.status_code = 200
                return scheduling.describe(scheduling.stored(engine, zone, existing))
        levels, window = scheduling.read_request(run, request, limits.max_horizon_h)
        if window.sizes["time"] > limits.sync_max_h:  # longer than a day ahead: a job, polled
            job_id, created = runner.submit(zone, who, request, idempotency_key)
            response.status_code = 202 if created else 200
            return jobs.describe(runner.get(zone, job_id))
        result = scheduling.make_schedule(run, levels, window, limits.solver_time_limit_s)
        new_id, created = scheduling.store_schedule(
            engine,
            zone_row=row,
            caller_id=who.token_id,
            caller_name=who.name,
            request=request,
            result=result,
            idempotency_key=idempotency_key,
        )
        if not created:
            response.status_code = 200
        return scheduling.describe(scheduling.stored(engine, zone, new_id))

    @app.get("/zones/{zone}/jobs/{job_id}")
    def get_job(job_id: str, access: Annotated[tuple, Depends(viewer)]) -> dict:
        _, zone = access
        job = runner.get(zone, job_id)
        if job is None:
            raise HTTPException(404, f"zone {zone!r} has no job {job_id!r}")
        return jobs.describe(job)

    @app.get("/zones/{zone}/schedules")
    def list_schedules(access: Annotated[tuple, Depends(viewer)], limit: int = 50) -> list[dict]:
        _, zone = access
        rows = db.latest(engine, db.schedules, zone, limit, most=500)
        return [scheduling.describe(r, with_result=False) for r in rows]

    @app.get("/zones/{zone}/schedules/{schedule_id}")
    def get_schedule(
        schedule_id: int, access: Annotated[tuple, Depends(viewer)], inputs: bool = False
    ) -> dict:
        _, zone = access
        row = scheduling.stored(engine, zone, schedule_id)
        if row is None:
            raise HTTPException(404, f"zone {zone!r} has no schedule {schedule_id}")
        return scheduling.describe(row, with_inputs=inputs)

    @app.post("/zones/{zone}/schedules/{schedule_id}/reproduce")
    def reproduce(schedule_id: int, access: Annotated[tuple, Depends(operator)]) -> dict:
        _, zone = access
        row = scheduling.stored(engine, zone, schedule_id)
        if row is None:
            raise HTTPException(404, f"zone {zone!r} has no schedule {schedule_id}")
        zone_row, run = zones.run(zone)
        request = scheduling.request_of(row)
        levels, window = scheduling.read_request(run, request, 10**9)
        again = scheduling.table_record(
            scheduling.make_schedule(run, levels, window, limits.solver_time_limit_s)
        )
        same = scheduling.same_values(json.loads(row.result_json), again)
        return {
            "id": row.id,
            "identical": same,
            "stored_with": {
                "greenzone_version": row.greenzone_version,
                "zone_fingerprint": row.zone_fingerprint,
            },
            "now": {"greenzone_version": __version__, "zone_fingerprint": zone_row.zone_fingerprint},
        }

    @app.post("/zones/{zone}/actuals", status_code=201)
    def post_actuals(body: ActualsBody, access: Annotated[tuple, Depends(operator)]) -> dict:
        who, zone = access
        _, run = zones.run(zone)
        return actuals.store_actuals(engine, run, zone, who.name, who.token_id, body.actuals_csv)

    @app.get("/zones/{zone}/schedules/{schedule_id}/settlement")
    def get_settlement(schedule_id: int, access: Annotated[tuple, Depends(viewer)]) -> dict:
        _, zone = access
        row = scheduling.stored(engine, zone, schedule_id)
        if row is None:
            raise HTTPException(404, f"zone {zone!r} has no schedule {schedule_id}")
        metered = actuals.covering(engine, zone, row.start, row.hours)
        if metered is None:
            raise HTTPException(
                404,
                f"no actuals from {row.start:%Y-%m-%d %H:%M} covering {row.hours} h yet; "
                f"POST them to /zones/{zone}/actuals",
            )
        _, run = zones.run(zone)
        return actuals.settle(run, row, metered, limits.solver_time_limit_s)

    @app.get("/zones/{zone}/audit")
    def get_audit(access: Annotated[tuple, Depends(admin)], limit: int = 100) -> list[dict]:
        _, zone = access
        rows = db.latest(engine, db.audit, zone, limit, most=1000)
        return [
            {"at": r.at.isoformat(), "who": r.token_name, "action": r.action, "target": r.target}
            for r in rows
        ]

    add_page(app)

    app.state.engine, app.state.limits, app.state.zones = engine, limits, zones
    return app


def _units(run, kind: str) -> list[str]:
    """The zone's storage units with energy capacity in the plan ("node/storage")."""
    energy = run.plan.get("storage_energy")
    if energy is None:
        return []
    return [
        f"{n}/{s}"
        for n in energy["node"].values
        for s in energy[kind].values
        if float(energy.sel(node=n, **{kind: s})) > 0
    ]
