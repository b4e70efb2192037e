"""load_weather: the zone's source, and river discharge for sources that have none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import greenzone as gz
from greenzone.errors import WeatherError
from plan_helpers import write_small_zone


def _zone(tmp_path, **weather):
    body = {
        "timezone": "Asia/Baku",
        "weather": {"source": "csv", "path": "w.csv", **weather},
        "nodes": [
            {
                "id": "zangilan",
                "lat": 39.09,
                "lon": 46.65,
                "elevation_m": 340,
                "demand": {"annual_mwh": 1000},
                "technologies": {
                    "hydro_ror": {
                        "existing_mw": 20,
                        "river": "bazarchay",
                        "head_m": 100,
                        "design_flow_m3s": 23,
                    }
                },
            },
        ],
    }
    return write_small_zone(tmp_path, body)


def _write_csv_weather(tmp_path, hours=48):
    time = pd.date_range("2027-03-01", periods=hours, freq="h")
    sun = np.clip(np.sin((time.hour.to_numpy() - 2) / 12 * np.pi), 0, None)
    frame = pd.DataFrame(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "site": "zangilan",
            "ghi": 500 * sun,
            "dni": 400 * sun,
            "dhi": 100 * sun,
            "temp_air": 10.0,
            "pressure": 97000.0,
            "wind_speed": 4.0,
        }
    )
    path = tmp_path / "w.csv"
    path.write_text("# wind_height_m: 10\n" + frame.to_csv(index=False))
    return time


def test_csv_weather_without_discharge_gets_synthetic_discharge_labelled(tmp_path):
    _write_csv_weather(tmp_path)
    zone, _ = _zone(tmp_path)
    weather = gz.load_weather(zone)
    assert weather.attrs["source"] == "csv"
    assert "bazarchay" in weather["river"].values
    assert weather.attrs["synthetic_discharge"] == 1 and "SYNTHETIC" in weather.attrs["title"]
    # March mean of the Bazarchay: 19 m^3/s x 0.10 x 12, within the noise of two days
    assert 5 < float(weather["discharge"].sel(river="bazarchay").mean()) < 60
    profiles = gz.profiles(zone, weather)
    assert float(profiles["capacity_factor"].sel(technology="hydro_ror").max()) > 0


def test_discharge_csv_overrides_and_must_cover_every_hour(tmp_path):
    time = _write_csv_weather(tmp_path)
    flows = pd.DataFrame({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "bazarchay": 11.5})
    (tmp_path / "q.csv").write_text(flows.to_csv(index=False))
    zone, _ = _zone(tmp_path, discharge="q.csv")
    weather = gz.load_weather(zone)
    np.testing.assert_allclose(weather["discharge"].sel(river="bazarchay").values, 11.5)
    assert weather.attrs["discharge_source"] == "csv: q.csv"
    (tmp_path / "q.csv").write_text(flows.iloc[:24].to_csv(index=False))
    with pytest.raises(WeatherError, match=r"weather.discharge\): no discharge for 24 weather hours"):
        gz.load_weather(_zone(tmp_path, discharge="q.csv")[0])
