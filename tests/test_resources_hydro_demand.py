"""Hydro conversion, demand shapes and the assembled profiles on constructed weather."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from greenzone.errors import WeatherError, ZoneError
from greenzone.resources import profiles, summary
from greenzone.resources.demand import demand_profiles, read_demand_csv, scale_to_annual, shape
from greenzone.resources.hydro import (
    minimum_release_mw,
    reservoir_inflow_mw,
    run_of_river_capacity_factor,
    water_power_mw,
)
from greenzone.weather import zone_sites
from greenzone.weather.schema import make_weather
from greenzone.zone import load_zone
from greenzone.zone.schema import NodeTechnology


def constructed_weather(zone, hours=24 * 14, start="2027-01-01", discharge=None):
    """Flat, plausible weather for every node and the zone's rivers (no randomness)."""
    time = pd.date_range(start, periods=hours, freq="h")
    sites = zone_sites(zone)
    n = len(sites)
    hour = time.hour.to_numpy()
    sun = np.clip(np.sin((hour - 4) / 12 * np.pi), 0, None)[:, None] * np.ones((1, n))
    data = {
        "ghi": 600 * sun,
        "dni": 500 * sun,
        "dhi": 150 * sun,
        "temp_air": np.full((hours, n), 5.0),
        "pressure": np.full((hours, n), 95000.0),
        "wind_speed": np.full((hours, n), 7.0),
    }
    rivers = ["tartar", "hakari", "bazarchay", "araz"]
    if discharge is None:
        discharge = np.tile([20.0, 15.0, 18.0, 280.0], (hours, 1))
    return make_weather(
        time=time,
        sites=sites,
        data=data,
        wind_height_m=100,
        source="test",
        synthetic=False,
        title="test",
        rivers=rivers,
        discharge=discharge,
    )


def test_water_power():
    # 1000 kg/m^3 * 9.81 m/s^2 * 100 m * 10 m^3/s * 0.9 = 8.829 MW
    assert water_power_mw(10.0, 100.0, 0.9) == pytest.approx(8.829)


def test_run_of_river_cf_caps_at_design_flow_and_leaves_residual_flow():
    plant = NodeTechnology(river="r", head_m=100, design_flow_m3s=10, flow_share=0.5, residual_flow_m3s=1)
    q = np.array([0.0, 2.0, 12.0, 22.0, 100.0])
    # available = 0.5 q - 1, clipped to [0, 10], over 10
    np.testing.assert_allclose(run_of_river_capacity_factor(q, plant), [0.0, 0.0, 0.5, 1.0, 1.0])


def test_reservoir_inflow_and_monthly_minimum_release_in_local_time():
    plant = NodeTechnology(
        river="r",
        head_m=100,
        design_flow_m3s=58,
        storage_mwh=1000,
        efficiency=0.9,
        min_release_m3s=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    )
    np.testing.assert_allclose(reservoir_inflow_mw(np.array([10.0]), plant), [8.829])
    # 31 Jan 21:00 UTC is 1 Feb 01:00 in Baku (UTC+4): February's release applies
    time = pd.DatetimeIndex(["2027-01-31 19:00", "2027-01-31 20:00"])
    release = minimum_release_mw(time, "Asia/Baku", plant)
    np.testing.assert_allclose(release, water_power_mw(np.array([1.0, 2.0]), 100, 0.9))


def test_demand_shapes_peak_and_scaling():
    local = pd.date_range("2027-01-04", periods=24 * 7, freq="h")  # a Monday
    res = shape("residential", local)
    assert res.max() == pytest.approx(1.05)  # weekend evening
    assert np.argmax(res[:24]) in (19, 20)  # weekday evening peak
    com = shape("commercial", local)
    assert com[:24].max() > com[24 * 5 : 24 * 6].max()  # Saturday below Monday
    time = pd.date_range("2027-01-01", "2028-12-31 23:00", freq="h")
    scaled = scale_to_annual(np.ones(len(time)), time, 8760.0)
    assert scaled[time.year == 2027].sum() == pytest.approx(8760.0)
    assert scaled[time.year == 2028].sum() == pytest.approx(8760.0)  # leap year holds the same energy


