"""Solar capacity factors: against pvlib's own ModelChain on the same weather, and physical sanity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from pvlib.modelchain import ModelChain
from pvlib.pvsystem import Array, FixedMount, PVSystem, SingleAxisTrackerMount

from greenzone.errors import WeatherError
from greenzone.resources.solar import SAPM_PARAMETERS, optimal_tilt, solar_capacity_factor
from greenzone.weather.schema import make_weather

SITES = pd.DataFrame(
    {"lat": [39.8, 32.2], "lon": [46.75, -110.95], "elevation": [1200.0, 730.0]},
    index=["karabakh", "tucson"],
)
TIME = pd.date_range("2023-01-01", periods=8760, freq="h")
MID = (TIME + pd.Timedelta(minutes=30)).tz_localize("UTC")
VARIABLES = ("ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed")


def _weather(*, seed: int = 1, cloudy: bool = True, wind_height_m: float = 10.0, wind_scale: float = 1.0):
    """Clear-sky (Ineichen) irradiance times a seeded cloud factor, split by Erbs; plausible met. data.

    Irradiance is computed at mid-hour, the instant the model evaluates the sun at.
    """
    rng = np.random.default_rng(seed)
    n = len(TIME)
    data = {name: np.zeros((n, len(SITES))) for name in VARIABLES}
    for j, site in enumerate(SITES.itertuples()):
        location = pvlib.location.Location(site.lat, site.lon, altitude=site.elevation)
        clear = location.get_clearsky(MID, model="ineichen", linke_turbidity=3.0)
        zenith = location.get_solarposition(MID)["zenith"].to_numpy()
        factor = rng.uniform(0.2, 1.0, n) if cloudy else np.ones(n)
        ghi = clear["ghi"].to_numpy() * factor
        parts = pvlib.irradiance.erbs(ghi, zenith, MID)
        data["ghi"][:, j] = ghi
        data["dni"][:, j] = np.asarray(parts["dni"])
        data["dhi"][:, j] = np.asarray(parts["dhi"])
        hours = np.arange(n)
        data["temp_air"][:, j] = 12 + 10 * np.sin(2 * np.pi * (hours / 8760 - 0.3)) + rng.normal(0, 3, n)
        data["pressure"][:, j] = pvlib.atmosphere.alt2pres(site.elevation) + rng.normal(0, 400, n)
        data["wind_speed"][:, j] = rng.weibull(2.0, n) * 4.0 * wind_scale
    return make_weather(
        time=TIME,
        sites=SITES,
        data=data,
        wind_height_m=wind_height_m,
        source="test",
        synthetic=True,
        title="SYNTHETIC test weather",
    ), data


@pytest.fixture(scope="module")
def weather_and_data():
    return _weather()


def _modelchain_cf(data: dict, j: int, tracking: str) -> np.ndarray:
    """pvlib's ModelChain (PVWatts DC and AC) for site j, per MW AC, on the same inputs at mid-hour."""
    site = SITES.iloc[j]
    if tracking == "fixed":
        mount = FixedMount(surface_tilt=float(optimal_tilt(site.lat)), surface_azimuth=180.0)
    else:
        mount = SingleAxisTrackerMount(axis_tilt=0, axis_azimuth=180, max_angle=55, backtrack=True, gcr=0.35)
    array = Array(
        mount,
        albedo=0.2,
        module_parameters={"pdc0": 1.25, "gamma_pdc": -0.0035},
        temperature_model_parameters=SAPM_PARAMETERS,
    )
    zero = ("shading", "snow", "mismatch", "wiring", "connections", "lid", "nameplate_rating", "age")
    losses = {"soiling": 14.0, "availability": 0.0} | dict.fromkeys(zero, 0.0)  # one 14 % loss
    system = PVSystem(
        arrays=[array],
        inverter_parameters={"pdc0": 1 / 0.96, "eta_inv_nom": 0.96},  # AC rating 1
        losses_parameters=losses,
    )
    location = pvlib.location.Location(site.lat, site.lon, altitude=site.elevation)
    chain = ModelChain(
        system,
        location,
        dc_model="pvwatts",
        ac_model="pvwatts",
        aoi_model="physical",
        spectral_model="no_loss",
        temperature_model="sapm",
        losses_model="pvwatts",
        transposition_model="haydavies",
        solar_position_method="nrel_numpy",
    )
    chain.run_model(pd.DataFrame({name: data[name][:, j] for name in VARIABLES}, index=MID))
    return chain.results.ac.fillna(0.0).to_numpy()


