"""Plans over several weather years (costs per average year), and weather files with gaps.

Short "years" (two weeks each, joined across New Year) keep the LPs small where only the joining matters; the
fuel-budget, seasonal-storage and pipeline tests run on real calendar years (2027 and the leap year 2028).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from cli_helpers import cli_main
from greenzone.errors import WeatherError
from greenzone.kpi import kpis
from greenzone.planning.typical_days import typical_days
from greenzone.planning.year import balance_residual, plan
from greenzone.weather.csv import read_csv
from plan_helpers import hand_profiles, seasonal_hydrogen_zone, two_node_zone, write_small_zone

REL = 1e-7
HOURS_2027_2028 = 8760 + 8784


def _join(*parts, start="2027-12-18"):
    """Profiles one after another on one gap-free hourly axis from ``start`` (default: across New Year)."""
    out, at = [], pd.Timestamp(start)
    for part in parts:
        n = part.sizes["time"]
        out.append(part.assign_coords(time=pd.date_range(at, periods=n, freq="h")))
        at += pd.Timedelta(hours=n)
    return xr.concat(out, dim="time", data_vars="minimal")


def _mixed_zone(tmp_path):
    """Every family of the planner's two-node zone; a lossless battery cheap enough to be built."""
    zone, _ = two_node_zone(
        tmp_path,
        technologies={"battery": {"standing_loss_per_h": 0, "capex_usd_per_kwh": 40}},
        reserve_share=0.1,
        renewable_share_min=0.6,
    )
    return zone


def _year(zone, seed: int, sun: float = 1.0, days: int = 14):
    """A short weather "year": daily cloudiness and wind from ``seed``, sunshine scaled by ``sun``."""
    hours = 24 * days
    t = np.arange(hours)
    rng = np.random.default_rng(seed)
    daily = np.repeat(0.6 + 0.4 * rng.random(days), 24)
    solar = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * daily * sun
    wind = np.clip(0.35 + 0.3 * np.sin(t / 17.0 + seed) + 0.1 * rng.standard_normal(hours), 0, 1)
    load = 1 + 0.3 * np.sin((t % 24 - 14) / 24 * 2 * np.pi)
    return _join(
        hand_profiles(
            zone,
            hours,
            cf={("a", "solar_fixed"): solar, ("b", "wind_onshore"): wind},
            demand={"a": 22.8 * load, "b": 11.4 * load},
            inflow={("b", "hydro_reservoir"): 6.0 + 3.0 * np.sin(t / 50.0 + seed)},
            min_release={("b", "hydro_reservoir"): 0.86},
        )
    )


def _objective(result) -> float:
    return float(result.attrs["objective_usd_per_year"])


# ------------------------------------------------------------------------------------ several weather years


@pytest.mark.parametrize("typical", [None, 6], ids=["hourly", "typical_days"])
def test_the_same_year_twice_is_the_one_year_plan(tmp_path, typical):
    """Twice the same weather: the same capacities and the same cost per average year (the extra year only
    doubles every weight; typical days: the same representative days, each standing for twice the days)."""
    zone = _mixed_zone(tmp_path)
    one = _year(zone, seed=0)
    twice = _join(one, one)
    single = plan(zone, one, typical_days=typical)
    double = plan(zone, twice, typical_days=typical)
    assert double.attrs["alpha"] == pytest.approx(single.attrs["alpha"] / 2, rel=1e-12)
    assert _objective(double) == pytest.approx(_objective(single), rel=REL)
    for name in ("capacity", "storage_energy", "storage_discharge_capacity", "link_capacity"):
        np.testing.assert_allclose(double[name].values, single[name].values, rtol=1e-6, atol=1e-5)
    assert float(single["storage_energy"].sum()) > 10  # the battery is built: its cycle spans both years
    a, b = kpis(single, zone), kpis(double, zone)
    for key in ("demand_mwh", "co2_t", "grid_import_mwh", "unserved_energy_mwh", "renewable_share"):
        assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-6), key
    if typical:
        assert double.attrs["typical_days_dates"] == single.attrs["typical_days_dates"]
    assert double.sizes["time"] == 2 * single.sizes["time"]
    assert float(np.abs(balance_residual(double)).max()) < 1e-6


