"""The operator's service through a real ``greenzone serve`` process on loopback: schedules equal to
``greenzone schedule`` bit for bit and reproducible, tokens and roles on every route, bad and hostile input
refused with the documented status, settlement against actuals, the admin command."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from cli_helpers import cli_main
from greenzone.operate.schedule import schedule_table
from greenzone.service import auth, db, zones
from service_helpers import Server, client, forecast_text, make_run, run_archive, seed_service

STATE = {"jabrayil/battery": 7.5}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A service with zone 'two' and zone 'other' (the same run), and a token per role."""
    base = tmp_path_factory.mktemp("service")
    run = make_run(base)
    engine = db.connect(base / "service.db")
    tokens = seed_service(engine, run)
    engine.dispose()
    with Server(base / "service.db") as server:
        yield {"server": server, "run": run, "tokens": tokens, "base": base}


def _post_schedule(c, run, key=None, **body):
    payload = {"state": STATE, **body}
    if "forecast_csv" not in payload:  # read only when not given: netCDF4 is not thread-safe
        payload["forecast_csv"] = forecast_text(run)
    headers = {"Idempotency-Key": key} if key else {}
    return c.post("/zones/two/schedules", json=payload, headers=headers)


def test_the_schedule_equals_greenzone_schedule_bit_for_bit(service, tmp_path, monkeypatch, capsys):
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
        answer = _post_schedule(c, run)
    assert answer.status_code == 201, answer.text
    got = answer.json()
    assert got["solver_status"] == "optimal" and got["greenzone_version"] and got["hours"] == 24
    columns = got["schedule"]["columns"]
    assert list(columns) == list(table.columns)
    assert float(np.abs(table["storage_level:jabrayil/battery [MWh]"]).max()) > 0  # the state mattered
    for name in table.columns:
        assert np.array_equal(np.array(columns[name]), table[name].to_numpy()), name  # exactly equal
    assert got["schedule"]["time"][0] == "2027-03-01T00:00:00"


def test_a_stored_schedule_is_fetched_with_its_inputs_and_made_again_exactly(service):
    run = service["run"]
    with client(service["server"], service["tokens"]["operator"]) as c:
        made = _post_schedule(c, run, horizon=12).json()
        fetched = c.get(f"/zones/two/schedules/{made['id']}", params={"inputs": "true"}).json()
        assert fetched["schedule"] == made["schedule"]
        assert fetched["request"] == {"state": STATE, "forecast_csv": forecast_text(run), "horizon": 12}
        again = c.post(f"/zones/two/schedules/{made['id']}/reproduce").json()
        assert again["identical"] is True
        listed = c.get("/zones/two/schedules").json()
        assert made["id"] in [s["id"] for s in listed] and "schedule" not in listed[0]


def test_an_idempotency_key_gives_one_schedule(service):
    run = service["run"]
    with client(service["server"], service["tokens"]["operator"]) as c:
        first = _post_schedule(c, run, key="day-2027-03-01")
        second = _post_schedule(c, run, key="day-2027-03-01")
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["id"] == second.json()["id"]
        other = _post_schedule(c, run, key="day-2027-03-01", horizon=6)
        assert other.status_code == 422 and "was used for another request" in other.json()["detail"]
    rows = sqlite3.connect(service["base"] / "service.db").execute(
        "select count(*) from schedules where idempotency_key = 'day-2027-03-01'"
    )
    assert rows.fetchone()[0] == 1


# route, method, whether it needs a body, and the least role it needs
ROUTES = [
    ("GET", "/zones/two", "viewer"),
    ("GET", "/zones/two/schedules", "viewer"),
    ("GET", "/zones/two/schedules/{id}", "viewer"),
    ("GET", "/zones/two/schedules/{id}/settlement", "viewer"),
    ("POST", "/zones/two/schedules", "operator"),
    ("POST", "/zones/two/schedules/{id}/reproduce", "operator"),
    ("POST", "/zones/two/actuals", "operator"),
    ("GET", "/zones/two/audit", "admin"),
    ("GET", "/zones/two/jobs/{job}", "viewer"),
    ("PUT", "/zones/two/run", "admin"),
]
LEVEL = {"viewer": 0, "operator": 1, "admin": 2}


