"""The service's database: its tables (SQLAlchemy Core) and versioned migrations.

SQLite by default (one file, WAL journal so that readers never wait for the writer, foreign keys on), or any
SQLAlchemy URL (``postgresql+psycopg://...``) for a shared deployment. The schema is created and upgraded by
:func:`migrate`: a ``schema_version`` table records every migration applied, and each migration runs in its own
transaction, so a database is always at one known version. (A list of our own instead of alembic: eight
tables, three migrations so far, and no second tool to install and learn for it.)

Every request that writes does so in one transaction (:func:`transaction`): its rows and its audit entry are
committed together or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

__all__ = ["SCHEMA_VERSION", "connect", "latest", "migrate", "now", "transaction"]

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

zones = Table(
    "zones",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("run_dir", Text, nullable=False),
    Column("zone_fingerprint", String(128), nullable=False),
    Column("plan_sha256", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)

grants = Table(
    "grants",
    metadata,
    Column("token_id", Integer, ForeignKey("tokens.id"), primary_key=True),
    Column("zone_id", String(64), ForeignKey("zones.id"), primary_key=True),
    Column("role", String(16), nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_id", String(64), ForeignKey("zones.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("request_sha256", String(64), nullable=False),
    Column("state_json", Text, nullable=False),
    Column("forecast_csv", Text, nullable=False),
    Column("horizon_h", Integer, nullable=True),
    Column("start", DateTime, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("greenzone_version", String(32), nullable=False),
    Column("zone_fingerprint", String(128), nullable=False),
    Column("solver_status", String(32), nullable=False),
    Column("solver_iterations", Integer, nullable=False),
    Column("result_json", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer, ForeignKey("tokens.id"), nullable=False),
    UniqueConstraint("zone_id", "idempotency_key", name="one_schedule_per_key"),
)

actuals = Table(
    "actuals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_id", String(64), ForeignKey("zones.id"), nullable=False),
    Column("start", DateTime, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("actuals_csv", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer, ForeignKey("tokens.id"), nullable=False),
    UniqueConstraint("zone_id", "start", name="one_actuals_per_start"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("token_name", String(128), nullable=False),
    Column("zone_id", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
)


jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("zone_id", String(64), ForeignKey("zones.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("state_json", Text, nullable=False),
    Column("forecast_csv", Text, nullable=False),
    Column("horizon_h", Integer, nullable=True),
    Column("state", String(16), nullable=False),
    Column("schedule_id", Integer, ForeignKey("schedules.id"), nullable=True),
    Column("error", Text, nullable=True),
    Column("error_status", Integer, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("created_by", Integer, ForeignKey("tokens.id"), nullable=False),
    UniqueConstraint("zone_id", "idempotency_key", name="one_job_per_key"),
)


zone_archives = Table(
    "zone_archives",
    metadata,
    Column("zone_id", String(64), ForeignKey("zones.id"), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("archive", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
"""Run folders uploaded over HTTP, as sent (a tar or zip); such a zone's ``run_dir`` is ``db:<sha256>``."""


def _initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[zones, tokens, grants, schedules, actuals, audit])


def _jobs(conn: Connection) -> None:
    metadata.create_all(conn, tables=[jobs])


def _zone_archives(conn: Connection) -> None:
    metadata.create_all(conn, tables=[zone_archives])


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "zones, tokens, grants, schedules, actuals, audit", _initial),
    (2, "jobs: schedule requests answered by polling", _jobs),
    (3, "zone_archives: run folders uploaded over HTTP", _zone_archives),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def now() -> _dt.datetime:
    """The current time, timezone-naive UTC to the microsecond."""
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def database_url(db: str | Path) -> str:
    """A SQLAlchemy URL: ``db`` itself when it is one (``postgresql+psycopg://...``), else a SQLite file."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def connect(db: str | Path) -> Engine:
    """An engine on ``db`` (a SQLite path or a URL), migrated to :data:`SCHEMA_VERSION`."""
    url = database_url(db)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> int:
    """Apply every migration the database lacks, each in its own transaction; returns the version reached."""
    with engine.begin() as conn:
        schema_version.create(conn, checkfirst=True)
    with engine.connect() as conn:
        applied = set(conn.execute(select(schema_version.c.version)).scalars())
    for version, description, step in MIGRATIONS:
        if version in applied:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(
                schema_version.insert().values(version=version, description=description, applied_at=now())
            )
    return SCHEMA_VERSION


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with engine.begin() as conn:
        yield conn


def tables(engine: Engine) -> list[str]:
    """The tables the database holds."""
    return sorted(inspect(engine).get_table_names())


def latest(engine: Engine, table: Table, zone_id: str, limit: int, *, most: int) -> list:
    """A zone's newest rows of ``table`` (schedules, audit), newest first: ``limit`` of them, between 1 and
    ``most``."""
    with engine.connect() as conn:
        return conn.execute(
            select(table)
            .where(table.c.zone_id == zone_id)
            .order_by(table.c.id.desc())
            .limit(max(1, min(limit, most)))
        ).all()
