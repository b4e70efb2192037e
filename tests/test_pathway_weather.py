"""Each pathway period on weather years of its own (``pathway.weather_years``; greenzone.planning.pathway).

The zone is one node of the embedded climatology (Jabrayil) on SYNTHETIC weather, planned on its first days of
each period so that every solve stays small.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr
import yaml

from greenzone.errors import ZoneError
from greenzone.planning.pathway import first_hours, pathway, pathway_profiles, pathway_weather
from greenzone.planning.year import plan
from greenzone.resources import profiles as make_profiles
from greenzone.weather import load_weather
from greenzone.weather.years import synthetic_years
from greenzone.zone import load_zone

HOURS = 72

ZONE = {
    "name": "weather by period",
    "timezone": "Asia/Baku",
    "year": 2030,
    "economics": {"discount_rate": 0.05},
    "nodes": [
        {
            "id": "jabrayil",
            "lat": 39.4,
            "lon": 47.0,
            "usable_land_km2": 4.0,
            "demand": {"annual_mwh": {2030: 200000, 2035: 300000}, "profile": "mixed"},
            "technologies": {"solar_fixed": {}, "battery": {}, "gas_turbine": {"existing_mw": 40}},
        }
    ],
    "pathway": {"periods": [2030, 2035], "weather_years": {2030: [2030], 2035: [2036, 2037]}},
}


def write(tmp_path, **pathway_changes):
    data = copy.deepcopy(ZONE)
    data["pathway"].update(pathway_changes)
    path = tmp_path / "zone.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_each_period_runs_on_its_own_synthetic_years(tmp_path):
    zone = load_zone(write(tmp_path))
    weather = pathway_weather(zone)
    assert sorted(weather) == [2030, 2035]
    for period, years in ((2030, [2030]), (2035, [2036, 2037])):
        made = synthetic_years(zone, years)
        assert sorted(set(weather[period].indexes["time"].year)) == years
        for name in ("ghi", "wind_speed", "temp_air", "discharge"):
            np.testing.assert_array_equal(weather[period][name].values, made[name].values)
    # the same years cut from one synthetic Weather that holds them all (its UTC calendar years)
    everything = load_weather(zone, years=8)  # 2030-2037
    cut = pathway_weather(zone, everything)
    for period in (2030, 2035):
        np.testing.assert_array_equal(cut[period]["ghi"].values, weather[period]["ghi"].values)
    profiles = pathway_profiles(zone, first_hours(weather, HOURS))
    assert not np.array_equal(
        profiles[2030]["capacity_factor"].values, profiles[2035]["capacity_factor"].values
    )


def test_without_weather_years_every_period_shares_one_weather(tmp_path):
    zone = load_zone(write(tmp_path, weather_years=None))
    weather = pathway_weather(zone)
    assert weather[2030] is weather[2035]


def test_one_period_on_its_years_equals_plan_on_them(tmp_path):
    """A pathway of one period whose weather is two years equals plan on the profiles of those two years."""
    zone = load_zone(write(tmp_path, periods=[2035], weather_years={2035: [2036, 2037]}))
    weather = pathway_weather(zone)
    assert weather[2035].sizes["time"] == 8760 + 8784  # 2036 is a leap year
    ds = pathway(zone, pathway_profiles(zone, weather), typical_days=4)
    prof = make_profiles(zone, synthetic_years(zone, [2036, 2037]), year=2035)
    ref = plan(zone, prof, typical_days=4)
    assert ds.attrs["objective_usd"] == pytest.approx(ref.attrs["objective_usd_per_year"], rel=1e-9)


def test_a_year_the_weather_does_not_hold_names_the_period(tmp_path):
    zone = load_zone(write(tmp_path))
    two = load_weather(zone, years=2)  # 2030-2031 only
    with pytest.raises(ZoneError) as err:
        pathway_weather(zone, two)
    message = str(err.value)
    assert "pathway.weather_years.2035" in message and "2036, 2037" in message and "2030, 2031" in message


@pytest.mark.parametrize(
    ("weather_years", "words"),
    [
        ({2030: [2030]}, "period 2035 has no weather years"),
        ({2030: [2030], 2035: [2035], 2031: [2031]}, "2031 is not a period"),
        ({2030: [], 2035: [2035]}, "no weather year given"),
        ({2030: [2030, 2030], 2035: [2035]}, "listed twice"),
    ],
)
def test_bad_weather_years_are_named_with_the_fix(tmp_path, weather_years, words):
    path = write(tmp_path, weather_years=weather_years)
    with pytest.raises(ZoneError) as err:
        load_zone(path)
    message = str(err.value)
    assert "pathway.weather_years" in message and words in message and str(path) in message


def test_cli_plans_each_period_on_its_weather(tmp_path, monkeypatch, capsys):
    from cli_helpers import cli_main

    out = tmp_path / "out"
    code, stdout, stderr = cli_main(
        monkeypatch, capsys, "pathway", str(write(tmp_path)), "--out", str(out), "--hours", str(HOURS)
    )
    assert code == 0, stderr
    ds = xr.open_dataset(out / "pathway.nc")
    assert "(2030: 2030; 2035: 2036)" in ds.attrs["weather_title"]  # the first 72 hours of each period
    assert "each period on weather years of its own" in stdout
