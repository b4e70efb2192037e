"""The report: figures of a small plan, the self-contained HTML, and the CLI around it end to end.

Plans here are small: two Karabakh nodes (so the embedded synthetic climatology covers them) over two weeks in
winter and two in summer, each hour standing for 8,760 / 672 hours; and a one-node plan on hand-made profiles
(not synthetic weather).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import xarray as xr
import yaml

from cli_helpers import cli_main
from greenzone.kpi import kpis
from greenzone.output import write_netcdf, write_text
from greenzone.planning.year import plan
from greenzone.report import ReportError, figures, render_report, select_weeks, write_report
from greenzone.report.html import plotly_js
from greenzone.zone import load_zone
from plan_helpers import hand_profiles, write_small_zone

TWO_NODES = {
    "name": "two-node test zone",
    "timezone": "Asia/Baku",
    "year": 2027,
    "sources": ["test zone for greenzone's report tests; figures est."],
    "nodes": [
        {
            "id": "jabrayil",
            "name": "Jabrayil",
            "lat": 39.4,
            "lon": 47.026,
            "elevation_m": 460,
            "usable_land_km2": 40,
            "demand": {"annual_mwh": 52000, "profile": "mixed"},
            "technologies": {"solar_fixed": {"existing_mw": 10, "max_mw": 200}, "battery": {}},
        },
        {
            "id": "kalbajar",
            "name": "Kalbajar",
            "lat": 40.107,
            "lon": 46.038,
            "elevation_m": 3000,
            "roughness_length_m": 0.03,
            "usable_land_km2": 40,
            "demand": {"annual_mwh": 40000, "profile": "residential"},
            "technologies": {"wind_onshore": {"max_mw": 200}, "gas_turbine": {"max_mw": 50}},
        },
    ],
    "links": [
        {
            "from": "jabrayil",
            "to": "kalbajar",
            "length_km": 120,
            "existing_mw": 20,
            "max_mw": 200,
            "source": "est.",
        }
    ],
    "grid": {
        "node": "jabrayil",
        "import_max_mw": 30,
        "export_max_mw": 30,
        "import_price_usd_per_mwh": 62,
        "export_price_usd_per_mwh": 40,
    },
    "policy": {"renewable_share_min": 0.5},
}

WINTER = slice(0, 336)  # 1-14 January
SUMMER = slice(4344, 4344 + 336)  # 1-14 July


def write_two_node_zone(folder: Path, mutate=None) -> Path:
    """The two-node zone file in ``folder``; ``mutate(data)`` may change it first."""
    data = json.loads(json.dumps(TWO_NODES))
    if mutate is not None:
        mutate(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "zone.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def make_two_season_run(folder: Path) -> Path:
    """A run folder (plan.nc, kpis.json, zone.yaml, report.html) of the two-node zone on two winter and two
    summer weeks of synthetic weather, weighted to stand for a year."""
    from greenzone.explain import explain
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    zone_path = write_two_node_zone(folder)
    zone = load_zone(zone_path)
    prof = profiles(zone, load_weather(zone))
    index = np.r_[np.arange(8760)[WINTER], np.arange(8760)[SUMMER]]
    result = plan(zone, prof.isel(time=index), weights=np.full(index.size, 8760 / index.size))
    write_netcdf(result, folder / "plan.nc")
    figures = kpis(result, zone) | {"why": explain(result, prof.isel(time=index), zone)}  # as greenzone run
    write_text(json.dumps(figures, indent=2), folder / "kpis.json")
    write_report(folder, zone=zone)
    return folder


@pytest.fixture(scope="module")
def season_run(tmp_path_factory) -> Path:
    return make_two_season_run(tmp_path_factory.mktemp("season_run"))


@pytest.fixture(scope="module")
def season_plan(season_run) -> xr.Dataset:
    with xr.open_dataset(season_run / "plan.nc") as ds:
        return ds.load()


@pytest.fixture(scope="module")
def season_zone(season_run):
    return load_zone(season_run / "zone.yaml")


@pytest.fixture
def hand_plan(tmp_path):
    """One node, solar and a battery on hand-made (not synthetic) profiles over three days, islanded."""
    zone, path = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "name": "Alpha",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {}, "battery": {}},
                }
            ],
            "technologies": {
                "solar_fixed": {"capex_usd_per_kw": 1000, "lifetime_years": 25},
                "battery": {
                    "capex_usd_per_kw": 100,
                    "capex_usd_per_kwh": 200,
                    "lifetime_years": 10,
                    "efficiency_charge": 0.9,
                    "efficiency_discharge": 0.9,
                },
            },
            "policy": {"allow_unserved": False},
        },
    )
    sun = np.tile(np.r_[np.zeros(6), np.ones(12), np.zeros(6)], 3)
    result = plan(zone, hand_profiles(zone, 72, cf={("a", "solar_fixed"): sun}, demand={"a": 1.0}))
    return result, zone, path


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def _has_data(fig: go.Figure) -> bool:
    def size(values) -> int:
        return 0 if values is None else len(values)

    return any(size(t.x) + size(getattr(t, "y", None)) > 0 for t in fig.data)


@pytest.mark.parametrize("name", list(figures.ALL_FIGURES))
def test_every_figure_has_data(name, season_plan, season_zone, hand_plan):
    make = figures.ALL_FIGURES[name]
    for fig in (make(season_plan, season_zone), make(season_plan), make(hand_plan[0], hand_plan[1])):
        assert isinstance(fig, go.Figure)
        assert fig.data and _has_data(fig), name
        assert fig.layout.height and fig.layout.height >= 250


def test_select_weeks_finds_winter_and_summer(season_plan):
    weeks = select_weeks(season_plan)
    assert {"winter week of highest net load", "summer week of highest net load"} <= set(weeks)
    assert set(weeks) <= {
        "winter week of highest net load",
        "summer week of highest net load",
        "winter week of highest curtailment",
        "summer week of highest curtailment",
    }
    times = pd.DatetimeIndex(season_plan["time"].values)
    local = figures.local_times(season_plan)
    for label, (start, end) in weeks.items():
        i, j = times.get_loc(start), times.get_loc(end)
        assert j - i == 167
        assert (times[j] - times[i]) == pd.Timedelta(hours=167), "a week must be contiguous in time"
        assert local[i].hour == 0, "weeks start at local midnight"
        assert (local[i + 84].month in (1, 12)) == label.startswith("winter")


def test_select_weeks_takes_the_highest_net_load(season_plan):
    weeks = select_weeks(season_plan)
    start, _ = weeks["winter week of highest net load"]
    net = figures.net_load(season_plan).values
    local = figures.local_times(season_plan)
    winter = [i for i in range(336 - 167) if local[i].hour == 0]
    best = max(winter, key=lambda i: net[i : i + 168].sum())
    assert pd.Timestamp(season_plan["time"].values[best]) == start


def test_select_weeks_short_plan(hand_plan):
    result = hand_plan[0]
    weeks = select_weeks(result)
    assert list(weeks) == ["whole horizon"]
    assert weeks["whole horizon"][0] == pd.Timestamp(result["time"].values[0])


def test_net_load_is_demand_minus_available_renewables(season_plan):
    variable = season_plan["kind"].isin(["solar", "wind", "hydro_ror"])
    available = (
        (season_plan["dispatch"] + season_plan["curtailment"]).where(variable, 0).sum(("node", "technology"))
    )
    expected = season_plan["demand"].sum("node") - available
    np.testing.assert_allclose(figures.net_load(season_plan).values, expected.values)


def test_dispatch_is_in_local_time_and_switches_weeks(season_plan, season_zone):
    fig = figures.dispatch_figure(season_plan, season_zone)
    weeks = select_weeks(season_plan)
    first = pd.Timestamp(fig.data[0].x[0])
    assert first == weeks[next(iter(weeks))][0] + pd.Timedelta(hours=4)  # Asia/Baku is UTC+4
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == len(weeks) >= 2
    shown = [[v is True for v in b.args[0]["visible"]] for b in buttons]
    assert all(any(s) for s in shown)
    assert shown[0] != shown[1]
    assert "local time (Asia/Baku)" in fig.layout.xaxis3.title.text


def test_local_months_keep_a_year_to_twelve_months():
    """A UTC year seen from Baku (UTC+4) ends with 4 hours of next January: they count in December."""
    utc = pd.date_range("2027-01-01", periods=8760, freq="h")
    local = pd.DatetimeIndex(utc.tz_localize("UTC").tz_convert("Asia/Baku").tz_localize(None))
    months = figures.local_months(local, np.ones(8760))
    assert sorted({str(m) for m in months}) == [f"2027-{m:02d}" for m in range(1, 13)]
    assert (months == pd.Period("2027-12", "M")).sum() == 31 * 24 + 4
    assert (months == pd.Period("2027-01", "M")).sum() == 31 * 24 - 4
    west = pd.DatetimeIndex(utc.tz_localize("UTC").tz_convert("America/Lima").tz_localize(None))
    assert str(figures.local_months(west, np.ones(8760))[0]) == "2027-01"


def test_energy_balance_closes(season_plan, season_zone):
    """Supply (generation, discharge, imports, unserved) equals use (demand, charge, exports, losses)."""
    fig = figures.energy_balance_figure(season_plan, season_zone)
    supply = sum(t.y[0] for t in fig.data if t.type == "bar" and list(t.x) == ["supply"])
    use = sum(t.y[0] for t in fig.data if t.type == "bar" and list(t.x) == ["use"])
    assert supply == pytest.approx(use, rel=1e-6)
    assert use > 0


def test_annual_energy_uses_the_weights(season_plan):
    """Demand from the figures' helper equals the key figure, which weights each hour and annualises."""
    demand = figures.annual_energy(season_plan, season_plan["demand"].sum("node"))
    assert demand == pytest.approx(kpis(season_plan)["demand_mwh"], rel=1e-9)
    assert not np.allclose(season_plan["weight"].values, 1.0)
    assert demand == pytest.approx(92000, rel=0.15)  # the zone's annual demand, from 4 of 52 weeks


