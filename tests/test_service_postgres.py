"""The service on PostgreSQL for real: a server of the tests' own (tests/pg_helpers.py, skipped without the
binaries), and the API tests that depend on the database run on it: schedules bit for bit equal to
``greenzone schedule``, roles, idempotency under concurrent requests, one transaction per request, and
migrations from an older schema."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import xarray as xr
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import IntegrityError

from cli_helpers import cli_main
from greenzone.operate.schedule import schedule_table
from greenzone.service import db, zones
from pg_helpers import Postgres
from service_helpers import Server, client, forecast_text, make_run, run_archive, seed_service

STATE = {"jabrayil/battery": 7.5}


@pytest.fixture(scope="module")
def pg():
    server = Postgres().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def service(pg, tmp_path_factory):
    base = tmp_path_factory.mktemp("pg-service")
    run = make_run(base)
    url = pg.url("service")
    engine = db.connect(url)
    tokens = seed_service(engine, run)
    with Server(base / "pg", database=url) as server:
        yield {"server": server, "run": run, "tokens": tokens, "engine": engine, "url": url}
    engine.dispose()


def _body(run, **extra):
    return {"state": STATE, "forecast_csv": forecast_text(run), **extra}


def test_the_schedule_on_postgresql_equals_greenzone_schedule_bit_for_bit(
    service, tmp_path, monkeypatch, capsys
):
    run = service["run"]
    (tmp_path / "state.json").write_text(json.dumps(STATE))
    (tmp_path / "forecast.csv").write_text(forecast_text(run))
    code, _, err = cli_main(
        monkeypatch, capsys, "schedule", str(run), "--state", str(tmp_path / "state.json"),
        "--forecast", str(tmp_path / "forecast.csv"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    with xr.open_dataset(tmp_path / "out" / "schedule.nc") as ds:
        table = schedule_table(ds.load())
    with client(service["server"], service["tokens"]["operator"]) as c:
        made = c.post("/zones/two/schedules", json=_body(run))
        assert made.status_code == 201, made.text
        fetched = c.get(f"/zones/two/schedules/{made.json()['id']}").json()  # read back from PostgreSQL
        again = c.post(f"/zones/two/schedules/{made.json()['id']}/reproduce").json()
    columns = fetched["schedule"]["columns"]
    assert list(columns) == list(table.columns)
    for name in table.columns:
        assert np.array_equal(np.array(columns[name]), table[name].to_numpy()), name
    assert again["identical"] is True


@pytest.mark.parametrize(
    ("method", "route", "least"),
    [
        ("GET", "/zones/two", "viewer"),
        ("GET", "/zones/two/schedules", "viewer"),
        ("POST", "/zones/two/schedules", "operator"),
        ("GET", "/zones/two/audit", "admin"),
        ("PUT", "/zones/two/run", "admin"),
    ],
)
def test_roles_on_postgresql(service, method, route, least):
    level = {"viewer": 0, "operator": 1, "admin": 2}
    run = service["run"]
    for who in ("none", "stranger", "viewer", "operator", "admin"):
        content = service.setdefault("archive", run_archive(run)) if method == "PUT" else None
        body = _body(run) if method == "POST" else None
        with client(service["server"], service["tokens"][who]) as c:
            answer = c.request(method, route, json=body, content=content)
        if who == "none":
            expected = 401
        elif who == "stranger":
            expected = 404
        elif level[who] < level[least]:
            expected = 403
        else:
            expected = 201 if method == "POST" else 200
        assert answer.status_code == expected, (who, method, route, answer.text)


def test_concurrent_requests_with_one_key_store_one_schedule_and_each_its_audit_entry(service):
    run, engine = service["run"], service["engine"]
    codes, ids = [], []
    body = _body(run, horizon=6)  # read once here: netCDF4 (read_run in forecast_text) is not thread-safe

    def one(key):
        with client(service["server"], service["tokens"]["operator"]) as c:
            answer = c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": key})
        codes.append(answer.status_code)
        ids.append((key, answer.json()["id"]))

    threads = [threading.Thread(target=one, args=(f"pg-{i % 2}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes).count(201) == 2 and set(codes) <= {200, 201}
    assert len({i for k, i in ids if k == "pg-0"}) == 1 and len({i for k, i in ids if k == "pg-1"}) == 1
    with engine.connect() as conn:
        for key in ("pg-0", "pg-1"):
            n = conn.execute(
                select(func.count()).select_from(db.schedules).where(db.schedules.c.idempotency_key == key)
            ).scalar()
            assert n == 1
        schedules = conn.execute(select(func.count()).select_from(db.schedules)).scalar()
        entries = conn.execute(
            select(func.count()).select_from(db.audit).where(db.audit.c.action == "create_schedule")
        ).scalar()
    assert schedules == entries  # every schedule with its audit entry, no entry without its schedule


def test_a_failing_write_leaves_nothing_on_postgresql(service):
    """An upload whose last statement fails (the uploader's grant names no token: a foreign key PostgreSQL
    enforces) leaves neither the zone, its archive nor its audit entry: the request was one transaction."""
    engine = service["engine"]

    def counts():
        with engine.connect() as conn:
            return [
                conn.execute(select(func.count()).select_from(t)).scalar()
                for t in (db.zones, db.zone_archives, db.audit)
            ]

    before = counts()
    with pytest.raises(IntegrityError):
        zones.upload_zone(engine, "ghost", run_archive(service["run"]), "nobody", 999_999)
    assert counts() == before


def test_an_older_postgresql_database_is_migrated_and_keeps_its_rows(pg):
    url = pg.url("old")
    old = create_engine(url)
    with old.begin() as conn:
        db.schema_version.create(conn)
        version, description, step = db.MIGRATIONS[0]
        step(conn)
        conn.execute(
            db.schema_version.insert().values(version=version, description=description, applied_at=db.now())
        )
        conn.execute(db.tokens.insert().values(name="kept", token_sha256="0" * 64, created_at=db.now()))
    old.dispose()
    for _ in range(2):
        engine = db.connect(url)
        assert {"jobs", "zone_archives"} <= set(db.tables(engine))
        with engine.connect() as conn:
            versions = list(
                conn.execute(
                    select(db.schema_version.c.version).order_by(db.schema_version.c.version)
                ).scalars()
            )
            names = list(conn.execute(select(db.tokens.c.name)).scalars())
        engine.dispose()
        assert versions == [1, 2, 3] and names == ["kept"]