@pytest.mark.parametrize("tracking", ["fixed", "single_axis"])
def test_matches_pvlib_modelchain(weather_and_data, tracking):
    weather, data = weather_and_data
    cf = solar_capacity_factor(weather, tracking=tracking)
    for j, site in enumerate(SITES.index):
        ours = cf.sel(site=site).to_numpy()
        peer = _modelchain_cf(data, j, tracking)
        assert abs(ours.sum() / peer.sum() - 1) < 0.005, site
        assert np.max(np.abs(ours - peer)) < 0.005, site


def test_range_night_and_labels(weather_and_data):
    weather, data = weather_and_data
    cf = solar_capacity_factor(weather, tracking="single_axis")
    assert cf.dims == ("time", "site")
    assert cf.attrs["units"] == "MW/MW"
    assert (cf.indexes["time"] == TIME).all()
    assert list(cf["site"].values) == list(SITES.index)
    assert float(cf.min()) >= 0.0 and float(cf.max()) <= 1.0
    night = data["ghi"] == 0.0
    assert night.mean() > 0.4
    assert np.all(cf.to_numpy()[night] == 0.0)
    # Karabakh is UTC+4: its 20:00-21:00 UTC hour is local midnight; Tucson (UTC-7) peaks near 19 UTC.
    hourly = cf.groupby("time.hour").mean()
    assert float(hourly.sel(hour=20, site="karabakh")) == 0.0
    assert int(hourly.sel(site="tucson").argmax("hour")) in (18, 19, 20)


def test_inverter_clips_at_one():
    weather, _ = _weather(cloudy=False)
    cf = solar_capacity_factor(weather, sites=["tucson"], tracking="single_axis", dc_ac_ratio=1.6)
    assert float(cf.max()) == pytest.approx(1.0, abs=1e-9)
    assert int((cf > 0.999).sum()) > 100


def test_tracking_beats_fixed_at_a_sunny_site():
    weather, _ = _weather(cloudy=False)
    fixed = solar_capacity_factor(weather, sites=["tucson"], tracking="fixed").mean()
    tracked = solar_capacity_factor(weather, sites=["tucson"], tracking="single_axis").mean()
    assert 0.18 < float(fixed) < float(tracked) < 0.40
    assert float(tracked / fixed) > 1.1


def test_wind_is_moved_to_10_m():
    at_10, _ = _weather(seed=3)
    at_100, _ = _weather(seed=3, wind_height_m=100.0, wind_scale=10.0 ** (1 / 7))
    a = solar_capacity_factor(at_10, sites=["karabakh"])
    b = solar_capacity_factor(at_100, sites=["karabakh"])
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-12)


def test_default_tilt_and_explicit_tilt(weather_and_data):
    weather, _ = weather_and_data
    default = solar_capacity_factor(weather, sites=["karabakh"])
    explicit = solar_capacity_factor(weather, sites=["karabakh"], tilt_deg=float(optimal_tilt(39.8)))
    np.testing.assert_array_equal(default.to_numpy(), explicit.to_numpy())
    flat = solar_capacity_factor(weather, sites=["karabakh"], tilt_deg=0.0)
    assert float(flat.mean()) < float(default.mean())
    assert optimal_tilt(-40.0) == pytest.approx(33.5)


def test_site_selection_and_errors(weather_and_data):
    weather, _ = weather_and_data
    both = solar_capacity_factor(weather)
    one = solar_capacity_factor(weather, sites=["tucson"])
    np.testing.assert_array_equal(one.sel(site="tucson").to_numpy(), both.sel(site="tucson").to_numpy())
    with pytest.raises(WeatherError, match="'nowhere'"):
        solar_capacity_factor(weather, sites=["nowhere"])
    with pytest.raises(ValueError, match="tracking"):
        solar_capacity_factor(weather, tracking="dual_axis")
    with pytest.raises(ValueError, match="system_losses"):
        solar_capacity_factor(weather, system_losses=1.5)
