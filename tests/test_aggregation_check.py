"""The hourly check of a typical-day plan: exact on an hourly plan, and it measures what aggregation costs."""

from __future__ import annotations

import numpy as np
import pytest

from greenzone.planning.hourly_check import check_aggregation
from greenzone.planning.year import plan
from plan_helpers import two_node_profiles, two_node_zone

CHEAP_BATTERY = {"battery": {"capex_usd_per_kw": 30, "capex_usd_per_kwh": 15}}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    zone, _ = two_node_zone(tmp_path_factory.mktemp("check"), technologies=CHEAP_BATTERY)
    profiles = two_node_profiles(zone, 24 * 20)
    return zone, profiles, plan(zone, profiles)


def test_an_hourly_plan_checks_to_its_own_cost(case):
    zone, profiles, hourly = case
    figures, operation = check_aggregation(zone, hourly, profiles)
    assert abs(figures["aggregation_cost_error"]) < 1e-9
    assert figures["aggregation_check_cost_usd_per_year"] == pytest.approx(
        hourly.attrs["objective_usd_per_year"], rel=1e-9
    )
    assert figures["aggregation_unserved_mwh"] == pytest.approx(0.0, abs=1e-6)
    assert operation.sizes["time"] == profiles.sizes["time"]


def test_typical_days_error_is_measured_and_bounded_by_the_hourly_optimum(case):
    zone, profiles, hourly = case
    best = hourly.attrs["objective_usd_per_year"]
    errors = {}
    for n in (4, 20):
        aggregated = plan(zone, profiles, typical_days=n)
        figures, _ = check_aggregation(zone, aggregated, profiles)
        checked = figures["aggregation_check_cost_usd_per_year"]
        # the aggregated fleet run hour by hour can never beat the hourly optimum
        assert checked >= best * (1 - 1e-9)
        assert checked == pytest.approx(
            aggregated.attrs["objective_usd_per_year"] * (1 + figures["aggregation_cost_error"]), rel=1e-12
        )
        errors[n] = abs(figures["aggregation_cost_error"])
    assert errors[4] > 1e-3  # four days for twenty: a visible error
    assert errors[20] < 1e-4  # every day its own period: (almost) none


def test_check_needs_the_plan_on_the_profiles_hours(case):
    zone, profiles, hourly = case
    with pytest.raises(ValueError, match="on the profiles' hours"):
        check_aggregation(zone, hourly.isel(time=slice(0, 48)), profiles)
    assert np.isfinite(hourly.attrs["objective_usd_per_year"])


def test_run_check_writes_the_error_to_kpis_and_report(tmp_path):
    import json

    from test_report import greenzone, write_two_node_zone

    zone_path = write_two_node_zone(tmp_path / "zone")
    out = tmp_path / "out"
    done = greenzone("--quiet", "run", str(zone_path), "--typical-days", "8", "--check", "--out", str(out))
    assert done.returncode == 0, done.stderr
    figures = json.loads((out / "kpis.json").read_text())
    for key in (
        "aggregation_cost_error",
        "aggregation_unserved_mwh",
        "aggregation_curtailment_difference_mwh",
    ):
        assert np.isfinite(figures[key]), key
    assert figures["aggregation_cost_error"] != 0.0  # eight days for a year: some error, measured
    assert "hourly check of this plan" in (out / "report.html").read_text(encoding="utf-8")