def test_demand_profiles_match_annual_total_and_respond_to_cold():
    zone = load_zone()
    weather = constructed_weather(zone, hours=8760)
    d = demand_profiles(zone, weather)
    total = float(d.sum())
    expected = sum(n.demand.annual_at(zone.year) for n in zone.nodes if n.demand)
    assert total == pytest.approx(expected, rel=1e-9)
    assert float(d.sel(node="sarsang").sum()) == 0.0
    # a cold week raises load relative to a mild one
    cold = weather.copy(deep=True)
    cold["temp_air"][:] = np.where(np.arange(8760)[:, None] < 24 * 7, -10.0, 15.0)
    dc = demand_profiles(zone, cold).sel(node="shusha").values
    assert dc[: 24 * 7].mean() > dc[24 * 14 : 24 * 21].mean() * 1.15
    # 2040 demand is larger than 2027
    assert float(demand_profiles(zone, weather, year=2040).sum()) > 2 * total


def test_demand_csv_local_time_and_year_repetition(tmp_path):
    local = pd.date_range("2027-01-01", periods=8760, freq="h")
    values = np.arange(8760, dtype=float)
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": local.strftime("%Y-%m-%d %H:%M"), "value": values}).to_csv(path, index=False)
    time = pd.date_range("2027-01-01", periods=48, freq="h")
    out = read_demand_csv(path, time, "Asia/Baku", field="nodes[0].demand.csv")
    # UTC 00:00 is 04:00 local, value index 4
    assert out[0] == 4.0
    bad = tmp_path / "gap.csv"
    pd.DataFrame({"time": local.delete(100).strftime("%Y-%m-%d %H:%M"), "value": values[:-1]}).to_csv(
        bad, index=False
    )
    with pytest.raises(ZoneError, match="no gaps"):
        read_demand_csv(bad, time, "Asia/Baku", field="nodes[0].demand.csv")


def test_profiles_shape_units_and_values():
    zone = load_zone()
    weather = constructed_weather(zone)
    p = profiles(zone, weather)
    assert p["capacity_factor"].dims == ("time", "node", "technology")
    assert set(p["technology"].values) == set(zone.generator_ids)
    assert "battery" not in p["technology"].values
    cf = p["capacity_factor"]
    assert float(cf.min()) >= 0 and float(cf.max()) <= 1
    assert p["demand"].attrs["units"] == "MW" and p["inflow"].attrs["units"] == "MW"
    # solar is zero at night at every node where it stands, positive at noon (local 12 = 08 UTC)
    solar = cf.sel(technology="solar_fixed", node="jabrayil")
    assert float(solar.isel(time=20)) == 0.0  # 00 local
    assert float(solar.isel(time=8)) > 0.2
    # absent technologies are zero and flagged
    assert not bool(p["available"].sel(node="shusha", technology="wind_onshore"))
    assert float(cf.sel(node="shusha", technology="wind_onshore").max()) == 0
    # run-of-river: zangilan on the Bazarchay, its calibrated flow factor times its share of 18 m^3/s, less
    # its residual flow, over its design flow
    ror = zone.node("zangilan").technologies["hydro_ror"]
    f, share = ror.calibration.factor, ror.flow_share
    assert (f, share, ror.residual_flow_m3s, ror.design_flow_m3s) == (
        pytest.approx(0.939, abs=1e-3),
        0.9,
        1.7,
        39,
    )
    expected = (f * share * 18 - ror.residual_flow_m3s) / ror.design_flow_m3s
    assert float(cf.sel(node="zangilan", technology="hydro_ror").mean()) == pytest.approx(expected)
    # Sarsang inflow: the calibrated share of 20 m^3/s at 100 m, 0.88
    sarsang = zone.node("sarsang").technologies["hydro_reservoir"]
    assert float(p["inflow"].sel(node="sarsang", technology="hydro_reservoir").mean()) == pytest.approx(
        water_power_mw(sarsang.calibration.factor * sarsang.flow_share * 20, 100, 0.88)
    )
    # dispatchable availability
    assert float(cf.sel(node="aghdam", technology="gas_turbine").mean()) == pytest.approx(0.95)
    assert p.attrs["zone_fingerprint"] and p.attrs["synthetic"] == 0
    table = summary(p)
    assert ("kalbajar", "wind_onshore") in table.index
    assert ("shusha", "wind_onshore") not in table.index


def test_profiles_reject_weather_without_a_node_or_river():
    zone = load_zone()
    weather = constructed_weather(zone)
    with pytest.raises(WeatherError, match="no site for node"):
        profiles(zone, weather.sel(site=["jabrayil"]))
    with pytest.raises(WeatherError, match="river 'araz'"):
        profiles(zone, weather.sel(river=["tartar", "hakari", "bazarchay"]))
