"""Adequacy: loss of load of a fixed fleet over weather years with random forced outages, against theory
(a single unit's LOLP is its forced-outage rate; a small thermal system's LOLP is its capacity-outage
probability table), reproducible whatever the number of processes, and written by ``greenzone adequacy``."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from greenzone.adequacy import (
    assess,
    given_years,
    loss_of_load_probability,
    profile_years,
    synthetic_years,
)
from greenzone.adequacy.years import by_hour_of_year, year_weather
from greenzone.errors import WeatherError
from greenzone.operate import existing_capacities
from greenzone.weather import load_weather
from greenzone.zone import load_zone
from plan_helpers import hand_profiles, write_small_zone
from test_report import _outside_references, cli_run, greenzone, write_two_node_zone  # noqa: F401

HOURS = 8760


def thermal_zone(tmp_path, gas: dict, geothermal: dict | None = None):
    """One islanded node with gas turbines (and geothermal units) in service; no expansion."""
    techs = {
        "gas_turbine": {"availability": 1.0, **gas["spec"]},
    }
    plants = {"gas_turbine": {"existing_mw": gas["mw"], "max_mw": gas["mw"]}}
    if geothermal is not None:
        techs["geothermal"] = {"availability": 1.0, **geothermal["spec"]}
        plants["geothermal"] = {"existing_mw": geothermal["mw"], "max_mw": geothermal["mw"]}
    body = {
        "nodes": [
            {"id": "a", "lat": 39.4, "lon": 47.0, "demand": {"annual_mwh": 1000}, "technologies": plants}
        ],
        "technologies": techs,
        "policy": {"value_of_lost_load_usd_per_mwh": 5000, "lole_target_h_per_year": 3},
    }
    zone, _ = write_small_zone(tmp_path, body)
    return zone


def test_one_unit_loses_load_a_share_p_of_the_time(tmp_path):
    """One 10 MW unit with forced-outage rate p serving 6 MW: LOLP = p within the Monte Carlo interval."""
    p, mttr = 0.1, 2.0
    zone = thermal_zone(
        tmp_path,
        {"mw": 10, "spec": {"unit_size_mw": 10, "forced_outage_rate": p, "mean_time_to_repair_h": mttr}},
    )
    prof = hand_profiles(zone, HOURS, demand={"a": 6.0})
    years = profile_years([prof, prof])
    result = assess(zone, existing_capacities(zone), years, outages=True, seed=3, workers=1)
    s = result.summary
    n = 2 * HOURS
    repair = 1 / mttr
    fail = repair * p / (1 - p)
    rho = 1 - fail - repair
    se = math.sqrt(p * (1 - p) / n * (1 + rho) / (1 - rho))
    assert abs(s["lolp"] - p) < 4 * se, (s["lolp"], p, se)
    assert s["lolp"] != p  # a draw, not the rate copied
    # every loss-of-load hour loses the whole 6 MW
    assert s["eue_mwh_per_year"] == pytest.approx(6.0 * s["lole_h_per_year"], rel=1e-6)
    assert s["lole_h_per_year"] == pytest.approx(s["lolp"] * HOURS, rel=1e-9)
    worst = result.worst_events[0]
    assert worst["energy_mwh"] == pytest.approx(6.0 * worst["hours"], rel=1e-6)
    assert any("on forced outage: a/gas_turbine 10.0 MW" in c for c in worst["causes"])
    assert s["meets_target"] is False and s["years_with_loss_of_load"] == 2


def test_small_thermal_system_matches_the_capacity_outage_table(tmp_path):
    """2 × 20 MW gas and 3 × 10 MW geothermal, outages independent hour to hour (MTTR 1 h): the share of hours
    short at each load level matches P(available < load) from the convolved capacity-outage table."""
    gas = {"mw": 40, "spec": {"unit_size_mw": 20, "forced_outage_rate": 0.08, "mean_time_to_repair_h": 1}}
    geo = {"mw": 30, "spec": {"unit_size_mw": 10, "forced_outage_rate": 0.05, "mean_time_to_repair_h": 1}}
    zone = thermal_zone(tmp_path, gas, geo)
    levels = np.array([25.0, 45.0, 55.0, 65.0])
    load = levels[np.arange(HOURS) % levels.size]
    prof = hand_profiles(zone, HOURS, demand={"a": load})
    result = assess(
        zone, existing_capacities(zone), profile_years([prof, prof]), outages=True, seed=11, workers=1
    )
    short = np.concatenate([y.shortfall for y in result.years]) > 1e-3
    level_of_hour = np.tile(load, 2)
    units = [20, 20, 10, 10, 10]
    rates = [0.08, 0.08, 0.05, 0.05, 0.05]
    for level in levels:
        hours = level_of_hour == level
        expected = loss_of_load_probability(units, rates, level)
        observed = short[hours].mean()
        se = math.sqrt(max(expected * (1 - expected), 1e-12) / hours.sum())
        assert abs(observed - expected) < 4 * se + 1e-12, (level, observed, expected)
    # and the table is not trivial: the levels span LOLPs from ~0 to well above the forced-outage rates
    assert loss_of_load_probability(units, rates, 65.0) > 0.2
    assert loss_of_load_probability(units, rates, 25.0) < 0.01


def test_results_do_not_depend_on_the_number_of_processes(tmp_path):
    gas = {"mw": 30, "spec": {"unit_size_mw": 10, "forced_outage_rate": 0.2, "mean_time_to_repair_h": 5}}
    zone = thermal_zone(tmp_path, gas)
    prof = hand_profiles(zone, 240, demand={"a": 21.0})
    years = profile_years([prof, prof, prof])
    one = assess(zone, existing_capacities(zone), years, outages=True, seed=5, workers=1)
    two = assess(zone, existing_capacities(zone), years, outages=True, seed=5, workers=2)
    assert two.summary["workers"] == 2
    pd.testing.assert_frame_equal(
        one.per_year.drop(columns="run_time_s"), two.per_year.drop(columns="run_time_s")
    )
    for a, b in zip(one.years, two.years, strict=True):
        np.testing.assert_array_equal(a.shortfall, b.shortfall)
    assert one.summary["lole_h_per_year"] > 0  # the outages bite, so the comparison means something
    other = assess(zone, existing_capacities(zone), years, outages=True, seed=6, workers=1)
    assert not np.array_equal(other.years[0].shortfall, one.years[0].shortfall)


def test_without_outages_a_fleet_that_covers_the_load_loses_none(tmp_path):
    gas = {"mw": 30, "spec": {"unit_size_mw": 10, "forced_outage_rate": 0.2, "mean_time_to_repair_h": 5}}
    zone = thermal_zone(tmp_path, gas)
    prof = hand_profiles(zone, 240, demand={"a": 29.0})
    result = assess(zone, existing_capacities(zone), profile_years([prof]), outages=False, workers=1)
    assert result.summary["lole_h_per_year"] == 0 and result.worst_events == []
    short = hand_profiles(zone, 240, demand={"a": 30.5})
    result = assess(zone, existing_capacities(zone), profile_years([short]), outages=False, workers=1)
    assert result.summary["lole_h_per_year"] == 240
    assert result.summary["eue_mwh_per_year"] == pytest.approx(0.5 * 240, rel=1e-6)


def test_a_synthetic_year_made_alone_is_that_year_of_a_longer_run(tmp_path):
    zone = load_zone(write_two_node_zone(tmp_path / "z"))
    years = synthetic_years(zone, 2)
    assert [y.label for y in years] == [zone.year, zone.year + 1]
    alone = year_weather(zone, years[1])
    both = load_weather(zone, years=2)
    part = both.sel(time=slice(f"{zone.year + 1}-01-01", None))
    for name in ("ghi", "wind_speed", "temp_air"):
        np.testing.assert_array_equal(alone[name].values, part[name].values)


def test_given_weather_years_must_be_whole(tmp_path):
    zone = load_zone(write_two_node_zone(tmp_path / "z"))
    weather = load_weather(zone, years=2)  # UTC calendar years 2027-2028
    utc = given_years(weather, origin="w.csv")
    assert [y.label for y in utc] == [zone.year, zone.year + 1]
    assert [y.weather.sizes["time"] for y in utc] == [8760, 8784]
    # cut at local midnight (Asia/Baku, UTC+4) the same hours give 2027 short by its first 4 local hours,
    # 2028 whole, and a 4-hour remnant of 2029 that is dropped
    years = given_years(weather, origin="w.csv", timezone=zone.timezone)
    assert [y.label for y in years] == [zone.year, zone.year + 1]
    assert [y.weather.sizes["time"] for y in years] == [8756, 8784]
    with pytest.raises(WeatherError, match="3 weather years asked for, but the weather has 2"):
        given_years(weather, origin="w.csv", timezone=zone.timezone, count=3)
    half = weather.isel(time=slice(0, 8760 + 2000))
    with pytest.raises(
        WeatherError,
        match=rf"w.csv: weather year {zone.year + 1} is not whole: 6,780 of 8,784 hours are missing \(first 2028-03-24 12:00 local",
    ):
        given_years(half, origin="w.csv", timezone=zone.timezone)


def test_plan_trajectory_moves_by_hour_of_year():
    time = pd.date_range("2027-01-01", periods=48, freq="h")
    plan = xr.Dataset(
        {"storage_level": (("time",), np.arange(48.0)), "capacity": ((), 3.0)}, coords={"time": time}
    )
    leap = pd.date_range("2028-01-01", periods=60, freq="h")
    moved = by_hour_of_year(plan, leap)
    assert list(moved["time"].values) == list(leap.values)
    np.testing.assert_array_equal(moved["storage_level"].values, np.arange(60) % 48)


def test_adequacy_command_writes_figures_and_report(cli_run, tmp_path):  # noqa: F811
    out = tmp_path / "adequacy"
    done = greenzone(
        "--quiet",
        "adequacy",
        str(cli_run),
        "--weather-years",
        "2",
        "--outages",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads((out / "adequacy.json").read_text())
    for key in ("lole_h_per_year", "eue_mwh_per_year", "lolp", "per_year", "worst_events", "lole_spread"):
        assert key in figures
    assert [r["weather_year"] for r in figures["per_year"]] == figures["weather_year_labels"]
    assert len(figures["per_year"]) == 2 and figures["outages"] is True
    assert figures["lole_h_per_year"] == pytest.approx(np.mean([r["lole_h"] for r in figures["per_year"]]))
    with xr.open_dataset(out / "adequacy.nc") as ds:
        assert ds["shortfall"].attrs["units"] == "MW" and ds.sizes["weather_year"] == 2
        assert list(ds["start_utc"].values) == [f"{y}-01-01 00:00" for y in figures["weather_year_labels"]]
    text = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="adequacy">' in text and "adequacy-years" in text
    assert _outside_references(text) == []


def test_adequacy_refuses_a_plan_of_another_zone(cli_run, tmp_path):  # noqa: F811
    def bigger(data):
        data["nodes"][0]["demand"]["annual_mwh"] *= 2

    other = write_two_node_zone(tmp_path / "other", bigger)
    done = greenzone("adequacy", str(cli_run), "--zone", str(other), "--out", str(tmp_path / "a"))
    assert done.returncode == 2
    assert "was made for another zone" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "a").exists()
    shutil.rmtree(tmp_path / "other")


def test_rolling_windows_match_one_lp_for_the_year(tmp_path):
    """On the plan's own weather, 48-hour windows guided by the plan's levels cost what one LP over all the
    hours costs (``horizon`` = ``step`` = the year)."""
    from greenzone.planning.year import plan
    from plan_helpers import two_node_profiles, two_node_zone

    zone, _ = two_node_zone(
        tmp_path, technologies={"battery": {"capex_usd_per_kw": 30, "capex_usd_per_kwh": 15}}
    )
    prof = two_node_profiles(zone, 24 * 10)
    planned = plan(zone, prof)
    years = profile_years([prof])
    rolling = assess(zone, planned, years, workers=1)
    whole = assess(zone, planned, years, workers=1, horizon=240, step=240)
    a, b = rolling.years[0].operating_cost_usd, whole.years[0].operating_cost_usd
    assert a == pytest.approx(b, rel=1e-6)
    assert float(planned["storage_energy"].sum()) > 0  # storage takes part, so the windows matter


def _weather_csv(weather, path, drop_hours=()):
    """A long-format weather CSV (greenzone.weather.csv) of ``weather``, without the UTC hours in ``drop_hours``."""
    frame = weather[["ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed"]].to_dataframe().reset_index()
    frame = frame[~frame["time"].isin(pd.DatetimeIndex(drop_hours))]
    frame["time"] = frame["time"].dt.strftime("%Y-%m-%dT%H:%M+00:00")  # UTC, said so
    text = f"# wind_height_m: {weather.attrs['wind_height_m']}\n" + frame.to_csv(index=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_adequacy_over_the_years_of_a_weather_file_and_one_with_gaps(cli_run, tmp_path):  # noqa: F811
    zone = load_zone(cli_run / "zone.yaml")
    weather = load_weather(zone)
    good = _weather_csv(weather, tmp_path / "w.csv")
    out = tmp_path / "a"
    done = greenzone(
        "--quiet",
        "adequacy",
        str(cli_run),
        "--weather",
        "csv",
        "--weather-file",
        str(good),
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads((out / "adequacy.json").read_text())
    assert figures["weather_year_labels"] == [zone.year] and figures["synthetic_weather"] is False
    assert figures["per_year"][0]["hours"] == 8756  # a UTC year cut at local midnight
    gappy = _weather_csv(
        weather, tmp_path / "gappy.csv", drop_hours=pd.date_range("2027-03-02 05:00", periods=3, freq="h")
    )
    done = greenzone(
        "adequacy", str(cli_run), "--weather", "csv", "--weather-file", str(gappy), "--out", str(out)
    )
    assert done.returncode == 2
    assert "gappy.csv" in done.stderr and "2027-03-02 05:00" in done.stderr and "Traceback" not in done.stderr
    assert (out / "adequacy.json").is_file()  # the earlier results are left as they were


def test_adequacy_will_not_overwrite_the_run_it_reads(cli_run):  # noqa: F811
    before = sorted(p.name for p in cli_run.iterdir())
    done = greenzone("adequacy", str(cli_run), "--out", str(cli_run))
    assert done.returncode == 2 and "would replace the run folder" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in cli_run.iterdir()) == before


def test_year_guidance_reproduces_the_plan_on_its_own_weather_and_runs_on_others(tmp_path):
    """guidance="year" re-solves each year with the capacities fixed to guide its storage: on the plan's own
    weather that is the plan again (same operating cost); on a year with a quarter less sun it is no worse."""
    from greenzone.planning.year import plan
    from plan_helpers import two_node_profiles, two_node_zone

    zone, _ = two_node_zone(
        tmp_path, technologies={"battery": {"capex_usd_per_kw": 30, "capex_usd_per_kwh": 15}}
    )
    prof = two_node_profiles(zone, 24 * 10)
    planned = plan(zone, prof)
    dim = prof.copy(deep=True)
    dim["capacity_factor"].loc[{"technology": "solar_fixed"}] *= 0.75
    years = profile_years([prof, dim])
    by_plan = assess(zone, planned, years, workers=1)
    by_year = assess(zone, planned, years, workers=1, guidance="year", guidance_days=None)
    assert by_year.summary["guidance"] == "year" and "year's own optimum" in by_year.summary["method"]
    own_plan, own_year = by_plan.years[0].operating_cost_usd, by_year.years[0].operating_cost_usd
    assert own_year == pytest.approx(own_plan, rel=1e-6)
    assert by_year.years[1].operating_cost_usd <= by_plan.years[1].operating_cost_usd * (1 + 1e-9)
    assert by_year.years[1].operating_cost_usd > own_year  # less sun costs more
    with pytest.raises(ValueError, match="guidance must be one of"):
        assess(zone, planned, years, workers=1, guidance="oracle")


def test_when_chart_puts_shortfalls_at_their_local_hour():
    """A year cut at local midnight starts at 20:00 UTC the day before (Asia/Baku): its first hour is 00:00
    local on 1 January, and its hour 13 is 13:00 local."""
    from greenzone.report.adequacy import when_figure

    values = np.zeros((1, 8760))
    values[0, [0, 13]] = 5.0
    shortfall = xr.Dataset(
        {"shortfall": (("weather_year", "hour_of_year"), values)},
        coords={"weather_year": [2027], "start_utc": ("weather_year", ["2026-12-31 20:00"])},
    )
    counts = np.asarray(when_figure(shortfall, "Asia/Baku").data[0].z)
    assert counts.sum() == 2 and counts[0, 0] == 1 and counts[0, 13] == 1
