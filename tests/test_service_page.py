"""The control-room page in headless Chromium (Debian's ``chromium``, no Python driver), served by a real
``greenzone serve``: it draws the latest schedule and the settled days from the API with the plotly.js the
service serves, loads nothing from elsewhere (its Content-Security-Policy would block it, and the test reads
the page's own status line), and says what is wrong when the token is missing."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from greenzone.service import auth, db, zones
from service_helpers import Server, client, forecast_text, make_run
from test_browser import _run_chromium, chromium  # noqa: F401 (the fixture)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("page")
    run = make_run(base)
    engine = db.connect(base / "page.db")
    zones.add_zone(engine, "two", run)
    token = auth.create_token(engine, "room")
    auth.grant(engine, "room", "two", "operator")
    engine.dispose()
    with Server(base / "page.db") as server:
        with client(server, token) as c:
            for day, scale in (("2027-03-01", 1.2), ("2027-03-02", 0.9), ("2027-03-03", None)):
                forecast = forecast_text(run, start=day)
                made = c.post("/zones/two/schedules", json={"state": {}, "forecast_csv": forecast})
                assert made.status_code == 201, made.text
                if scale is not None:
                    actual = forecast_text(run, start=day, scale=scale)
                    assert c.post("/zones/two/actuals", json={"actuals_csv": actual}).status_code == 201
        yield server, token, base


def _status(dom: str) -> tuple[str, str]:
    match = re.search(r'<p id="status" data-state="(\w+)">([^<]*)</p>', dom)
    assert match, dom[:2000]
    return match.group(1), html.unescape(match.group(2))


def test_the_page_draws_the_schedule_and_the_settled_days(served, chromium, tmp_path):  # noqa: F811
    server, token, _ = served
    done = _run_chromium(
        chromium, tmp_path / "profile", "--dump-dom", f"{server.url}/control-room#zone=two&token={token}"
    )
    state, text = _status(done.stdout)
    assert state == "ok", (text, done.stderr[-3000:])
    assert text == "schedule 3 shown; 2 day(s) settled against actuals"
    for figure in ("schedule-figure", "storage-figure", "history-figure", "cost-figure"):
        start = done.stdout.index(f'id="{figure}"')
        block = done.stdout[start : start + 200_000]
        assert "main-svg" in block and ('class="trace' in block or "class='trace" in block), figure
    assert "two-node test zone" in done.stdout
    assert token not in done.stdout  # the token leaves the address once read


def test_without_a_token_the_page_says_how_to_open_it(served, chromium, tmp_path):  # noqa: F811
    server, _, _ = served
    done = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", f"{server.url}/control-room#zone=two")
    state, text = _status(done.stdout)
    assert state == "error" and "#zone=ZONE&token=TOKEN" in text
    done = _run_chromium(
        chromium, tmp_path / "p2", "--dump-dom", f"{server.url}/control-room#zone=two&token=gz_bad"
    )
    assert _status(done.stdout) == ("error", "401: give a valid token: Authorization: Bearer <token>")


def test_the_page_loads_nothing_from_elsewhere(served):
    server, _, _ = served
    page = httpx.get(server.url + "/control-room")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for path in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert path.startswith("/static/"), path
        asset = httpx.get(server.url + path)
        assert asset.status_code == 200 and len(asset.content) > 100
    script = httpx.get(server.url + "/static/control-room.js").text
    assert "http://" not in script and "https://" not in script
    assert httpx.get(server.url + "/static/..%2Fapp.py").status_code == 404
