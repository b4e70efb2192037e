"""``greenzone serve`` (the operator's HTTP service) and ``greenzone serve-admin`` (its zones and tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from greenzone.cli.common import app, console

DbOpt = Annotated[
    str,
    typer.Option("--db", help="SQLite file (created if absent) or a database URL (postgresql+psycopg://...)"),
]

admin = typer.Typer(
    help="The service's zones and API tokens: zone-add, token-create, grant, token-revoke, token-list.",
    no_args_is_help=True,
)
app.add_typer(admin, name="serve-admin")


@app.command()
def serve(
    db: DbOpt = "greenzone-service.db",
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="port to listen on")] = 8080,
    rate: Annotated[float, typer.Option("--rate", min=0.01, help="requests per second per token")] = 20.0,
    burst: Annotated[
        int, typer.Option("--burst", min=1, help="requests at once per token above --rate")
    ] = 40,
    max_horizon: Annotated[
        int, typer.Option("--max-horizon", min=1, help="most hours per schedule [h]")
    ] = 168,
    sync_hours: Annotated[
        int,
        typer.Option("--sync-hours", min=1, help="most hours answered at once; longer requests are jobs [h]"),
    ] = 48,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="solver time limit per schedule [s]")
    ] = 30.0,
) -> None:
    """Serve day-ahead schedules over HTTP (OpenAPI docs at /docs; see docs/service.md)."""
    import uvicorn

    from greenzone.service.app import create_app
    from greenzone.service.db import connect
    from greenzone.service.limits import Limits

    engine = connect(db)
    limits = Limits(
        rate_per_s=rate,
        burst=burst,
        max_horizon_h=max_horizon,
        sync_max_h=sync_hours,
        solver_time_limit_s=time_limit,
    )
    console.print(f"greenzone service on http://{host}:{port} (database {escape(str(db))}); docs at /docs")
    uvicorn.run(create_app(engine, limits), host=host, port=port, log_level="warning")


@admin.command("zone-add")
def zone_add(
    zone_id: Annotated[
        str, typer.Argument(help="the zone's id in the service (lower-case, digits, - and _)")
    ],
    run_dir: Annotated[Path, typer.Argument(help="a folder 'greenzone run' wrote")],
    db: DbOpt = "greenzone-service.db",
) -> None:
    """Register (or replace) a zone from its run folder."""
    from greenzone.service.db import connect
    from greenzone.service.zones import add_zone

    record = add_zone(connect(db), zone_id, run_dir)
    console.print(f"zone {escape(zone_id)}: {escape(record['name'])} from {escape(record['run_dir'])}")


@admin.command("token-create")
def token_create(
    name: Annotated[str, typer.Argument(help="who or what holds the token (unique)")],
    db: DbOpt = "greenzone-service.db",
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="ZONE=ROLE (viewer, operator or admin); repeat for several zones"),
    ] = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from greenzone.service.auth import AccessError, create_token, grant
    from greenzone.service.db import connect

    pairs = []
    for item in role or []:
        zone_id, sep, level = item.partition("=")
        if not sep:
            raise AccessError(f"--role {item!r}: write ZONE=ROLE, e.g. karabakh=operator")
        pairs.append((zone_id, level))
    engine = connect(db)
    token = create_token(engine, name)
    for zone_id, level in pairs:
        grant(engine, name, zone_id, level)
    typer.echo(token)


@admin.command("grant")
def grant_command(
    name: Annotated[str, typer.Argument(help="the token's name")],
    zone_id: Annotated[str, typer.Argument(help="the zone")],
    role: Annotated[str, typer.Argument(help="viewer, operator, admin, or none to take the zone away")],
    db: DbOpt = "greenzone-service.db",
) -> None:
    """Give a token a role on a zone."""
    from greenzone.service.auth import grant
    from greenzone.service.db import connect

    grant(connect(db), name, zone_id, role)
    console.print(f"{escape(name)}: {escape(role)} of {escape(zone_id)}")


@admin.command("token-revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="the token's name")], db: DbOpt = "greenzone-service.db"
) -> None:
    """Revoke a token: every later request with it gets 401."""
    from greenzone.service.auth import revoke
    from greenzone.service.db import connect

    revoke(connect(db), name)
    console.print(f"revoked {escape(name)}")


@admin.command("token-list")
def token_list(db: DbOpt = "greenzone-service.db") -> None:
    """Every token's name, dates and roles (never the token)."""
    from greenzone.service.auth import list_tokens
    from greenzone.service.db import connect

    for t in list_tokens(connect(db)):
        roles = ", ".join(f"{z}={r}" for z, r in t["roles"].items()) or "no zones"
        state = f"revoked {t['revoked_at']}" if t["revoked_at"] else "active"
        console.print(f"{escape(t['name'])}: {state}; {escape(roles)}")
