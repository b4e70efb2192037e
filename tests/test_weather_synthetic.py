"""Tests of the SYNTHETIC weather generator, against the packaged Karabakh climatology.

Calibration is checked on an ensemble of 60 seeds x 2 years (120 independent site-years per site): single
years scatter by design (monthly GHI by 6-18 %, river months by about 16 %), so 10 years would not separate a
calibration error of 5 % from chance. Targets are computed here from pvlib, independently of the generator.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pydantic
import pytest
import xarray as xr
import yaml
from scipy import stats

from greenzone.errors import WeatherError
from greenzone.weather import synthetic
from greenzone.weather.schema import SITE_VARIABLES, check_weather

SITES = pd.DataFrame(
    {
        "lat": [39.400, 39.594, 39.09, 39.641, 40.107, 39.758, 39.993, 40.181, 39.160],
        "lon": [47.026, 47.197, 46.65, 46.547, 46.038, 46.748, 46.931, 46.617, 46.935],
        "elevation": [460, 370, 340, 1500, 3000, 1400, 370, 700, 300],
    },
    index=pd.Index(
        ["jabrayil", "fuzuli", "zangilan", "lachin", "kalbajar", "shusha", "aghdam", "sarsang", "khudafarin"],
        name="site",
    ),
)
YEARS = [2001, 2002]
N_SEEDS = 60


@pytest.fixture(scope="module")
def climatology() -> synthetic.Climatology:
    return synthetic.read_climatology(synthetic.default_climatology_path())


@pytest.fixture(scope="module")
def weather(climatology) -> xr.Dataset:
    return synthetic.generate(sites=SITES, climatology=climatology, years=YEARS, seed=7)


def _mid_hour_sun(time: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """True solar zenith [deg] and extraterrestrial horizontal irradiance [W/m^2] at mid-hour, per site."""
    middle = time + pd.Timedelta(minutes=30)
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(middle.day_of_year.to_numpy()), float)
    zenith = {}
    for site, row in SITES.iterrows():
        position = pvlib.solarposition.get_solarposition(middle, row.lat, row.lon, altitude=row.elevation)
        zenith[site] = position["zenith"].to_numpy()
    zenith = pd.DataFrame(zenith, index=time)
    extra = pd.DataFrame(
        dni_extra[:, None] * np.maximum(np.cos(np.radians(zenith.to_numpy())), 0.0),
        index=time,
        columns=zenith.columns,
    )
    return zenith, extra


@pytest.fixture(scope="module")
def ensemble(climatology) -> dict:
    """Statistics of 60 seeds x 2 years x 9 sites, accumulated without keeping every dataset."""
    ghi_month, discharge_month, temp_month, ghi_year = 0.0, 0.0, 0.0, []
    wind, temp_by_hour, wind_by_hour = [], 0.0, 0.0
    for seed in range(N_SEEDS):
        ds = synthetic.generate(sites=SITES, climatology=climatology, years=YEARS, seed=seed)
        time = ds.indexes["time"]
        ghi = ds["ghi"].to_pandas()
        ghi_month = ghi_month + ghi.groupby(time.month).mean() / N_SEEDS
        ghi_year.append(ghi.groupby(time.year).mean())
        discharge_month = discharge_month + ds["discharge"].to_pandas().groupby(time.month).mean() / N_SEEDS
        temp = ds["temp_air"].to_pandas()
        temp_month = temp_month + temp.groupby(time.month).mean() / N_SEEDS
        temp_by_hour = temp_by_hour + temp.groupby(time.hour).mean() / N_SEEDS
        wind_speed = ds["wind_speed"].to_pandas()
        wind_by_hour = wind_by_hour + wind_speed.groupby(time.hour).mean() / N_SEEDS
        wind.append(ds["wind_speed"].values.astype(np.float32))
    zenith, extra = _mid_hour_sun(time)
    return {
        "time": time,
        "extra": extra,
        "ghi_month": ghi_month,
        "ghi_year": pd.concat(ghi_year),
        "discharge_month": discharge_month,
        "temp_month": temp_month,
        "temp_by_hour": temp_by_hour,
        "wind_by_hour": wind_by_hour,
        "wind": np.concatenate(wind).astype(float),
    }


def _kt(climatology) -> pd.DataFrame:
    return pd.DataFrame(
        {s: climatology.sites[s].clearness_index for s in SITES.index}, index=pd.RangeIndex(1, 13)
    )


# ----------------------------------------------------------------------------------------------------------
# Calibration
# ----------------------------------------------------------------------------------------------------------


def test_annual_ghi_matches_clearness_index_target(ensemble, climatology):
    time, extra = ensemble["time"], ensemble["extra"]
    kt_hourly = _kt(climatology).loc[time.month].set_axis(time)
    target = (kt_hourly * extra).mean()  # Kt relative to extraterrestrial, per month
    hours = pd.Series(1.0, index=time).groupby(time.month).sum()
    simulated = ensemble["ghi_month"].mul(hours, axis=0).sum() / hours.sum()
    error = simulated / target - 1.0
    assert error.abs().max() < 0.03, error.round(4).to_dict()
    # And the region's lowland sites land where the published figures put them (1,501-1,607 kWh/m^2/yr).
    annual_kwh = simulated * 8766 / 1000
    assert annual_kwh[["jabrayil", "fuzuli", "zangilan", "khudafarin"]].between(1480, 1640).all()


def test_monthly_ghi_matches_clearness_index_target(ensemble, climatology):
    extra_month = ensemble["extra"].groupby(ensemble["time"].month).mean()
    target = _kt(climatology) * extra_month
    error = ensemble["ghi_month"] / target - 1.0
    assert error.abs().to_numpy().max() < 0.05, error.round(3)


def test_single_years_vary_around_the_climatology(ensemble):
    yearly = ensemble["ghi_year"]  # one row per (seed, year)
    variation = yearly.std() / yearly.mean()
    assert (variation > 0.01).all() and (variation < 0.08).all(), variation.round(4).to_dict()


def test_wind_mean_and_weibull_shape(ensemble, climatology):
    wind = ensemble["wind"]
    for j, site in enumerate(SITES.index):
        expected = climatology.sites[site]
        # every 5th hour keeps the fit fast; with an hour-to-hour correlation of about 0.95 it loses little
        shape, _, _ = stats.weibull_min.fit(wind[::5, j], floc=0)
        assert wind[:, j].mean() == pytest.approx(expected.wind_mean_ms, rel=0.02), site
        assert shape == pytest.approx(expected.wind_weibull_k, rel=0.02), site


def test_wind_daily_cycle_peaks_at_the_local_hour(ensemble, climatology):
    # Asia/Baku is UTC+4 in these years (UTC+5 in summer daylight saving until 2015).
    by_hour = ensemble["wind_by_hour"]
    for site in ["jabrayil", "kalbajar"]:
        peak_local = climatology.sites[site].wind_peak_hour_local
        peak_utc = int(by_hour[site].idxmax())
        distances = [(peak_utc + offset + 0.5 - peak_local) % 24 for offset in (4, 5)]
        assert min(min(d, 24 - d) for d in distances) <= 1.5, (site, peak_utc)


def test_river_monthly_and_annual_means(ensemble, climatology):
    time = ensemble["time"]
    hours = pd.Series(1.0, index=time).groupby(time.month).sum()
    mean_month = ensemble["discharge_month"]
    for river, regime in climatology.rivers.items():
        target = regime.mean_flow_m3s * np.array(regime.monthly_share) * len(time) / hours.to_numpy()
        assert np.abs(mean_month[river].to_numpy() / target - 1.0).max() < 0.05, river
        annual = (mean_month[river] * hours).sum() / hours.sum()
        assert annual == pytest.approx(regime.mean_flow_m3s, rel=0.03), river


def test_river_regime_without_noise_is_exact_and_smooth(climatology, monkeypatch):
    monkeypatch.setattr(synthetic, "_DISCHARGE_SD", 0.0)
    ds = synthetic.generate(sites=SITES.loc[["fuzuli"]], climatology=climatology, years=[2003, 2004], seed=1)
    time = ds.indexes["time"]
    discharge = ds["discharge"].to_pandas()
    for river, regime in climatology.rivers.items():
        flow = discharge[river]
        monthly = flow.groupby([time.year, time.month]).mean()
        for (year, month), value in monthly.items():
            hours_year = 8784 if year == 2004 else 8760
            hours_month = int(((time.year == year) & (time.month == month)).sum())
            expected = regime.mean_flow_m3s * regime.monthly_share[month - 1] * hours_year / hours_month
            assert value == pytest.approx(expected, rel=1e-6), (river, year, month)
        assert flow.groupby(time.year).mean().to_numpy() == pytest.approx(regime.mean_flow_m3s, rel=1e-9)
        # Smoothed across month boundaries: no hour-to-hour step above 1 % (a monthly step function jumps
        # by up to a factor of 7, e.g. the Hakari from March to April).
        assert (flow.diff().abs() / flow).max() < 0.01, river


def test_temperature_follows_the_seasonal_fit_and_daily_cycle(ensemble, climatology):
    months = np.arange(1, 13)
    for site in ["fuzuli", "shusha", "kalbajar"]:
        c = climatology.sites[site]
        fit = c.temp_annual_c + c.temp_amplitude_c * np.cos(2 * np.pi * (months - 7) / 12)
        assert np.abs(ensemble["temp_month"][site].to_numpy() - fit).max() < 1.0, site
        by_hour = ensemble["temp_by_hour"][site]  # UTC hours; local = UTC + 4 (+5 in DST before 2016)
        assert 9 <= int(by_hour.idxmax()) <= 12, site  # about 13:00-16:00 local
        assert int(by_hour.idxmin()) in {0, 1, 2, 3, 4, 23}, site  # around sunrise
        assert by_hour.max() - by_hour.min() > 0.5 * c.temp_daily_range_c, site


# ----------------------------------------------------------------------------------------------------------
# Shape, physics, determinism
# ----------------------------------------------------------------------------------------------------------


def test_weather_has_the_weather_shape(weather, climatology):
    check_weather(weather, origin="synthetic")
    assert set(SITE_VARIABLES) <= set(weather.data_vars)
    assert list(weather["site"].values) == list(SITES.index)
    assert list(weather["river"].values) == list(climatology.rivers)
    time = weather.indexes["time"]
    assert time.tz is None
    assert time[0] == pd.Timestamp("2001-01-01 00:00") and time[-1] == pd.Timestamp("2002-12-31 23:00")
    assert len(time) == 2 * 8760
    assert weather["wind_speed"].attrs["units"] == "m/s" and weather["discharge"].attrs["units"] == "m^3/s"
    assert weather.attrs["wind_height_m"] == climatology.wind_height_m


def test_leap_year_has_29_february(climatology):
    ds = synthetic.generate(sites=SITES.loc[["shusha"]], climatology=climatology, years=1, start_year=2004)
    time = ds.indexes["time"]
    assert len(time) == 8784
    assert ((time.month == 2) & (time.day == 29)).sum() == 24


def test_attributes_say_synthetic(weather, climatology):
    attrs = weather.attrs
    assert attrs["source"] == "synthetic"
    assert attrs["synthetic"] == 1
    assert "SYNTHETIC weather" in attrs["title"]
    assert attrs["seed"] == 7
    assert list(attrs["years"]) == YEARS
    assert Path(attrs["climatology"]) == synthetic.default_climatology_path()
    assert attrs["climatology_reference"] == climatology.reference


def test_irradiance_closure_and_physical_limits(weather):
    zenith, extra = _mid_hour_sun(weather.indexes["time"])
    cos_zenith = np.maximum(np.cos(np.radians(zenith.to_numpy())), 0.0)
    ghi, dni, dhi = (weather[v].values for v in ("ghi", "dni", "dhi"))
    np.testing.assert_allclose(dni * cos_zenith + dhi, ghi, atol=1e-6)
    assert (dni >= 0).all() and (dhi >= 0).all()
    assert (ghi <= extra.to_numpy() + 1e-6).all()
    assert (ghi[zenith.to_numpy() >= 90] == 0).all()
    assert ghi.max() > 800  # clear noons do occur
    assert (dni > 0).mean() > 0.2  # and the split gives beam most of the sunlit hours


def test_pressure_from_elevation(weather):
    expected = pvlib.atmosphere.alt2pres(SITES["elevation"].to_numpy(float))
    np.testing.assert_allclose(
        weather["pressure"].values, np.broadcast_to(expected, weather["pressure"].shape)
    )


def test_same_seed_same_weather_other_seed_other_weather(weather, climatology):
    again = synthetic.generate(sites=SITES, climatology=climatology, years=YEARS, seed=7)
    xr.testing.assert_identical(weather, again)
    other = synthetic.generate(sites=SITES, climatology=climatology, years=YEARS, seed=8)
    for name in ("ghi", "temp_air", "wind_speed", "discharge"):
        assert not np.allclose(weather[name].values, other[name].values), name


def test_a_site_year_does_not_depend_on_the_other_years_and_sites(weather, climatology):
    alone = synthetic.generate(sites=SITES.loc[["kalbajar"]], climatology=climatology, years=[2002], seed=7)
    together = weather.sel(site=["kalbajar"], time=slice("2002-01-01", None))
    for name in SITE_VARIABLES:
        # equal up to rounding (sums over a different number of sites may round differently)
        np.testing.assert_allclose(
            alone[name].values, together[name].values, rtol=1e-12, atol=1e-9, err_msg=name
        )


def test_sites_are_correlated_but_not_identical(weather):
    daily = weather["ghi"].to_pandas().resample("D").mean()
    ratio = daily / daily.rolling(31, center=True, min_periods=1).mean()
    correlation = ratio["jabrayil"].corr(ratio["fuzuli"])
    assert 0.3 < correlation < 0.95


# ----------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "climate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def raw_climatology() -> dict:
    return yaml.safe_load(synthetic.default_climatology_path().read_text(encoding="utf-8"))


def _drop(d: dict, *keys: str) -> None:
    for key in keys[:-1]:
        d = d[key]
    del d[keys[-1]]


def _set(d: dict, *keys_and_value) -> None:
    *keys, value = keys_and_value
    for key in keys[:-1]:
        d = d[key]
    d[keys[-1]] = value


@pytest.mark.parametrize(
    ("mutate", "field", "hint"),
    [
        (
            lambda d: _drop(d, "sites", "kalbajar", "wind_weibull_k"),
            "sites.kalbajar.wind_weibull_k",
            "missing",
        ),
        (
            lambda d: _set(d, "sites", "lachin", "wind_mean_ms", "windy"),
            "sites.lachin.wind_mean_ms",
            "number",
        ),
        (lambda d: _set(d, "sites", "shusha", "wind_weibull_k", 0.4), "sites.shusha.wind_weibull_k", ">= 1"),
        (
            lambda d: _set(d, "rivers", "tartar", "monthly_share", [0.1] * 12),
            "rivers.tartar.monthly_share",
            "sum to 1",
        ),
        (lambda d: _set(d, "rivers", "araz", "colour", "brown"), "rivers.araz.colour", "valid keys"),
        (lambda d: _set(d, "wind_hieght_m", 100), "wind_hieght_m", "valid keys here are wind_height_m"),
        (
            lambda d: _set(d, "sites", "fuzuli", "clearness_index", [0.5] * 11),
            "sites.fuzuli.clearness_index",
            "12 monthly values",
        ),
        (
            lambda d: _set(d, "sites", "fuzuli", "clearness_index", [0.5] * 11 + ["x"]),
            "sites.fuzuli.clearness_index[11]",
            "number",
        ),
        (lambda d: _drop(d, "wind_height_m"), "wind_height_m", "missing"),
    ],
)
def test_bad_climatology_names_file_and_field(tmp_path, raw_climatology, mutate, field, hint):
    data = copy.deepcopy(raw_climatology)
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(WeatherError) as info:
        synthetic.read_climatology(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert hint in message


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(WeatherError, match="no such climatology file"):
        synthetic.read_climatology(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [1, 2\nrivers: 3\n", encoding="utf-8")
    with pytest.raises(WeatherError, match=r"line \d+, column \d+: not valid YAML"):
        synthetic.read_climatology(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(WeatherError, match="must be a mapping"):
        synthetic.read_climatology(bad)


def test_site_missing_from_climatology(tmp_path, raw_climatology):
    data = copy.deepcopy(raw_climatology)
    del data["sites"]["sarsang"]
    path = _write(tmp_path, data)
    reduced = synthetic.read_climatology(path)
    with pytest.raises(WeatherError) as info:
        synthetic.generate(sites=SITES, climatology=reduced, years=1)
    assert "sarsang" in str(info.value) and str(path) in str(info.value)


def test_climatology_is_frozen(climatology):
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        climatology.wind_height_m = 10.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"years": [2001, 2003]}, "not consecutive"),
        ({"years": 0}, "between 1 and"),
        ({"seed": -1}, "non-negative"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ],
)
def test_bad_arguments(climatology, kwargs, match):
    with pytest.raises(WeatherError, match=match):
        synthetic.generate(sites=SITES.loc[["fuzuli"]], climatology=climatology, **kwargs)


def test_bad_sites_table(climatology):
    with pytest.raises(WeatherError, match="elevation"):
        synthetic.generate(sites=SITES[["lat", "lon"]], climatology=climatology)
    wrong = SITES.copy()
    wrong.loc["fuzuli", "lat"] = 95.0
    with pytest.raises(WeatherError, match="fuzuli"):
        synthetic.generate(sites=wrong, climatology=climatology)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (
            {"clearness_index": [0.85] * 12},
            r"sites\.fuzuli\.clearness_index\[0\] \(Jan\) = 0.85 cannot be reached",
        ),
        ({"wind_weibull_k": 5.0, "wind_daily_amplitude": 0.8}, r"sites\.fuzuli: a daily wind cycle"),
    ],
)
def test_climatology_the_model_cannot_reach(tmp_path, raw_climatology, changes, match):
    data = copy.deepcopy(raw_climatology)
    data["sites"]["fuzuli"].update(changes)
    path = _write(tmp_path, data)
    impossible = synthetic.read_climatology(path)
    with pytest.raises(WeatherError, match=match):
        synthetic.generate(sites=SITES.loc[["fuzuli"]], climatology=impossible, years=[2001])