@pytest.mark.parametrize(("method", "route", "least"), ROUTES)
@pytest.mark.parametrize("who", ["none", "unknown", "revoked", "stranger", "viewer", "operator", "admin"])
def test_tokens_and_roles_on_every_route(service, method, route, least, who):
    """The route × role table of docs/service.md: 401 without a valid token, 404 for another zone's token,
    403 for a role too low, else the route's own success."""
    run, tokens = service["run"], service["tokens"]
    if "table_schedule" not in service:
        with client(service["server"], tokens["operator"]) as c:
            service["table_schedule"] = _post_schedule(c, run).json()["id"]
            c.post("/zones/two/actuals", json={"actuals_csv": forecast_text(run, scale=1.2)})
            long = {"state": STATE, "forecast_csv": forecast_text(run, hours=72)}
            service["table_job"] = c.post("/zones/two/schedules", json=long).json()["job"]
    schedule_id = service["table_schedule"]
    path = route.replace("{id}", str(schedule_id)).replace("{job}", service["table_job"])
    body, content = None, None
    if method == "PUT":  # the same run folder again, as an archive: the zone's plan is unchanged
        content = service.setdefault("archive", run_archive(run))
    elif route.endswith("/schedules"):
        body = {"state": STATE, "forecast_csv": forecast_text(run)} if method == "POST" else None
    elif route.endswith("/actuals"):
        body = {"actuals_csv": forecast_text(run, scale=1.2)}
    with client(service["server"], tokens[who]) as c:
        answer = c.request(method, path, json=body, content=content)
    if who in ("none", "unknown", "revoked"):
        expected = 401
    elif who == "stranger":
        expected = 404
    elif LEVEL[who] < LEVEL[least]:
        expected = 403
    else:
        expected = 201 if method == "POST" and not route.endswith("reproduce") else 200  # PUT: replaced
    assert answer.status_code == expected, (who, method, path, answer.text)
    if expected == 401:
        assert answer.headers["www-authenticate"] == "Bearer"


def test_zones_lists_only_the_tokens_zones(service):
    with client(service["server"], service["tokens"]["stranger"]) as c:
        assert [z["id"] for z in c.get("/zones").json()] == ["other"]
    with client(service["server"], service["tokens"]["viewer"]) as c:
        assert c.get("/zones").json() == [{"id": "two", "name": "two-node test zone", "role": "viewer"}]
        assert c.get("/health").json()["schema_version"] == db.SCHEMA_VERSION


def _csv_with(run, column, value, row=3):
    lines = forecast_text(run).splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"state": {"x/battery": 1}}, 422, "state: unknown storage or reservoir 'x/battery'"),
        ({"state": {"jabrayil/battery": 99}}, 422, "outside its range 0 … 20 MWh"),
        ({"state": {"jabrayil/battery": "full"}}, 422, "the level must be a number [MWh]"),
        ({"state": {"jabrayil/battery": -1}}, 422, "must be a finite number >= 0"),
        ({"forecast_csv": ""}, 422, "forecast.csv: the forecast file is empty"),
        ({"forecast_csv": "time,wind speed\n2027-03-01 00:00,3\n"}, 422, "is not understood"),
        ({"horizon": 48}, 422, "forecast.csv: the forecast covers 24 hours, but the horizon is 48 hours"),
        ({"horizon": 1000}, 422, "at most 168 hours per request"),
        ({"horizon": 0}, 422, "greater than or equal to 1"),
        ({"extra": 1}, 422, "Extra inputs are not permitted"),
        ({"forecast_csv": "\x00\x01\x02binary"}, 422, "forecast.csv"),
    ],
)
def test_bad_input_gets_the_clis_message_and_422(service, body, status, message):
    run = service["run"]
    payload = {"state": STATE, "forecast_csv": forecast_text(run), **body}
    with client(service["server"], service["tokens"]["operator"]) as c:
        answer = c.post("/zones/two/schedules", json=payload)
    assert answer.status_code == status, answer.text
    assert message in json.dumps(answer.json(), ensure_ascii=False).replace("\\n", " ")
    assert "Traceback" not in answer.text and "/tmp" not in answer.text