def test_two_different_years_cost_between_them(tmp_path):
    """A sunny and a cloudy year: one plan for both costs at least their mean (it must serve both with one set
    of capacities) and, here, less than the cloudy year alone. Costs are per average year, so summing the two
    years' operating costs (alpha of one year) would push it above the cloudy year's."""
    zone = _mixed_zone(tmp_path)
    sunny, cloudy = _year(zone, seed=0), _year(zone, seed=1, sun=0.6)
    plan_sunny = plan(zone, sunny)
    cost_sunny, cost_cloudy = _objective(plan_sunny), _objective(plan(zone, cloudy))
    both = plan(zone, _join(sunny, cloudy))
    cost = _objective(both)
    assert cost_sunny < cost_cloudy
    assert (cost_sunny + cost_cloudy) / 2 - 1e-6 * cost <= cost < cost_cloudy
    assert cost > (cost_sunny + cost_cloudy) / 2 * (1 + 1e-4)  # one plan for both is dearer than each its own
    assert both.attrs["alpha"] == pytest.approx(8760 / (2 * 14 * 24))
    # demand of the average year is the mean of the two (equal here), not their sum
    assert kpis(both, zone)["demand_mwh"] == pytest.approx(kpis(plan_sunny, zone)["demand_mwh"], rel=1e-9)


def test_every_day_a_typical_day_equals_the_hourly_plan_over_two_years(tmp_path):
    """Typical days on two years (across New Year) with N = every day: the linked LP is the hourly one."""
    zone = _mixed_zone(tmp_path)
    both = _join(_year(zone, seed=0), _year(zone, seed=1, sun=0.6))
    hourly = plan(zone, both)
    typical = plan(zone, both, typical_days=28)
    assert _objective(typical) == pytest.approx(_objective(hourly), rel=1e-6)
    for name in ("capacity", "storage_energy", "link_capacity"):
        np.testing.assert_allclose(typical[name].values, hourly[name].values, rtol=1e-5, atol=1e-4)
    assert typical.attrs["time_resolution"] == "28 typical days (Kotzur storage linking)"  # < a year


def _budget_zone(tmp_path):
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 40,
                "lon": 46,
                "demand": {"annual_mwh": 87600},
                "technologies": {"biomass": {"fuel_budget_mwh": 30_000}, "gas_turbine": {}},
            }
        ],
        "technologies": {
            "biomass": {"availability": 1.0, "lifetime_years": 25},
            "gas_turbine": {"availability": 1.0, "lifetime_years": 30},
        },
        "policy": {"co2_cap_t": 14_000, "value_of_lost_load_usd_per_mwh": 3000},
    }
    return write_small_zone(tmp_path, body)[0]


