"""Forecast models: no look-ahead, stated errors, determinism."""

from __future__ import annotations

import numpy as np
import pytest

import greenzone as gz
from greenzone.operate.forecast import DEFAULT_NRMSE, Noisy, Persistence, forecast_skill, make_forecast


@pytest.fixture(scope="module")
def actual():
    zone = gz.load_zone()
    return gz.profiles(zone, gz.load_weather(zone)).isel(time=slice(0, 24 * 40))


def test_perfect_is_actual(actual):
    window = make_forecast("perfect")(actual, 48, 48)
    np.testing.assert_array_equal(window["demand"].values, actual["demand"].values[48:96])


def test_persistence_reads_only_the_past(actual):
    start = 24 * 10 + 5
    before = Persistence()(actual, start, 48)
    changed = actual.copy(deep=True)
    changed["demand"][start:] = 1e6
    changed["capacity_factor"][start:] = 0.5
    after = Persistence()(changed, start, 48)
    np.testing.assert_array_equal(before["demand"].values, after["demand"].values)
    np.testing.assert_array_equal(before["capacity_factor"].values, after["capacity_factor"].values)
    # lead 0 is the same hour of the day before
    np.testing.assert_array_equal(before["demand"].values[0], actual["demand"].values[start - 24])


def test_noisy_is_seeded_and_its_error_grows_with_lead_time(actual):
    a = Noisy(seed=3)(actual, 100, 48)
    b = Noisy(seed=3)(actual, 100, 48)
    c = Noisy(seed=4)(actual, 100, 48)
    np.testing.assert_array_equal(a["demand"].values, b["demand"].values)
    assert not np.array_equal(a["demand"].values, c["demand"].values)
    skill = forecast_skill(Noisy(seed=1), actual, horizon=48, step=24)
    # demand errors are relative and unclipped: their nRMSE matches the stated one (within sampling error)
    first, last = DEFAULT_NRMSE["demand"]
    assert skill["demand"].iloc[0] == pytest.approx(first, rel=0.35)
    assert skill["demand"].iloc[-1] == pytest.approx(last, rel=0.35)
    assert skill["cf:wind_onshore"].iloc[-8:].mean() > 1.5 * skill["cf:wind_onshore"].iloc[:8].mean()
    cf = a["capacity_factor"].values
    assert cf.min() >= 0 and cf.max() <= 1
    # no solar at night in the forecast either
    night = actual["capacity_factor"].sel(technology="solar_fixed").values[100:148] == 0
    assert (a["capacity_factor"].sel(technology="solar_fixed").values[night] == 0).all()


def test_climatology_and_persistence_are_worse_than_noisy_for_wind(actual):
    noisy = forecast_skill(Noisy(seed=1), actual)["cf:wind_onshore"].mean()
    for name in ("persistence", "climatology"):
        naive = forecast_skill(make_forecast(name, timezone="Asia/Baku"), actual)["cf:wind_onshore"].mean()
        assert naive > noisy


def test_unknown_forecast_and_window_outside():
    with pytest.raises(ValueError, match="unknown forecast 'oracle'"):
        make_forecast("oracle")
    zone = gz.load_zone()
    p = gz.profiles(zone, gz.load_weather(zone)).isel(time=slice(0, 48))
    with pytest.raises(ValueError, match="outside"):
        make_forecast("perfect")(p, 24, 48)
