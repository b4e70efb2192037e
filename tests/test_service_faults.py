"""The service killed outright (SIGKILL) while it answers a schedule request, then restarted: the database is
consistent, the request is either stored in full (its schedule and its audit entry) or absent, and a retry
with the same idempotency key leaves exactly one schedule."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import pytest

from greenzone.service import auth, db, zones
from service_helpers import Server, client, forecast_text, make_run

STATE = {"jabrayil/battery": 5.0}


def _check(path, key: str) -> int:
    """The database's integrity and the request's rows; returns how many schedules the key has."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert con.execute("pragma foreign_key_check").fetchall() == []
        stored = con.execute("select id from schedules where idempotency_key = ?", (key,)).fetchall()
        audited = con.execute(
            "select count(*) from audit where action = 'create_schedule' and target like ?",
            (f"schedule {stored[0][0]} %",) if stored else ("none",),
        ).fetchone()[0]
        assert len(stored) <= 1
        assert audited == len(stored)  # the schedule and its audit entry: both or neither
        schedules = con.execute("select count(*) from schedules").fetchone()[0]
        entries = con.execute("select count(*) from audit where action = 'create_schedule'").fetchone()[0]
        assert schedules == entries
        empty = con.execute("select count(*) from schedules where result_json = '' or hours < 1").fetchone()[
            0
        ]
        assert empty == 0
        return len(stored)
    finally:
        con.close()


def _kill_during_requests(tmp_path, shares: tuple[float, ...]) -> list[int]:
    """Kill the server ``share`` of a request's duration after each request (48 h, answered at once) is sent, restart, retry; returns
    whether each killed request had been stored (1) or not (0)."""
    run = make_run(tmp_path)
    path = tmp_path / "faults.db"
    engine = db.connect(path)
    zones.add_zone(engine, "two", run)
    token = auth.create_token(engine, "op")
    auth.grant(engine, "op", "two", "operator")
    engine.dispose()
    body = {"state": STATE, "forecast_csv": forecast_text(run, hours=48), "horizon": 48}  # answered at once
    server = Server(path).start()
    try:
        with client(server, token) as c:  # how long one request takes here
            t0 = time.perf_counter()
            assert (
                c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": "warm"}).status_code
                == 201
            )
            duration = time.perf_counter() - t0
        outcomes = []
        for i, share in enumerate(shares):
            key = f"kill-{i}"

            def send(key=key, server=server):
                try:
                    with client(server, token) as c:
                        c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    pass  # the server died under the request

            sender = threading.Thread(target=send)
            sender.start()
            time.sleep(share * duration)
            server.kill()
            sender.join(30)
            outcomes.append(_check(path, key))
            server = Server(path).start()
            with client(server, token) as c:
                retry = c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": key})
            assert retry.status_code == (200 if outcomes[-1] else 201), retry.text
            assert _check(path, key) == 1
    finally:
        server.stop()
    return outcomes


def test_sigkill_during_a_schedule_request_leaves_it_whole_or_absent(tmp_path):
    """Two kill points by default (early in the request, and about when it is answered); the slow test below
    tries sixteen."""
    assert len(_kill_during_requests(tmp_path, (0.3, 1.0))) == 2


@pytest.mark.slow
def test_sigkill_at_many_points_of_a_request(tmp_path):
    outcomes = _kill_during_requests(tmp_path, tuple(k / 10 for k in range(0, 16)))
    assert len(outcomes) == 16


@pytest.mark.parametrize(
    "waits",
    [pytest.param((0.0,), id="at-once"), pytest.param((0.0, 0.3, 0.6), id="later", marks=pytest.mark.slow)],
)
def test_a_job_killed_with_the_server_is_run_again_and_stores_one_schedule(tmp_path, waits):
    """A 168-hour request is a job: the server killed at once after queuing it (or while it may run) resumes
    it at the next start, and the job's key gives one schedule."""
    run = make_run(tmp_path)
    path = tmp_path / "jobs.db"
    engine = db.connect(path)
    zones.add_zone(engine, "two", run)
    token = auth.create_token(engine, "op")
    auth.grant(engine, "op", "two", "operator")
    engine.dispose()
    body = {"state": STATE, "forecast_csv": forecast_text(run, hours=168)}
    for k, wait in enumerate(waits):
        key = f"job-{k}"
        server = Server(path).start()
        try:
            with client(server, token) as c:
                queued = c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": key})
            assert queued.status_code == 202, queued.text
            job = queued.json()["job"]
            time.sleep(wait)
            server.kill()
            _check(path, key)
            server = Server(path).start()
            with client(server, token) as c:
                for _ in range(600):
                    state = c.get(f"/zones/two/jobs/{job}").json()
                    if state["state"] in ("done", "failed"):
                        break
                    time.sleep(0.1)
                assert state["state"] == "done", state
                again = c.post("/zones/two/schedules", json=body, headers={"Idempotency-Key": key})
                assert again.status_code == 200 and again.json()["id"] == state["schedule_id"]
                assert c.get(state["schedule"]).json()["hours"] == 168
        finally:
            server.stop()
        assert _check(path, key) == 1