def test_fuel_budget_and_co2_cap_are_per_average_year(tmp_path):
    """10 MW flat demand over 2027 and 2028 (17,544 hours); biomass may burn 30,000 MWh and the gas turbine
    (0.56 t/MWh) emit 14,000 t per year: 30,000 + 25,000 MWh/yr are served, 32,600 MWh/yr are not, both
    plants run flat at their yearly energy / 8,760 h. Over the two years the limits allow twice as much (per
    hour of the horizon: 17,544 / 8,760 years), and the cost per year is the one-year plan's."""
    zone = _budget_zone(tmp_path)
    two_years = hand_profiles(zone, HOURS_2027_2028, demand={"a": 10.0})
    one_year = hand_profiles(zone, 8760, demand={"a": 10.0})
    result = plan(zone, two_years)
    alpha = 8760 / HOURS_2027_2028
    assert result.attrs["alpha"] == pytest.approx(alpha, rel=1e-12)
    dispatch = result["dispatch"].sel(node="a")
    gas, bio = 14_000 / 0.56, 30_000
    assert float(dispatch.sel(technology="biomass").sum()) == pytest.approx(bio / alpha, rel=1e-6)
    assert float(dispatch.sel(technology="gas_turbine").sum()) == pytest.approx(gas / alpha, rel=1e-6)
    figures = kpis(result, zone)
    assert figures["co2_t"] == pytest.approx(14_000, rel=1e-6)
    assert figures["demand_mwh"] == pytest.approx(87_600, rel=1e-12)
    assert figures["unserved_energy_mwh"] == pytest.approx(87_600 - bio - gas, rel=1e-6)
    capacity = result["capacity"].sel(node="a")
    assert float(capacity.sel(technology="biomass")) == pytest.approx(bio / 8760, rel=1e-5)
    assert float(capacity.sel(technology="gas_turbine")) == pytest.approx(gas / 8760, rel=1e-5)
    by_hand = (
        bio / 8760 * (2500e3 / 25 + 100e3)  # annualised capex (0% discount) + fixed O&M [USD/MW/yr]
        + gas / 8760 * (700e3 / 30 + 15e3)
        + bio * (5 + 20 / 0.30)  # variable O&M + fuel [USD/MWh]
        + gas * (5 + 11.6 / 0.36)
        + (87_600 - bio - gas) * 3000
    )
    assert _objective(result) == pytest.approx(by_hand, rel=1e-6)
    assert _objective(plan(zone, one_year)) == pytest.approx(by_hand, rel=1e-6)


def test_a_seasonal_store_links_across_the_year_boundary(tmp_path):
    """Solar strong in summer and weak in winter over 2027 and 2028, hydrogen the only store: with typical days
    the store carries summer sun through each winter, across New Year, levels continuous through every day."""
    zone = seasonal_hydrogen_zone(tmp_path)
    time = pd.date_range("2027-01-01", periods=HOURS_2027_2028, freq="h")
    season = 0.6 + 0.4 * np.cos(2 * np.pi * (time.day_of_year.to_numpy() - 172) / 365.25)
    day = np.arange(time.size) // 24
    sun = np.clip(np.sin((time.hour.to_numpy() - 6) / 12 * np.pi), 0, None) * season * (1 + 0.1 * np.sin(day))
    prof = hand_profiles(zone, time.size, cf={("a", "solar_fixed"): sun}, demand={"a": 1.0})
    result = plan(zone, prof, typical_days=12)
    assert result.attrs["time_resolution"] == "12 typical days (Kotzur storage linking) over 2 weather years"
    level = result["storage_level"].sel(node="a", storage="hydrogen").to_series()
    energy = float(result["storage_energy"].sel(node="a", storage="hydrogen"))
    assert energy > 50
    assert level.min() >= -1e-6 and level.max() <= energy + 1e-6
    # at New Year the store holds much of its energy and keeps emptying into the second year's spring
    new_year = level.index.get_loc(pd.Timestamp("2028-01-01"))
    assert level.iloc[new_year - 1] > 0.3 * energy
    assert level.loc["2028-01"].mean() > level.loc["2028-03"].mean()
    # the level follows the hourly balance through every original hour, the year boundary included
    charge = result["storage_charge"].sel(node="a", storage="hydrogen").values
    discharge = result["storage_discharge"].sel(node="a", storage="hydrogen").values
    eta_c = zone.technologies["hydrogen"].efficiency_charge
    eta_d = zone.technologies["hydrogen"].efficiency_discharge
    values = level.to_numpy()
    np.testing.assert_allclose(
        values - (1 - 1e-4) * np.roll(values, 1), eta_c * charge - discharge / eta_d, atol=1e-6
    )
    # without linking no energy crosses a day, let alone a year: a much dearer plan
    naive = plan(zone, prof, typical_days=12, linking=False)
    assert _objective(naive) > 1.2 * _objective(result)
    # the days of both years are clustered together and every day stands somewhere; local days too
    agg = typical_days(prof, 12, renewables=["solar_fixed"])
    assert agg.n_original_periods == 731 and agg.cluster_size.sum() == 731
    local = prof.assign_coords(time=prof.indexes["time"] - pd.Timedelta(hours=4))  # local midnights in Baku
    agg = typical_days(local, 12, timezone="Asia/Baku", renewables=["solar_fixed"])
    assert agg.n_original_periods == 731 and agg.weights.sum() == HOURS_2027_2028


