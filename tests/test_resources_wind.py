"""Wind capacity factors: against windpowerlib's ModelChain on the same weather, and physical sanity."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
import windpowerlib
from windpowerlib.power_output import power_curve_density_correction

from greenzone.errors import WeatherError, ZoneError
from greenzone.resources import wind
from greenzone.resources.wind import (
    available_turbines,
    density_corrected_power,
    turbine_power_curve,
    wind_capacity_factor,
)
from greenzone.weather.schema import make_weather

SITES = pd.DataFrame(
    {"lat": [40.2, 39.6], "lon": [47.1, 46.4], "elevation": [20.0, 2000.0]},
    index=["lowland", "highland"],
)
ROUGHNESS = {"lowland": 0.03, "highland": 0.25}
TIME = pd.date_range("2023-01-01", periods=8760, freq="h")


def _weather(wind_speed: np.ndarray, *, pressure=(101_325.0, 79_500.0), temp_air=10.0, height: float = 10.0):
    n = wind_speed.shape[0]
    shape = (n, len(SITES))
    data = {name: np.zeros(shape) for name in ("ghi", "dni", "dhi")}
    data["wind_speed"] = np.broadcast_to(wind_speed, shape).copy()
    data["pressure"] = np.broadcast_to(np.asarray(pressure, dtype=float), shape).copy()
    data["temp_air"] = np.broadcast_to(np.asarray(temp_air, dtype=float), shape).copy()
    return make_weather(
        time=TIME[:n],
        sites=SITES,
        data=data,
        wind_height_m=height,
        source="test",
        synthetic=True,
        title="SYNTHETIC test weather",
    )


@pytest.fixture(scope="module")
def year():
    rng = np.random.default_rng(11)
    n = len(TIME)
    speed = rng.weibull(2.0, (n, 2)) * 8.0
    pressure = np.column_stack([101_325 + rng.normal(0, 800, n), 79_500 + rng.normal(0, 600, n)])
    temp = rng.normal(10.0, 8.0, (n, 2))
    return _weather(speed, pressure=pressure, temp_air=temp), speed, pressure, temp


def _modelchain_cf(speed, pressure, temp, z0, turbine, loss_factor=0.10):
    weather = pd.DataFrame(
        {
            ("wind_speed", 10): speed,
            ("temperature", 2): temp + 273.15,
            ("pressure", 0): pressure,
            ("roughness_length", 0): z0,
        },
        index=TIME[: len(speed)],
    )
    weather.columns = pd.MultiIndex.from_tuples(weather.columns)
    plant = windpowerlib.WindTurbine(hub_height=100.0, turbine_type=turbine)
    chain = windpowerlib.ModelChain(
        plant,
        wind_speed_model="logarithmic",
        density_model="ideal_gas",
        temperature_model="linear_gradient",
        power_output_model="power_curve",
        density_correction=True,
    ).run_model(weather)
    return chain.power_output.to_numpy() / plant.nominal_power * (1 - loss_factor)


@pytest.mark.parametrize("turbine", ["E-115/3200", "AD116/5000"])
def test_matches_windpowerlib_modelchain(year, turbine):
    weather, speed, pressure, temp = year
    cf = wind_capacity_factor(weather, roughness_length_m=ROUGHNESS, turbine=turbine)
    for j, site in enumerate(SITES.index):
        ours = cf.sel(site=site).to_numpy()
        peer = _modelchain_cf(speed[:, j], pressure[:, j], temp[:, j], ROUGHNESS[site], turbine)
        assert abs(ours.sum() / peer.sum() - 1) < 0.005, site
        assert np.max(np.abs(ours - peer)) < 0.005, site


def test_density_correction_matches_windpowerlib_point_by_point():
    rng = np.random.default_rng(5)
    speeds, power = turbine_power_curve("E-115/3200")
    v = np.concatenate([rng.uniform(0, 32, 3000), speeds, [0.0, 25.0, 26.0]])
    rho = rng.uniform(0.8, 1.4, v.size)
    ours = density_corrected_power(v, rho, speeds, power)
    peer = np.asarray(power_curve_density_correction(v, pd.Series(speeds), pd.Series(power), rho))
    np.testing.assert_allclose(ours, peer, rtol=0, atol=1e-12)
    at_reference = density_corrected_power(v, np.full(v.size, 1.225), speeds, power)
    np.testing.assert_allclose(at_reference, np.interp(v, speeds, power, left=0, right=0), atol=1e-12)


def test_range_and_shape(year):
    weather = year[0]
    cf = wind_capacity_factor(weather, roughness_length_m=0.1)
    assert cf.dims == ("time", "site")
    assert cf.attrs["units"] == "MW/MW"
    assert (cf.indexes["time"] == TIME).all()
    assert float(cf.min()) == 0.0
    assert float(cf.max()) == pytest.approx(0.9)
    assert 0.2 < float(cf.mean()) < 0.7
    assert float(wind_capacity_factor(weather, roughness_length_m=0.1, loss_factor=0.0).max()) <= 1.0


def test_cut_out_and_rated():
    # At the hub height itself no profile applies: these are hub-height speeds.
    speed = np.array([[2.5], [20.0], [24.0], [26.0], [35.0]])
    cf = wind_capacity_factor(
        _weather(speed, height=100.0), roughness_length_m=0.1, sites=["lowland"], loss_factor=0.0
    )
    values = cf.sel(site="lowland").to_numpy()
    assert 0.0 < values[0] < 0.05
    np.testing.assert_allclose(values[1:3], 1.0)
    np.testing.assert_array_equal(values[3:], 0.0)


def test_thin_air_gives_less_power_at_moderate_speeds():
    speed = np.full((24, 1), 8.0)
    cf = wind_capacity_factor(
        _weather(speed, pressure=(101_325.0, 80_000.0), height=100.0), roughness_length_m=0.1
    )
    low, high = float(cf.sel(site="lowland").mean()), float(cf.sel(site="highland").mean())
    assert 0.3 < high < low < 0.6
    assert high / low == pytest.approx((80_000 - 1250) / (101_325 - 1250), rel=0.05)  # about ~ density


def test_rougher_ground_gives_faster_hub_wind():
    speed = np.full((24, 1), 6.0)
    weather = _weather(speed)
    smooth = wind_capacity_factor(weather, roughness_length_m=0.01, sites=["lowland"])
    rough = wind_capacity_factor(weather, roughness_length_m=0.5, sites=["lowland"])
    assert float(rough.mean()) > float(smooth.mean()) > 0.0


def test_turbine_library():
    names = available_turbines()
    assert "E-115/3200" in names and names == sorted(names) and len(names) > 50
    speeds, power = turbine_power_curve("E-115/3200")
    assert np.all(np.diff(speeds) > 0)
    assert power.max() == pytest.approx(1.0)
    speeds[0] = -1.0  # a copy: the cached curve stays intact
    assert turbine_power_curve("E-115/3200")[0][0] >= 0.0


def test_turbine_library_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    wind._library.cache_clear()
    wind._power_curve.cache_clear()
    assert turbine_power_curve("V112/3000")[1].max() > 0.9
    assert len(available_turbines()) > 50


def test_errors(year):
    weather = year[0]
    with pytest.raises(ZoneError, match=r"'E115/3200'.*E-115/3200"):
        wind_capacity_factor(weather, roughness_length_m=0.1, turbine="E115/3200")
    with pytest.raises(ZoneError, match="'highland'"):
        wind_capacity_factor(weather, roughness_length_m={"lowland": 0.1})
    with pytest.raises(WeatherError, match="'nowhere'"):
        wind_capacity_factor(weather, roughness_length_m=0.1, sites=["nowhere"])
    with pytest.raises(ValueError, match="roughness"):
        wind_capacity_factor(weather, roughness_length_m=0.0)
    with pytest.raises(ValueError, match="loss_factor"):
        wind_capacity_factor(weather, roughness_length_m=0.1, loss_factor=1.0)
