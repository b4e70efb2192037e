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


# --- every annual limit kept: a zone whose renewable share binds, one whose CO2 cap binds ------------------
LIMITS = {"renewable share": {"renewable_share_min": 0.7}, "CO2 cap": {"co2_cap_t": 60_000}}
ARBITRAGE = {"export_price_usd_per_mwh": 75}
"""Exports dearer than imports (70 USD/MWh): left free, an hourly dispatch would export the zone's renewable
output and import for its load, as the 2040 Karabakh variant does."""


def _hourly_limits(zone, hourly) -> tuple[float, float]:
    """(renewable share as its row reads it [-], CO2 [t CO2/yr]) summed over the hours, by hand."""
    alpha = float(hourly.attrs["alpha"])
    fossil = float(hourly["dispatch"].sel(technology="gas_turbine").sum())
    imports = float(hourly["grid_import"].sum()) * (1 - zone.grid.renewable_share)
    unserved = float(hourly["unserved"].sum())
    share_min = zone.policy.renewable_share_min or 0.0
    share = 1 - (fossil + imports + (1 - share_min) * unserved) / float(hourly["demand"].sum())
    gas = zone.technologies["gas_turbine"].emission_factor_t_per_mwh
    co2 = alpha * (gas * fossil + zone.grid.emission_factor_t_per_mwh * float(hourly["grid_import"].sum()))
    return share, co2


@pytest.fixture(scope="module", params=list(LIMITS))
def limited(request, tmp_path_factory):
    zone, _ = two_node_zone(tmp_path_factory.mktemp("limited"), grid=ARBITRAGE, **LIMITS[request.param])
    profiles = two_node_profiles(zone, 24 * 20)
    return request.param, zone, profiles, plan(zone, profiles), plan(zone, profiles, typical_days=4)


def test_the_limit_binds_the_hourly_optimum(limited, tmp_path):
    what, zone, profiles, hourly, _ = limited
    free_zone, _ = two_node_zone(tmp_path, grid=ARBITRAGE)
    free = plan(free_zone, profiles)
    assert free.attrs["objective_usd_per_year"] < hourly.attrs["objective_usd_per_year"] * (1 - 1e-3)
    share, co2 = _hourly_limits(zone, hourly)
    if what == "renewable share":
        assert share == pytest.approx(0.7, abs=1e-6)
    else:
        assert co2 == pytest.approx(60_000, rel=1e-6)


@pytest.mark.parametrize("method", ["windows", "year"])
def test_the_check_keeps_the_limit_and_costs_no_less_than_the_hourly_optimum(limited, method):
    what, zone, profiles, hourly, typical = limited
    figures, dispatched = check_aggregation(zone, typical, profiles, method=method)
    checked = figures["aggregation_check_cost_usd_per_year"]
    assert checked >= hourly.attrs["objective_usd_per_year"] * (1 - 1e-9)
    share, co2 = _hourly_limits(zone, dispatched)
    assert figures["aggregation_unserved_mwh"] == pytest.approx(0.0, abs=1e-3)
    if what == "renewable share":
        assert share >= 0.7 - 1e-6
        assert figures["aggregation_check_renewable_share"] == pytest.approx(share, abs=1e-9)
    else:
        assert co2 <= 60_000 * (1 + 1e-6)
        assert figures["aggregation_check_co2_t"] == pytest.approx(co2, rel=1e-9)
    assert all(v == pytest.approx(0.0, abs=1e-6) for k, v in figures.items() if "limit_excess" in k)
    assert "upper bound of the true hourly optimum" in figures["aggregation_check_reference"]


def test_the_whole_year_is_the_fleets_exact_optimum_below_the_windows(limited):
    _, zone, profiles, _, typical = limited
    windows, _ = check_aggregation(zone, typical, profiles, method="windows")
    year, _ = check_aggregation(zone, typical, profiles, method="year")
    assert year["aggregation_check_cost_usd_per_year"] <= windows["aggregation_check_cost_usd_per_year"] * (
        1 + 1e-9
    )


def test_windows_that_ignore_the_limit_break_it(limited):
    from greenzone.operate import operate

    what, zone, profiles, _, typical = limited
    loose = operate(zone, typical, profiles, forecast="perfect", terminal="plan")
    share, co2 = _hourly_limits(zone, loose)
    if what == "renewable share":
        assert share < 0.7 - 1e-3
    else:
        assert co2 > 60_000 * (1 + 1e-3)


def test_the_check_states_the_error_against_a_recorded_hourly_optimum(limited, tmp_path, monkeypatch):
    import greenzone.planning.aggregation_errors as records

    _, zone, profiles, hourly, typical = limited
    optimum = hourly.attrs["objective_usd_per_year"]
    path = tmp_path / "aggregation_errors.yaml"
    key = {
        "zone_fingerprint": typical.attrs["zone_fingerprint"],
        "weather_seed": "",
        "weather_years": 1,
        "hours": profiles.sizes["time"],
        "typical_days": 4,
        "linking": True,
    }
    records.update_records([{**key, "hourly_optimum_usd_per_year": optimum, "measured_on": "a test"}], path)
    monkeypatch.setattr(records, "RECORDS_PATH", path)
    figures, _ = check_aggregation(zone, typical, profiles)
    aggregated = typical.attrs["objective_usd_per_year"]
    assert figures["aggregation_error_vs_hourly_optimum"] == pytest.approx(
        (aggregated - optimum) / abs(optimum)
    )
    assert figures["aggregation_check_reference"].startswith(
        "the true hourly optimum from the aggregation records"
    )
    monkeypatch.setattr(records, "RECORDS_PATH", tmp_path / "none.yaml")
    figures, _ = check_aggregation(zone, typical, profiles)
    assert "aggregation_error_vs_hourly_optimum" not in figures