def test_synthetic_weather_years_through_profiles_and_plan(tmp_path):
    """load_weather(years=2) → profiles over 17,544 hours, each calendar year holding the annual demand; the
    plan's figures are per average year of 8,760 hours (2 × 8,760 MWh × 8,760 / 17,544 of demand)."""
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "fuzuli",
                    "lat": 39.594,
                    "lon": 47.197,
                    "elevation_m": 370,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {}, "wind_onshore": {}, "battery": {}, "gas_turbine": {}},
                }
            ],
            "policy": {"allow_unserved": False},
        },
    )
    prof = profiles(zone, load_weather(zone, years=2))
    time = pd.DatetimeIndex(prof.indexes["time"])
    assert len(time) == HOURS_2027_2028 and set(time.year) == {2027, 2028}
    demand = prof["demand"].sel(node="fuzuli").to_series()
    np.testing.assert_allclose(demand.groupby(time.year).sum().values, [8760, 8760], rtol=1e-9)
    result = plan(zone, prof, typical_days=8)
    assert result.attrs["time_resolution"].endswith("over 2 weather years")
    assert result.sizes["time"] == HOURS_2027_2028
    demand = result.attrs["alpha"] * float(result["demand_original"].sum())
    assert demand == pytest.approx(2 * 8760 * 8760 / HOURS_2027_2028, rel=1e-9)  # 8,748 MWh/yr: 2028 leaps
    figures = kpis(result, zone)  # on the typical days' demand: within the aggregation's error
    assert figures["demand_mwh"] == pytest.approx(demand, rel=0.05)
    assert figures["total_cost_usd_per_year"] == pytest.approx(_objective(result))


# -------------------------------------------------------------------------------------------------- CLI


def test_run_over_two_weather_years(tmp_path, monkeypatch, capsys):
    zone_path = tmp_path / "zone.yaml"
    zone_path.write_text(
        yaml.safe_dump(
            {
                "name": "two-year zone",
                "timezone": "Asia/Baku",
                "year": 2027,
                "nodes": [
                    {
                        "id": "fuzuli",
                        "lat": 39.594,
                        "lon": 47.197,
                        "elevation_m": 370,
                        "demand": {"annual_mwh": 8760},
                        "technologies": {"solar_fixed": {}, "battery": {}, "gas_turbine": {}},
                    }
                ],
            },
            sort_keys=False,
        )
    )
    out = tmp_path / "run"
    args = ["run", str(zone_path), "--weather-years", "2", "--typical-days", "6", "--out", str(out)]
    code, stdout, err = cli_main(monkeypatch, capsys, *args)
    assert code == 0, err
    assert "2 weather years" in " ".join(stdout.split())
    figures = json.loads((out / "kpis.json").read_text())
    with xr.open_dataset(out / "plan.nc") as result:
        assert result.sizes["time"] == HOURS_2027_2028
        assert result.attrs["alpha"] == pytest.approx(8760 / HOURS_2027_2028)
        assert figures["total_cost_usd_per_year"] == pytest.approx(result.attrs["objective_usd_per_year"])
    assert figures["time_resolution"].endswith("over 2 weather years")
    assert (out / "report.html").is_file()


# ---------------------------------------------------------------------------------- weather files with gaps

SITES = pd.DataFrame(
    {"lat": [39.594], "lon": [47.197], "elevation": [370.0]}, index=pd.Index(["fuzuli"], name="site")
)


