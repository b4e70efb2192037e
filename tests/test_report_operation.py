"""The report's Operation section: plan against rolling operation from forecasts, present only with an
operation, self-contained, and written by ``greenzone operate``."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import xarray as xr

from cli_helpers import cli_main
from greenzone.kpi import kpis
from greenzone.operate import operate
from greenzone.output import write_netcdf, write_text
from greenzone.planning.year import plan
from greenzone.report import ReportError, render_report, write_report
from greenzone.report.html import plotly_js
from greenzone.report.operation import (
    comparison_rows,
    forecast_error_figure,
    operation_figure,
    planned_hours,
    read_operation,
    skill_rows,
)
from plan_helpers import two_node_profiles, two_node_zone
from test_report import _outside_references

HOURS = 96
OPERATED = 72


@pytest.fixture(scope="module")
def operated(tmp_path_factory):
    """(run folder, operation folder): a four-day plan of the two-node zone and three days of it operated with
    noisy forecasts, as 'greenzone run' and 'greenzone operate --hours 72' write them."""
    base = tmp_path_factory.mktemp("report_operation")
    cheap_battery = {"battery": {"capex_usd_per_kw": 30, "capex_usd_per_kwh": 15}}
    zone, zone_path = two_node_zone(base, technologies=cheap_battery)
    profiles = two_node_profiles(zone)
    planned = plan(zone, profiles)
    run = base / "run"
    run.mkdir()
    shutil.copyfile(zone_path, run / "zone.yaml")
    write_netcdf(profiles, run / "profiles.nc")
    write_netcdf(planned, run / "plan.nc")
    write_text(json.dumps(kpis(planned, zone)), run / "kpis.json")
    short = profiles.isel(time=slice(0, OPERATED))
    runs = {
        name: operate(zone, planned.isel(time=slice(0, OPERATED)), short, forecast=name, seed=0)
        for name in ("noisy", "perfect")
    }
    result = runs["noisy"]
    figures = kpis(result, zone)
    cost, perfect = result.attrs["operating_cost_usd"], runs["perfect"].attrs["operating_cost_usd"]
    figures.update(
        forecast="noisy",
        operating_cost_usd=cost,
        perfect_forecast_operating_cost_usd=perfect,
        cost_of_forecast_error_usd=cost - perfect,
    )
    op = base / "operation"
    op.mkdir()
    write_netcdf(result, op / "operation.nc")
    write_text(json.dumps(figures), op / "kpis.json")
    return run, op


def _section(text: str) -> str:
    match = re.search(r'<section id="operation">(.*?)</section>', text, flags=re.S)
    assert match, "no operation section"
    return match.group(1)


def test_report_with_an_operation_has_the_section(operated, tmp_path):
    run, op = operated
    path = write_report(run, out=tmp_path / "report.html", operation=op)
    text = path.read_text(encoding="utf-8")
    section = _section(text)
    assert 'href="#operation"' in text
    for part in ('id="operation-kpis"', 'id="operation-forecast"', 'id="operation-skill"'):
        assert part in section
    assert 'id="fig-operation"' in section and 'id="fig-forecast-error"' in section
    assert "noisy" in section and "cost of forecast error" in section
    assert "48 h ahead" in section and "1 h ahead" in section
    figures = json.loads((op / "kpis.json").read_text())
    assert f"{figures['cost_of_forecast_error_usd']:,.0f}" in section
    assert not re.search(r">-0\.0<", section), "no negative zero"
    assert _outside_references(text) == []
    assert text.count(plotly_js()[:300]) == 1, "plotly.js inlined exactly once"
    for name in ("map", "dispatch", "cost"):
        assert f'id="fig-{name}"' in text, "the plan's figures stay"


def test_report_without_an_operation_has_no_section(operated, tmp_path):
    run, _ = operated
    text = write_report(run, out=tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="operation"' not in text and "fig-operation" not in text
    assert read_operation(run) is None


def test_a_missing_operation_folder_is_a_report_error(operated, tmp_path):
    run, _ = operated
    with pytest.raises(ReportError, match="operation.nc not found"):
        write_report(run, out=tmp_path / "report.html", operation=tmp_path / "nothing")


def test_comparison_rows_are_the_sums_over_the_operated_hours(operated):
    run, op = operated
    operation, figures = read_operation(op)
    with xr.open_dataset(run / "plan.nc") as ds:
        planned = planned_hours(ds.load(), operation)
    assert planned.sizes["time"] == OPERATED
    rows = {r["label"]: r for r in comparison_rows(planned, operation, figures)}
    assert rows["demand"]["plan"] == f"{float(planned['demand'].sum()):,.1f}"
    assert rows["demand"]["operation"] == f"{float(operation['demand'].sum()):,.1f}"
    unserved = float(operation["unserved"].sum()) - float(planned["unserved"].sum())
    assert rows["unserved energy"]["difference"] == f"{unserved:,.1f}"
    assert (
        rows["imports from the national grid"]["operation"] == f"{float(operation['grid_import'].sum()):,.1f}"
    )
    assert "curtailment (solar, wind, river)" in rows and "exports to the national grid" in rows
    cost = rows["operating cost (perfect forecasts in the plan column)"]
    assert cost["operation"] == f"{figures['operating_cost_usd']:,.0f}"
    assert cost["plan"] == f"{figures['perfect_forecast_operating_cost_usd']:,.0f}"
    skill = skill_rows(operation)
    assert skill and {r["first_h"] for r in skill} == {"1"} and {r["last_h"] for r in skill} == {"48"}
    assert any(r["quantity"] == "demand" for r in skill)
    quantities = {r["quantity"] for r in skill}
    assert "capacity factor: wind_onshore" in quantities and "capacity factor: solar_fixed" in quantities
    assert not any("gas_turbine" in q or "hydro_reservoir" in q for q in quantities), "always 1: left out"


def test_operation_figures_show_plan_and_operation(operated):
    run, op = operated
    operation, _ = read_operation(op)
    with xr.open_dataset(run / "plan.nc") as ds:
        planned = planned_hours(ds.load(), operation)
    fig = operation_figure(planned, operation)
    names = [t.name for t in fig.data]
    assert any(n.endswith(": operated") for n in names) and any(n.endswith(": planned") for n in names)
    assert "net-load forecast error" in names and "demand" in names
    assert all(len(t.x) == OPERATED for t in fig.data), "a plan shorter than a week shows its whole horizon"
    assert any("filling, planned" in n for n in names) and any("filling, operated" in n for n in names)
    error = forecast_error_figure(operation)
    zone_trace = next(t for t in error.data if t.name == "zone")
    np.testing.assert_allclose(zone_trace.y, operation["forecast_error"].sum("node").values)
    assert float(np.abs(zone_trace.y).max()) > 0, "noisy forecasts err"


def test_a_plan_without_the_operated_hours_leaves_its_columns_out(operated):
    run, op = operated
    operation, figures = read_operation(op)
    with xr.open_dataset(run / "plan.nc") as ds:
        later = ds.load().isel(time=slice(OPERATED, HOURS))
    assert planned_hours(later, operation) is None
    text = render_report(later, json.loads((run / "kpis.json").read_text()), operation=(operation, figures))
    section = _section(text)
    assert "does not hold every operated hour" in section
    assert "n/a" in section


def test_operate_command_writes_the_report_with_the_operation(operated, tmp_path, monkeypatch, capsys):
    run, _ = operated
    out = tmp_path / "op"
    code, _, err = cli_main(
        monkeypatch, capsys, "--quiet", "operate", str(run), "--hours", "72", "--out", str(out)
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "kpis.json",
        "manifest.json",
        "operation.nc",
        "report.html",
    ]
    text = (out / "report.html").read_text(encoding="utf-8")
    section = _section(text)
    assert 'id="fig-operation"' in section and "noisy" in section
    assert _outside_references(text) == []
    code, stdout, _ = cli_main(monkeypatch, capsys, "operate", "--help")
    assert "report.html" in stdout


def test_operation_report_draws_in_a_browser(operated, tmp_path):
    """Headless Chromium (skipped without it): no console error, both operation figures drawn, nothing fetched."""
    import html

    from test_browser import HARNESS, _chromium, _run_chromium

    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed")
    run, op = operated
    text = write_report(run, out=tmp_path / "report.html", operation=op).read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    page = tmp_path / "harness.html"
    page.write_text(text[:head] + HARNESS + text[head:], encoding="utf-8")
    done = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    match = re.search(r'<pre id="harness-result">(.*?)</pre>', done.stdout, re.S)
    assert match, f"no harness result; chromium said:\n{done.stderr[-3000:]}"
    result = json.loads(html.unescape(match.group(1)))
    assert result["errors"] == []
    for name in ("fig-operation", "fig-forecast-error"):
        figure = result["figures"][name]
        assert figure["traces"] > 0 and figure["points"] > 0 and figure["drawn"] > 0, name
    assert [r for r in result["resources"] if not r.startswith(("file:", "data:", "blob:"))] == []
