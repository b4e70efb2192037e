"""Reliability-constrained planning: the loop adds the stress days of other weather years until LOLE holds."""

from __future__ import annotations

import numpy as np
import pytest

from greenzone.adequacy import profile_years
from greenzone.planning.reliable import place_stress_days, plan_reliable
from greenzone.planning.typical_days import AggregationError, typical_days
from greenzone.planning.year import plan
from plan_helpers import hand_profiles, write_small_zone

DAYS = 10


def gas_zone(tmp_path, max_mw=100):
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 39.4,
                "lon": 47.0,
                "demand": {"annual_mwh": 1000},
                "technologies": {"gas_turbine": {"max_mw": max_mw}, "solar_fixed": {"max_mw": 50}},
            }
        ],
        "technologies": {"gas_turbine": {"availability": 1.0}},
        "policy": {"value_of_lost_load_usd_per_mwh": 5000, "lole_target_h_per_year": 3},
    }
    zone, _ = write_small_zone(tmp_path, body)
    return zone


def year(zone, peak_day=None, peak=30.0):
    t = np.arange(24 * DAYS)
    demand = np.full(t.size, 20.0)
    if peak_day is not None:
        demand[24 * peak_day : 24 * peak_day + 24] = peak
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None)
    return hand_profiles(zone, t.size, cf={("a", "solar_fixed"): sun}, demand={"a": demand})


@pytest.mark.parametrize("n_typical", [None, 4])
def test_the_loop_adds_the_stress_day_and_meets_the_target(tmp_path, n_typical):
    zone = gas_zone(tmp_path)
    planning = year(zone)
    others = profile_years([year(zone), year(zone, peak_day=6)])
    first = plan(zone, planning, typical_days=n_typical)
    assert float(first["capacity"].sel(node="a", technology="gas_turbine")) == pytest.approx(20.0, abs=1e-6)
    records = []
    result = plan_reliable(
        zone, planning, others, typical_days=n_typical, workers=1, on_iteration=records.append
    )
    assert result.met and result.stopped == "the target holds"
    assert [r["iteration"] for r in result.iterations] == [1, 2] and records == result.iterations
    # the 30 MW day of the second year is short by 10 MW in its hours without enough sun
    assert 3.0 < result.iterations[0]["lole_h_per_year"] <= 12.0
    assert 0.0 < result.iterations[0]["eue_mwh_per_year"] <= 120.0 + 1e-6
    assert result.iterations[1]["lole_h_per_year"] == 0.0
    assert result.iterations[1]["stress_days"][0]["day_start_utc"] == "2027-01-07 00:00"
    assert float(result.plan["capacity"].sel(node="a", technology="gas_turbine")) == pytest.approx(
        30.0, abs=1e-6
    )


def test_an_unreachable_target_keeps_the_last_feasible_plan(tmp_path):
    zone = gas_zone(tmp_path, max_mw=25)  # 30 MW days cannot be served; unserved is allowed elsewhere
    planning = year(zone)
    others = profile_years([year(zone, peak_day=6), year(zone, peak_day=2)])
    result = plan_reliable(zone, planning, others, typical_days=None, workers=1, max_iterations=3)
    assert not result.met
    assert "infeasible" in result.stopped and "infeasible" in result.iterations[-1]
    assert result.adequacy.summary["lole_h_per_year"] > 3.0


def test_iteration_limit(tmp_path):
    zone = gas_zone(tmp_path)
    planning = year(zone)
    others = profile_years([year(zone, peak_day=6, peak=30.0)])
    result = plan_reliable(zone, planning, others, typical_days=None, workers=1, max_iterations=1)
    assert not result.met and result.stopped == "iteration limit (1) reached"
    with pytest.raises(ValueError, match="max_iterations"):
        plan_reliable(zone, planning, others, max_iterations=0)


def test_stress_days_go_to_their_date_or_the_nearest_free_day(tmp_path):
    zone = gas_zone(tmp_path)
    planning = year(zone)
    hot = year(zone, peak_day=6)
    day = hot.isel(time=slice(24 * 6, 24 * 7))
    placed, days = place_stress_days(planning, [day, day])
    assert days == [6, 5]
    assert float(placed["demand"].isel(time=24 * 6 + 3).sum()) == 30.0
    assert float(placed["demand"].isel(time=24 * 5 + 3).sum()) == 30.0
    assert float(placed["demand"].isel(time=24 * 4 + 3).sum()) == 20.0


def test_kept_days_are_periods_of_their_own(tmp_path):
    zone = gas_zone(tmp_path)
    prof = year(zone, peak_day=6)
    agg = typical_days(prof, 4, keep_days=[3], renewables=["solar_fixed"])
    assert np.sum(agg.day_cluster == agg.day_cluster[3]) == 1
    with pytest.raises(AggregationError, match="not a day of the profiles"):
        typical_days(prof, 4, keep_days=[DAYS])


def test_run_lole_max_logs_iterations_and_writes_adequacy(tmp_path):
    import json

    from test_report import greenzone, write_two_node_zone

    zone_path = write_two_node_zone(tmp_path / "zone")
    out = tmp_path / "out"
    done = greenzone(
        "run",
        str(zone_path),
        "--typical-days",
        "8",
        "--lole-max",
        "1",
        "--adequacy-years",
        "2",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "iteration 1: LOLE" in done.stdout
    figures = json.loads((out / "kpis.json").read_text())
    assert figures["reliability_target_h_per_year"] == 1.0
    assert figures["reliability_iterations"][0]["iteration"] == 1
    assert figures["reliability_met"] == (figures["reliability_iterations"][-1]["lole_h_per_year"] <= 1.0)
    adequacy = json.loads((out / "adequacy.json").read_text())
    assert adequacy["weather_years"] == 2
    assert '<section id="adequacy">' in (out / "report.html").read_text(encoding="utf-8")


def test_with_decomposition_the_stress_year_joins_the_horizon(tmp_path):
    """With decomposition the year with the 30 MW day is added whole to the hourly horizon (after the planning
    year), the re-plan builds the 10 MW of gas that day needs, and the target holds."""
    from greenzone.optimize.decompose import Decomposition

    zone = gas_zone(tmp_path)
    planning = year(zone)
    others = profile_years([year(zone), year(zone, peak_day=6)], first_label=2030)
    result = plan_reliable(
        zone, planning, others, decomposition=Decomposition(parallel=False), workers=1, method="dual_simplex"
    )
    assert result.met and [r["iteration"] for r in result.iterations] == [1, 2]
    assert result.iterations[0]["lole_h_per_year"] > 3.0
    assert result.iterations[1]["stress_years"] == [2031]
    assert result.iterations[1]["lole_h_per_year"] == 0.0
    assert result.plan.sizes["time"] == 2 * 24 * DAYS
    assert result.plan.attrs["time_resolution"].startswith("hourly by temporal decomposition")
    assert float(result.plan["capacity"].sel(node="a", technology="gas_turbine")) == pytest.approx(
        30.0, abs=1e-3
    )