def _weather_csv(path, hours: pd.DatetimeIndex, *, temp=None) -> str:
    """A one-site weather CSV (UTC times) over ``hours``; ``temp`` replaces the temperature column's text."""
    temp = [f"{10 + (t.hour % 24) / 4:.2f}" for t in hours] if temp is None else temp
    rows = [f"{t:%Y-%m-%dT%H:%M},fuzuli,0,{c},2.5" for t, c in zip(hours, temp, strict=True)]
    path.write_text("# wind_height_m: 10\ntime,site,ghi,temp_air,wind_speed\n" + "\n".join(rows) + "\n")
    return str(path)


HOURS = pd.date_range("2027-01-01", periods=72, freq="h")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "gap",
            r"gappy\.csv: site fuzuli: 4 h from 2027-01-01 05:00 to 2027-01-01 09:00 UTC: 3 hour\(s\) missing, "
            r"2027-01-01 06:00 to 2027-01-01 08:00 UTC \(4 missing hour\(s\) in all, in 2 gap\(s\)\).*"
            r"fill or interpolate the missing hours",
        ),
        (
            "duplicate",
            r"gappy\.csv: line 16: site fuzuli has 2027-01-01 12:00 UTC twice \(1 duplicated hour\(s\) at this "
            r"site\); remove the duplicate rows",
        ),
        (
            "nan",
            r"gappy\.csv: line 23 \(2027-01-01 20:00 UTC, site fuzuli\): column 'temp_air' is empty \(2 bad "
            r"value\(s\) in this column\); fill or interpolate the gaps",
        ),
    ],
)
def test_weather_file_with_gaps_names_file_site_and_first_hour(tmp_path, case, message):
    hours, temp = HOURS, None
    if case == "gap":
        hours = HOURS.delete([6, 7, 8, 40])
    elif case == "duplicate":
        hours = HOURS.insert(13, HOURS[12])
    else:
        temp = [("NaN" if i in (20, 30) else "5") for i in range(len(HOURS))]
    path = _weather_csv(tmp_path / "gappy.csv", hours, temp=temp)
    with pytest.raises(WeatherError, match=message):
        read_csv(path, sites=SITES)


def _station_zone(tmp_path):
    return write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "fuzuli",
                    "lat": 39.594,
                    "lon": 47.197,
                    "elevation_m": 370,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {}, "gas_turbine": {}},
                }
            ]
        },
    )[1]


@pytest.mark.parametrize("case", ["gap", "duplicate", "nan"])
def test_run_with_a_gappy_weather_file_exits_2(tmp_path, monkeypatch, capsys, case):
    hours, temp = HOURS, None
    if case == "gap":
        hours = HOURS.delete(30)
    elif case == "duplicate":
        hours = HOURS.insert(31, HOURS[30])
    else:
        temp = [("" if i == 30 else "5") for i in range(len(HOURS))]
    weather = _weather_csv(tmp_path / "station.csv", hours, temp=temp)
    zone_path = _station_zone(tmp_path)
    args = ["run", str(zone_path), "--weather", "csv", "--weather-file", weather, "--hourly"]
    code, _, err = cli_main(monkeypatch, capsys, *args, "--out", str(tmp_path / "out"))
    text = " ".join(err.split())
    assert code == 2, err
    assert "Traceback" not in err
    assert "station.csv" in text and "site fuzuli" in text and "2027-01-02 06:00" in text
    assert ("remove the duplicate rows" if case == "duplicate" else "fill or interpolate") in text
    assert not (tmp_path / "out").exists()


def test_weather_years_with_a_weather_file_is_refused(tmp_path, monkeypatch, capsys):
    """--weather-years makes synthetic years; with a file it would be silently ignored, so it is an error."""
    weather = _weather_csv(tmp_path / "station.csv", HOURS)
    args = ["run", str(_station_zone(tmp_path)), "--weather", "csv", "--weather-file", weather]
    code, _, err = cli_main(monkeypatch, capsys, *args, "--weather-years", "2", "--out", str(tmp_path / "o"))
    assert code == 2 and "Traceback" not in err
    assert "leave --weather-years out" in " ".join(err.split())