def test_cost_table_sums_to_the_objective(season_plan, season_zone, hand_plan):
    for result, zone in ((season_plan, season_zone), hand_plan[:2]):
        table = figures.cost_table(result, zone)
        objective = result.attrs["objective_usd_per_year"]
        for view in ("technology", "node"):
            assert float(table.xs(view, level="view").to_numpy().sum()) == pytest.approx(objective, rel=1e-6)


def test_map_draws_borders_nodes_links_and_grid(season_plan, season_zone):
    fig = figures.map_figure(season_plan, season_zone)
    names = [t.name or "" for t in fig.data]
    assert any("country borders" in n for n in names)
    assert any(n.startswith("node") for n in names)
    assert any(n.startswith("line") for n in names)
    assert "national-grid connection" in names
    assert fig.layout.yaxis.scaleanchor == "x"
    assert not any(t.type.startswith("scattergeo") or t.type.startswith("scattermap") for t in fig.data)


# ----------------------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Collect every src and href attribute of the document's tags (script bodies are not tags)."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.scripts_with_src: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append(value)
                if tag == "script" and name == "src":
                    self.scripts_with_src.append(value)


def _outside_references(text: str) -> list[str]:
    without_scripts = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S | re.I)
    by_regex = re.findall(
        r"""\b(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", without_scripts, re.I
    )
    parser = _Links()
    parser.feed(text)
    by_parser = [r for r in parser.refs if re.match(r"\s*(https?:)?//", r, re.I)]
    return by_regex + by_parser + parser.scripts_with_src


def test_report_is_self_contained(season_run):
    text = (season_run / "report.html").read_text(encoding="utf-8")
    assert _outside_references(text) == []
    assert text.count(plotly_js()[:300]) == 1, "plotly.js inlined exactly once"
    for name in figures.ALL_FIGURES:
        assert f'id="fig-{name}"' in text
    assert "cdn.plot.ly" not in re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S)


def test_outside_reference_check_catches_links():
    assert _outside_references('<img src="https://example.org/a.png">') != []
    assert _outside_references("<link href='//cdn.example.org/x.css'>") != []
    assert _outside_references('<script src="plotly.js"></script>') != []
    assert _outside_references('<a href="#map">map</a>') == []


def test_report_content(season_run, season_plan):
    text = (season_run / "report.html").read_text(encoding="utf-8")
    assert 'id="synthetic-banner"' in text
    for card in (
        "Total cost",
        "Cost of electricity",
        "Net cost with trade",
        "Renewable share",
        "Unserved energy",
    ):
        assert card in text
    for card in (
        "Curtailment",
        "CO2 emissions",
        "Imports / exports",
        "Land used",
        "levelised cost of the zone",
    ):
        assert card in text
    # the first screen says why the plan is what it is (greenzone.explain, kpis.json "why")
    assert '<section id="why">' in text and "The least-cost plan for" in text
    assert text.index('<section id="why">') < text.index('<section id="key-figures">')
    assert "test zone for greenzone&#39;s report tests" in text  # the zone's sources, escaped
    assert "Utility solar PV, fixed tilt" in text  # catalogue names
    assert "672 steps standing for 8,760 hours" in text  # the time resolution
    assert "highs" in text and "solve time" in text
    assert "USD" in text and "local time" in text


def test_synthetic_banner_only_for_synthetic_weather(hand_plan, season_plan, season_zone):
    result, zone, _ = hand_plan
    assert result.attrs["synthetic"] == 0
    text = render_report(result, kpis(result, zone), zone)
    assert 'id="synthetic-banner"' not in text
    assert "Synthetic weather" not in text
    assert 'id="synthetic-banner"' in render_report(season_plan, kpis(season_plan, season_zone), season_zone)


def test_short_plan_is_marked_as_a_quick_look(hand_plan):
    result, zone, _ = hand_plan
    text = render_report(result, kpis(result, zone), zone)
    assert 'id="short-horizon-banner"' in text
    assert "72 hours" in text


def test_report_without_zone_file(tmp_path, season_run):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("plan.nc", "kpis.json"):
        (folder / name).write_bytes((season_run / name).read_bytes())
    path = write_report(folder)
    text = path.read_text(encoding="utf-8")
    assert path == folder / "report.html"
    assert "No zone.yaml in the run folder" in text
    assert 'id="fig-dispatch"' in text


def test_report_of_a_folder_without_plan(tmp_path):
    with pytest.raises(ReportError, match="plan.nc not found"):
        write_report(tmp_path)
    assert ReportError.exit_code == 2


# ----------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------

RUN_FILES = ("plan.nc", "kpis.json", "report.html", "profiles.nc", "weather.nc", "zone.yaml", "manifest.json")


def greenzone(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "greenzone.cli", *args], capture_output=True, text=True, timeout=300, **kwargs
    )


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    """``greenzone run`` of the two-node zone over 72 hours, as ``make run`` does for the embedded zone."""
    base = tmp_path_factory.mktemp("cli")
    zone_path = write_two_node_zone(base / "zone")
    out = base / "out"
    done = greenzone(
        "--log-file", str(base / "run.log"), "run", str(zone_path), "--hours", "72", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_every_file(cli_run):
    assert sorted(p.name for p in cli_run.iterdir()) == sorted(RUN_FILES)
    with xr.open_dataset(cli_run / "plan.nc") as result:
        assert result.sizes["time"] == 72
        assert float(result["capacity"].sum()) > 0
        assert result["capacity"].attrs["units"] == "MW"
    figures_ = json.loads((cli_run / "kpis.json").read_text())
    assert figures_["hours"] == 72 and figures_["lcoe_usd_per_mwh"] > 0
    with xr.open_dataset(cli_run / "profiles.nc") as prof:
        assert set(prof["node"].values) == {"jabrayil", "kalbajar"}
    with xr.open_dataset(cli_run / "weather.nc") as weather:
        assert weather.sizes["time"] >= 72
    assert load_zone(cli_run / "zone.yaml").name == "two-node test zone"
    text = (cli_run / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert _outside_references(text) == []
    assert not list(cli_run.parent.glob(".out.*")), "no staging folder left behind"


def test_run_logs_its_stages(cli_run):
    log = (cli_run.parent / "run.log").read_text()
    for stage in ("weather", "profiles", "build", "solve", "report"):
        assert re.search(rf"INFO greenzone: {stage}: done in", log), stage


def test_report_command(cli_run, tmp_path, monkeypatch, capsys):
    code, out, err = cli_main(
        monkeypatch, capsys, "--quiet", "report", str(cli_run), "--out", str(tmp_path / "r.html")
    )
    assert code == 0, err
    assert out == ""
    assert 'id="fig-map"' in (tmp_path / "r.html").read_text(encoding="utf-8")
    code, out, err = cli_main(monkeypatch, capsys, "report", str(tmp_path / "nothing"))
    assert code == 2
    assert "plan.nc not found" in err
    assert "Traceback" not in err


def test_help_lists_commands_and_exit_codes(monkeypatch, capsys):
    code, out, _ = cli_main(monkeypatch, capsys, "--help")
    assert code == 0
    for command in ("run", "validate", "profiles", "report", "export-pypsa"):
        assert command in out
    text = " ".join(out.split())
    assert "Exit codes" in text and "3 infeasible" in text and "4 solver failure or time limit" in text
    for option in ("--quiet", "--verbose", "--log-file"):
        assert option in text


def test_bad_options_exit_2_without_traceback(monkeypatch, capsys):
    for args in (
        ("run", "--method", "nosuch"),
        ("run", "--hours", "5"),
        ("run", "--time-limit", "0"),
        ("--quiet", "--verbose", "run"),
    ):
        code, _, err = cli_main(monkeypatch, capsys, *args)
        assert code == 2, args
        assert "Traceback" not in err


def test_cli_methods_are_the_solver_methods():
    from greenzone.cli import METHODS
    from greenzone.optimize.solve import METHODS as SOLVER_METHODS

    assert set(METHODS) == set(SOLVER_METHODS)


def test_export_pypsa_without_pypsa(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "pypsa", None)  # makes `import pypsa` raise ImportError
    code, _, err = cli_main(monkeypatch, capsys, "export-pypsa", "--out", str(tmp_path / "n"))
    assert code == 1
    assert "install the pypsa extra: pip install 'greenzone[pypsa]'" in err
    assert not (tmp_path / "n").exists()


# ----------------------------------------------------------------------------------------------------------
# Interrupted and failed runs leave the previous results intact
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def previous(cli_run, tmp_path) -> tuple[Path, dict[str, str]]:
    """A copy of a good run folder, and its files' hashes."""
    out = tmp_path / "out"
    out.mkdir()
    for p in cli_run.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    return out, _snapshot(out)


def _intact(out: Path, before: dict[str, str]) -> None:
    assert _snapshot(out) == before
    with xr.open_dataset(out / "plan.nc") as result:
        assert float(result["capacity"].sum()) > 0


def test_killed_run_leaves_previous_results(previous, tmp_path):
    out, before = previous
    zone_path = write_two_node_zone(tmp_path / "zone")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "greenzone.cli",
            "--quiet",
            "run",
            str(zone_path),
            "--hours",
            "2000",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        staged = []
        while time.monotonic() < deadline and process.poll() is None:
            # profiles.nc is written into the staging folder just before the LP is built and solved
            staged = list(tmp_path.glob(".out.*.partial/profiles.nc"))
            if staged:
                break
            time.sleep(0.02)
        assert staged, "the run never reached its solve"
        time.sleep(0.3)
        assert process.poll() is None, "the run finished before it could be killed; make it longer"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    _intact(out, before)
    assert not (tmp_path / ".out.previous").exists()
    # the killed run's staging folder is left (SIGKILL allows no clean-up) beside, never inside, the results
    assert staged[0].parent.parent == tmp_path


def test_time_limit_exit_4_leaves_previous_results(previous, tmp_path):
    out, before = previous
    zone_path = write_two_node_zone(tmp_path / "zone")
    done = greenzone("run", str(zone_path), "--hours", "1000", "--time-limit", "0.01", "--out", str(out))
    assert done.returncode == 4, done.stderr
    assert "time limit" in done.stderr and "Traceback" not in done.stderr
    _intact(out, before)
    assert not list(tmp_path.glob(".out.*")), "the failed run's staging folder is removed"


def test_infeasible_exit_3_leaves_previous_results(previous, tmp_path):
    out, before = previous

    def impossible(data):
        data.pop("grid")
        data["policy"] = {"allow_unserved": False}
        for node in data["nodes"]:
            for tech in node["technologies"].values():
                tech["max_mw"] = 0.1
                tech.pop("existing_mw", None)

    zone_path = write_two_node_zone(tmp_path / "zone", impossible)
    done = greenzone("run", str(zone_path), "--hours", "48", "--out", str(out))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    _intact(out, before)
    assert not list(tmp_path.glob(".out.*"))


def test_written_files_are_readable_by_others(tmp_path):
    """Atomic writes must not leave owner-only permissions (mkstemp's default) on shared results."""
    import os
    import stat

    from greenzone.output import staged_directory, write_text

    old = os.umask(0o022)
    try:
        with staged_directory(tmp_path / "run") as folder:
            write_text("x", folder / "a.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "a.txt").stat().st_mode) == 0o644


def test_inputs_show_demand_as_the_model_reads_it(tmp_path):
    """Demand by year is interpolated between the given years (as the planner reads it); land is a step."""
    from greenzone.report.inputs import inputs

    def dated(data):
        data["year"] = 2031
        data["nodes"][0]["demand"]["annual_mwh"] = {2027: 100000, 2035: 180000}
        data["nodes"][0]["usable_land_km2"] = {2027: 10, 2035: 30}

    zone = load_zone(write_two_node_zone(tmp_path, dated))
    node = inputs(zone)["nodes"][0]
    assert node["demand"].startswith("140,000 MWh in 2031 (interpolated between 2027: 100,000, 2035: 180,000")
    assert node["land"].startswith("10 km² in 2031 (2027: 10, 2035: 30")