def test_bad_cells_are_named_by_line_and_column(service):
    run = service["run"]
    for value, words in (("nan", "line 4"), ("1e999", "line 4"), ("abc", "line 4")):
        text = _csv_with(run, "demand:jabrayil [MW]", value)
        with client(service["server"], service["tokens"]["operator"]) as c:
            answer = c.post("/zones/two/schedules", json={"state": STATE, "forecast_csv": text})
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"] and "demand:jabrayil [MW]" in answer.json()["detail"]


def test_oversized_malformed_and_hostile_requests(service):
    tokens, server = service["tokens"], service["server"]
    with client(server, tokens["operator"]) as c:
        huge = c.post(
            "/zones/two/schedules",
            content=b'{"forecast_csv": "' + b"x" * 2_100_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        chunked = c.post(
            "/zones/two/schedules",
            content=iter([b'{"forecast_csv": "', b"x" * 2_100_000, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413
        broken = c.post(
            "/zones/two/schedules", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 422
        deep = c.post(
            "/zones/two/schedules",
            content=b'{"state": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert deep.status_code in (400, 422)
        for zone in ("..%2F..%2Fetc", "two'%20or%20'1'='1", "TWO", "x" * 300):
            assert c.get(f"/zones/{zone}").status_code == 404
        assert c.get("/zones/two/schedules/999999").status_code == 404
        assert c.get("/zones/two/schedules/abc").status_code == 422
    with client(server, "gz_" + "y" * 5000) as c:
        assert c.get("/zones/two").status_code == 401
    assert client(server, None).get("/health").status_code == 200  # the one open route, but the page


def test_the_audit_log_records_every_write(service):
    run = service["run"]
    with client(service["server"], service["tokens"]["operator"]) as c:
        made = _post_schedule(c, run, horizon=3).json()
        c.post("/zones/two/actuals", json={"actuals_csv": forecast_text(run, scale=1.1)})
    with client(service["server"], service["tokens"]["admin"]) as c:
        entries = c.get("/zones/two/audit").json()
    actions = [(e["who"], e["action"]) for e in entries]
    assert ("operator", "create_schedule") in actions and ("operator", "replace_actuals") in actions
    assert any(f"schedule {made['id']} " in e["target"] for e in entries)
    assert ("admin", "grant") in actions and ("admin", "add_zone") in actions


def test_settlement_against_actuals(service):
    """Actuals equal to the forecast: the settled day is the perfect-forecast day and the forecast error costs
    nothing; other actuals: the settled cost differs and the balance is met (no unserved load)."""
    run = service["run"]
    with client(service["server"], service["tokens"]["operator"]) as c:
        exact = _post_schedule(c, run, forecast_csv=forecast_text(run, start="2027-03-05")).json()
        c.post("/zones/two/actuals", json={"actuals_csv": forecast_text(run, start="2027-03-05")})
        same = c.get(f"/zones/two/schedules/{exact['id']}/settlement").json()
        assert same["cost_of_forecast_error_usd"] == 0.0
        assert same["operating_cost_usd"] == same["perfect_forecast_operating_cost_usd"]
        off = _post_schedule(c, run, forecast_csv=forecast_text(run, start="2027-03-09")).json()
        missing = c.get(f"/zones/two/schedules/{off['id']}/settlement")
        assert missing.status_code == 404 and "no actuals" in missing.json()["detail"]
        c.post("/zones/two/actuals", json={"actuals_csv": forecast_text(run, start="2027-03-09", scale=1.4)})
        settled = c.get(f"/zones/two/schedules/{off['id']}/settlement").json()
    assert settled["cost_of_forecast_error_usd"] != 0.0
    assert settled["unserved_energy_mwh"] == pytest.approx(0.0, abs=1e-6)
    assert settled["mean_abs_net_load_error_mw"] > 0
    hourly = settled["hourly"]
    assert len(hourly["time"]) == 24
    assert np.allclose(np.array(hourly["demand_actual [MW]"]) / np.array(hourly["demand_forecast [MW]"]), 1.4)


def _with_prices(text: str, imp: float, exp: float) -> str:
    frame = pd.read_csv(io.StringIO(text))
    frame["grid_import_price [USD/MWh]"], frame["grid_export_price [USD/MWh]"] = imp, exp
    return frame.to_csv(index=False)


def test_metered_prices_change_the_settlement_by_what_they_cost(service):
    """The same actuals with metered grid prices (import 100, export 30 USD/MWh, the zone's are 62 and 40):
    the settled dispatch is the same, and the settled cost rises by 38 USD per MWh imported and 10 per MWh
    exported."""
    run = service["run"]
    actual = forecast_text(run, start="2027-03-13", scale=1.4)
    with client(service["server"], service["tokens"]["operator"]) as c:
        made = _post_schedule(c, run, forecast_csv=forecast_text(run, start="2027-03-13")).json()
        assert c.post("/zones/two/actuals", json={"actuals_csv": actual}).status_code == 201
        plain = c.get(f"/zones/two/schedules/{made['id']}/settlement").json()
        priced_csv = _with_prices(actual, 100.0, 30.0)
        assert c.post("/zones/two/actuals", json={"actuals_csv": priced_csv}).status_code == 201
        priced = c.get(f"/zones/two/schedules/{made['id']}/settlement").json()
        bad = c.post("/zones/two/actuals", json={"actuals_csv": _with_prices(actual, "abc", 30.0)})
        in_forecast = _post_schedule(c, run, forecast_csv=_with_prices(forecast_text(run), 100.0, 30.0))
    assert plain["metered_prices"] == [] and set(plain["hourly"]["import_price [USD/MWh]"]) == {62.0}
    assert priced["metered_prices"] == ["grid_export_price", "grid_import_price"]
    assert set(priced["hourly"]["import_price [USD/MWh]"]) == {100.0}
    imported = np.array(plain["hourly"]["grid_import_settled [MW]"])
    exported = np.array(plain["hourly"]["grid_export_settled [MW]"])
    assert imported.sum() > 1.0  # the zone imports on this day: the price matters
    assert priced["hourly"]["grid_import_settled [MW]"] == list(imported)  # the same settled dispatch
    expected = plain["operating_cost_usd"] + 38.0 * imported.sum() + 10.0 * exported.sum()
    assert priced["operating_cost_usd"] == pytest.approx(expected, rel=1e-12, abs=1e-6)
    assert bad.status_code == 422 and "grid_import_price [USD/MWh]" in bad.json()["detail"]
    assert in_forecast.status_code == 422 and "is not understood" in in_forecast.json()["detail"]


def test_past_the_rate_a_token_gets_429_not_a_timeout(tmp_path, service):
    engine = db.connect(tmp_path / "rate.db")
    zones.add_zone(engine, "two", service["run"])
    token = auth.create_token(engine, "op")
    auth.grant(engine, "op", "two", "viewer")
    engine.dispose()
    with Server(tmp_path / "rate.db", "--rate", "2", "--burst", "3") as server, client(server, token) as c:
        codes = [c.get("/zones/two/schedules").status_code for _ in range(10)]
        limited = c.get("/zones/two/schedules")
    assert codes[:3] == [200, 200, 200] and 429 in codes and set(codes) <= {200, 429}
    if limited.status_code == 429:
        assert float(limited.headers["retry-after"]) > 0


def test_an_infeasible_day_is_409_with_the_clis_diagnosis(tmp_path, monkeypatch, capsys):
    """A reservoir asked to release more water than it holds and receives: 409 with the cause (the forecast
    column, the hour, the water short), the message `greenzone schedule` prints with exit code 3."""
    import shutil

    from greenzone.output import write_netcdf
    from greenzone.planning.year import plan
    from plan_helpers import two_node_profiles, two_node_zone

    zone, path = two_node_zone(tmp_path)
    profiles = two_node_profiles(zone)
    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(path, run / "zone.yaml")
    write_netcdf(profiles, run / "profiles.nc")
    write_netcdf(plan(zone, profiles), run / "plan.nc")
    hours = 24
    frame = {
        "time": [f"2027-03-01 {h:02d}:00" for h in range(hours)],
        "demand:a [MW]": [30.0] * hours,
        "demand:b [MW]": [15.0] * hours,
        "cf:a/solar_fixed [-]": [0.5] * hours,
        "cf:b/wind_onshore [-]": [0.3] * hours,
        "inflow:b/hydro_reservoir [MW]": [8.0] * hours,
        "min_release:b/hydro_reservoir [MW]": [500.0] * hours,
    }
    forecast = pd.DataFrame(frame).to_csv(index=False)
    state = {"b/hydro_reservoir": 100.0}
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "forecast.csv").write_text(forecast)
    code, _, err = cli_main(
        monkeypatch, capsys, "schedule", str(run), "--state", str(tmp_path / "state.json"),
        "--forecast", str(tmp_path / "forecast.csv"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 3, err
    engine = db.connect(tmp_path / "hydro.db")
    zones.add_zone(engine, "hydro", run)
    token = auth.create_token(engine, "op")
    auth.grant(engine, "op", "hydro", "operator")
    engine.dispose()
    with Server(tmp_path / "hydro.db") as server, client(server, token) as c:
        answer = c.post("/zones/hydro/schedules", json={"state": state, "forecast_csv": forecast})
        listed = c.get("/zones/hydro/schedules").json()
    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("the schedule from 2027-03-01 00:00:00 is infeasible:")
    assert (
        "min_release:b/hydro_reservoir [MW]: b/hydro_reservoir must release 500.0 MWh by 2027-03-01 00:00"
        in detail
    )
    assert " ".join(detail.split()) in " ".join(err.split())  # the CLI's own message
    assert listed == []  # nothing stored


def test_a_solver_past_its_time_limit_is_503(service, monkeypatch):
    """In process: a SolverError reaching the route is answered with its message and 503, never 500."""
    from fastapi.testclient import TestClient

    from greenzone.errors import SolverError
    from greenzone.service import app as service_app
    from greenzone.service import scheduling

    engine = db.connect(service["base"] / "service.db")
    app = service_app.create_app(engine)
    error = SolverError("the schedule from 2027-03-01 00:00:00: HiGHS stopped at its time limit of 30 s")

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(scheduling, "make_schedule", fail)
    with TestClient(app) as c:
        answer = c.post(
            "/zones/two/schedules",
            json={"state": STATE, "forecast_csv": forecast_text(service["run"])},
            headers={"Authorization": f"Bearer {service['tokens']['operator']}"},
        )
    assert answer.status_code == 503 and answer.json()["detail"] == str(error)
    engine.dispose()


def test_serve_admin_commands(tmp_path, monkeypatch, capsys, service):
    dbfile = str(tmp_path / "admin.db")
    code, out, err = cli_main(
        monkeypatch, capsys, "serve-admin", "zone-add", "two", str(service["run"]), "--db", dbfile
    )
    assert code == 0, err
    code, out, err = cli_main(
        monkeypatch, capsys, "serve-admin", "token-create", "scada", "--db", dbfile, "--role", "two=operator"
    )
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("gz_") and len(token) > 40
    stored = sqlite3.connect(dbfile).execute("select token_sha256 from tokens").fetchall()
    assert token not in json.dumps(stored) and stored[0][0] == auth.token_hash(token)
    code, out, _ = cli_main(monkeypatch, capsys, "serve-admin", "token-list", "--db", dbfile)
    assert "scada: active; two=operator" in " ".join(out.split())
    code, _, err = cli_main(
        monkeypatch, capsys, "serve-admin", "grant", "scada", "two", "chief", "--db", dbfile
    )
    assert code == 2 and "use one of viewer, operator, admin" in err
    code, _, err = cli_main(
        monkeypatch, capsys, "serve-admin", "grant", "nobody", "two", "viewer", "--db", dbfile
    )
    assert code == 2 and "no token called 'nobody'" in err
    code, _, err = cli_main(
        monkeypatch, capsys, "serve-admin", "zone-add", "Bad/Id", str(service["run"]), "--db", dbfile
    )
    assert code == 2 and "zone id" in err
    code, _, _ = cli_main(monkeypatch, capsys, "serve-admin", "token-revoke", "scada", "--db", dbfile)
    assert code == 0
    engine = db.connect(dbfile)
    assert auth.authenticate(engine, f"Bearer {token}") is None
    engine.dispose()


def test_run_folders_read_from_many_threads_at_once(service):
    """read_run from eight threads together (the service's request threads, job worker and uploads do so):
    netCDF4 is not thread-safe, so runfolder holds one lock around its reads; without it this crashed the
    process about one run in three with six threads."""
    from greenzone.runfolder import read_run

    plans, errors = [], []

    def read():
        try:
            for _ in range(3):
                plans.append(read_run(service["run"]).plan)
        except Exception as exc:  # noqa: BLE001 - any failure in a thread fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(plans) == 24
    assert all(p.equals(plans[0]) for p in plans)


def test_concurrent_requests_are_all_stored(service):
    run = service["run"]
    answers = []
    text = forecast_text(run)  # read once here: netCDF4 (read_run in forecast_text) is not thread-safe

    def one(k):
        with client(service["server"], service["tokens"]["operator"]) as c:
            answers.append(_post_schedule(c, run, key=f"concurrent-{k % 3}", forecast_csv=text).json()["id"])

    threads = [threading.Thread(target=one, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and len(set(answers)) == 3  # one schedule per key, however they race


def test_a_request_past_a_day_ahead_is_a_job_polled_to_its_schedule(service, tmp_path, monkeypatch, capsys):
    """72 hours: 202 with a job at once, polled until done; the schedule equals greenzone schedule's."""
    run = service["run"]
    forecast = forecast_text(run, hours=72, start="2027-04-01")
    with client(service["server"], service["tokens"]["operator"]) as c:
        short = forecast_text(run, hours=72).replace("cf:jabrayil/solar_fixed [-]", "cf:jabrayil/solar [-]")
        bad = c.post("/zones/two/schedules", json={"state": STATE, "forecast_csv": short})
        assert bad.status_code == 422 and "names no unit of the zone" in bad.json()["detail"]  # never queued
        failing = c.post("/zones/two/schedules", json={"state": {"x/battery": 1}, "forecast_csv": forecast})
        assert failing.status_code == 202  # the units are checked by the window model, in the job
        for _ in range(600):
            job = c.get(failing.json()["poll"]).json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["state"] == "failed" and job["error_status"] == 422
        assert job["error"].startswith("state: unknown storage or reservoir 'x/battery'")
        queued = c.post(
            "/zones/two/schedules",
            json={"state": STATE, "forecast_csv": forecast},
            headers={"Idempotency-Key": "long"},
        )
        assert queued.status_code == 202 and queued.json()["state"] in ("queued", "running", "done")
        poll = queued.json()["poll"]
        for _ in range(600):
            job = c.get(poll).json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["state"] == "done", job
        made = c.get(job["schedule"]).json()
        same = c.post(
            "/zones/two/schedules",
            json={"state": STATE, "forecast_csv": forecast},
            headers={"Idempotency-Key": "long"},
        )
        assert same.status_code == 200 and same.json()["id"] == job["schedule_id"]  # the stored schedule
        assert c.get("/zones/two/jobs/nope").status_code == 404
    (tmp_path / "state.json").write_text(json.dumps(STATE))
    (tmp_path / "forecast.csv").write_text(forecast)
    code, _, err = cli_main(
        monkeypatch, capsys, "schedule", str(run), "--state", str(tmp_path / "state.json"),
        "--forecast", str(tmp_path / "forecast.csv"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    with xr.open_dataset(tmp_path / "out" / "schedule.nc") as ds:
        table = schedule_table(ds.load())
    assert made["hours"] == 72 and list(made["schedule"]["columns"]) == list(table.columns)
    for name in table.columns:
        assert np.array_equal(np.array(made["schedule"]["columns"][name]), table[name].to_numpy()), name


def test_an_older_database_is_migrated_and_keeps_its_rows(tmp_path):
    """A database at schema version 1 (before jobs) is upgraded at connect: versions 2 and 3 (jobs, zone_archives), every
    row kept; connecting again changes nothing."""
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
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
    assert (
        "jobs"
        not in sqlite3.connect(tmp_path / "old.db").execute("select name from sqlite_master").fetchall()
    )
    for _ in range(2):
        engine = db.connect(tmp_path / "old.db")
        assert {"jobs", "zone_archives"} <= set(db.tables(engine))
        engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    assert [v for (v,) in con.execute("select version from schema_version order by version")] == [1, 2, 3]
    assert con.execute("select name from tokens").fetchall() == [("kept",)]
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_the_openapi_document_lists_every_route_of_the_table(service):
    schema = httpx.get(service["server"].url + "/openapi.json").json()
    paths = {path.replace("{schedule_id}", "{id}").replace("{job_id}", "{job}") for path in schema["paths"]}
    for _method, route, _role in ROUTES:
        assert route.replace("/zones/two", "/zones/{zone}") in paths, route
    assert schema["info"]["title"] == "greenzone service"
