"""PVGIS TMY: mapping onto one year, minute-offset labels, the disk cache and offline errors (no network)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pvlib
import pytest
import requests

from greenzone.errors import WeatherError
from greenzone.weather.pvgis import get_pvgis_tmy, pvgis_weather
from greenzone.weather.schema import check_weather

SITES = pd.DataFrame(
    {"lat": [39.7589, 39.9833], "lon": [46.7502, 46.9306], "elevation": [1400.0, 500.0]},
    index=pd.Index(["shusha", "aghdam"], name="site"),
)
# one source year per month, as PVGIS picks them; February from a leap year
YEARS = {
    1: 2012,
    2: 2016,
    3: 2007,
    4: 2019,
    5: 2010,
    6: 2014,
    7: 2020,
    8: 2005,
    9: 2011,
    10: 2017,
    11: 2009,
    12: 2015,
}


def fake_tmy(
    lat: float, minute: int = 0, feb29: bool = False, mapped: bool = True
) -> tuple[pd.DataFrame, dict]:
    """A TMY shaped like pvlib's ``get_pvgis_tmy(..., map_variables=True, coerce_year=None)`` answer.

    Values encode their own date so the mapping can be checked: temp_air = month + day/100 + hour/10^4.
    """
    pieces = []
    for month, year in YEARS.items():
        start = pd.Timestamp(year=year, month=month, day=1, minute=minute, tz="UTC")
        hours = pd.date_range(start, start + pd.offsets.MonthBegin(1), freq="h", inclusive="left")
        if not feb29:
            hours = hours[~((hours.month == 2) & (hours.day == 29))]
        pieces.append(hours)
    index = pieces[0].append(pieces[1:]).rename("time(UTC)")
    hour = index.hour.to_numpy()
    sun = np.clip(np.sin(np.pi * (hour - 3) / 13), 0.0, None)  # a daytime bump, 03-16 UTC
    data = pd.DataFrame(
        {
            "temp_air": index.month + index.day / 100 + hour / 1e4 + lat / 1e3,
            "relative_humidity": 60.0,
            "ghi": 700.0 * sun,
            "dni": 800.0 * sun,
            "dhi": 120.0 * sun,
            "IR(h)": 300.0,
            "wind_speed": 2.0 + index.day / 31,
            "wind_direction": 180.0,
            "pressure": 86_000.0 + hour,
        },
        index=index,
    )
    if not mapped:
        data = data.rename(
            columns={"temp_air": "T2m", "ghi": "G(h)", "dni": "Gb(n)", "dhi": "Gd(h)", "pressure": "SP"}
        ).rename(columns={"wind_speed": "WS10m"})
    meta = {
        "inputs": {
            "location": {"latitude": lat, "longitude": 46.75, "elevation": 1398.0},
            "meteo_data": {
                "radiation_db": "PVGIS-SARAH3",
                "meteo_db": "ERA5",
                "year_min": 2005,
                "year_max": 2023,
            },
            "descriptions": {},
        },
        "outputs": {"tmy_hourly": {"description": "Typical Meteorological Year"}},
        "months_selected": [{"month": m, "year": y} for m, y in YEARS.items()],
    }
    return data, meta


class FakePVGIS:
    """Stands in for ``pvlib.iotools.get_pvgis_tmy`` and records its calls."""

    def __init__(self, **options):
        self.calls = []
        self.options = options

    def __call__(self, latitude, longitude, **kwargs):
        self.calls.append({"latitude": latitude, "longitude": longitude, **kwargs})
        return fake_tmy(latitude, **self.options)


@pytest.fixture
def fake(monkeypatch):
    stub = FakePVGIS()
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", stub)
    return stub


def test_tmy_is_laid_onto_one_year(fake, tmp_path):
    w = pvgis_weather(sites=SITES, cache_dir=tmp_path, year=2001)
    check_weather(w)
    time = w.indexes["time"]
    assert len(time) == 8760
    assert time[0] == pd.Timestamp("2001-01-01 00:00") and time[-1] == pd.Timestamp("2001-12-31 23:00")
    assert time.tz is None
    assert w.attrs["source"] == "pvgis" and w.attrs["synthetic"] == 0
    assert w.attrs["wind_height_m"] == 10.0
    assert json.loads(w.attrs["months_selected"])["shusha"][1] == {"month": 2, "year": 2016}
    # each value lands on its own month, day and hour (February 29 of the leap source year is absent)
    lat = SITES.loc["shusha", "lat"]
    for stamp in ["2001-01-01 00:00", "2001-02-28 23:00", "2001-07-15 13:00", "2001-12-31 23:00"]:
        t = pd.Timestamp(stamp)
        expected = t.month + t.day / 100 + t.hour / 1e4 + lat / 1e3
        assert float(w["temp_air"].sel(time=t, site="shusha")) == pytest.approx(expected)
    assert float(w["pressure"].sel(time="2001-05-05 07:00", site="aghdam")) == 86_007.0
    assert w["pressure"].attrs["units"] == "Pa"
    assert float(w["wind_speed"].sel(time="2001-03-31 00:00", site="shusha")) == pytest.approx(3.0)


def test_request_and_cache(fake, tmp_path, monkeypatch):
    pvgis_weather(sites=SITES, cache_dir=tmp_path)
    assert len(fake.calls) == 2
    call = fake.calls[0]
    assert call["latitude"] == pytest.approx(39.7589) and call["longitude"] == pytest.approx(46.7502)
    assert call["map_variables"] is True
    assert call["coerce_year"] is None  # keep the real years in the cache; laid onto `year` by greenzone
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pvgis_tmy_+39.759_+46.750.csv",
        "pvgis_tmy_+39.759_+46.750.json",
        "pvgis_tmy_+39.983_+46.931.csv",
        "pvgis_tmy_+39.983_+46.931.json",
    ]
    first = pvgis_weather(sites=SITES, cache_dir=tmp_path)
    assert len(fake.calls) == 2  # second call: no request
    # the cache alone is enough, even with PVGIS unreachable
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", _raises(requests.ConnectionError("no route to host")))
    again = pvgis_weather(sites=SITES, cache_dir=tmp_path, year=2001)
    for name in ("ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed"):
        np.testing.assert_allclose(again[name], first[name])
    data, meta = get_pvgis_tmy(39.7589, 46.7502, cache_dir=tmp_path)
    assert str(data.index.tz) == "UTC"
    assert data.index[0] == pd.Timestamp("2012-01-01 00:00", tz="UTC")
    assert meta["months_selected"][0] == {"month": 1, "year": 2012}


def test_minute_offset_labels_are_floored_to_the_hour_start(monkeypatch, tmp_path):
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", FakePVGIS(minute=10))
    w = pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path)
    assert w.indexes["time"][0] == pd.Timestamp("2001-01-01 00:00")
    # the sample stamped 13:10 describes the hour 13:00-14:00
    t = pd.Timestamp("2001-07-15 13:00")
    expected = 7 + 15 / 100 + 13 / 1e4 + SITES.iloc[0]["lat"] / 1e3
    assert float(w["temp_air"].sel(time=t).item()) == pytest.approx(expected)


def test_leap_years_on_both_sides(monkeypatch, tmp_path):
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", FakePVGIS())
    leap = pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path / "a", year=2024)
    assert leap.sizes["time"] == 8784
    assert leap.attrs["feb29_filled"] == 1
    np.testing.assert_allclose(
        leap["ghi"].sel(time=slice("2024-02-29 00:00", "2024-02-29 23:00")),
        leap["ghi"].sel(time=slice("2024-02-28 00:00", "2024-02-28 23:00")),
    )
    # a source February with a 29th, laid onto a common year: the 29th is dropped
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", FakePVGIS(feb29=True))
    common = pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path / "b", year=2001)
    assert common.sizes["time"] == 8760
    assert float(common["temp_air"].sel(time="2001-03-01 00:00").item()) == pytest.approx(3.01 + 0.0397589)


def test_source_names_are_mapped_too(monkeypatch, tmp_path):
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", FakePVGIS(mapped=False))
    w = pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path)
    assert float(w["pressure"].max()) == 86_023.0


def _raises(error: Exception):
    def stub(*args, **kwargs):
        raise error

    return stub


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (requests.ConnectionError("Max retries exceeded"), "Max retries exceeded"),
        (requests.Timeout("read timed out"), "read timed out"),
        (
            requests.HTTPError("Location over the sea. Please, select another location"),
            "Location over the sea",
        ),
    ],
)
def test_network_errors_say_how_to_work_offline(monkeypatch, tmp_path, error, words):
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", _raises(error))
    with pytest.raises(WeatherError) as info:
        pvgis_weather(sites=SITES, cache_dir=tmp_path / "cache")
    message = str(info.value)
    assert words in message
    assert "offline" in message and "pvgis_tmy_+39.759_+46.750.csv" in message and "cache" in message
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_missing_column_and_broken_cache(monkeypatch, tmp_path):
    data, meta = fake_tmy(39.7589)
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", lambda *a, **k: (data.drop(columns="pressure"), meta))
    with pytest.raises(WeatherError, match=r"site shusha.*lacks 'pressure' \(PVGIS 'SP'\); delete .*\.csv"):
        pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path)
    (tmp_path / "pvgis_tmy_+39.759_+46.750.csv").write_text("time(UTC),ghi\nnot a time,1\n")
    with pytest.raises(WeatherError, match=r"cached PVGIS TMY cannot be read.*delete pvgis_tmy_\+39\.759"):
        get_pvgis_tmy(39.7589, 46.7502, cache_dir=tmp_path)


def test_gap_in_tmy_is_rejected(monkeypatch, tmp_path):
    data, meta = fake_tmy(39.7589)
    holed = data.drop(index=data.index[1000:1003])
    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", lambda *a, **k: (holed, meta))
    with pytest.raises(WeatherError, match=r"lacks 3 hour\(s\) of 2001, first 02-11 16:00 UTC"):
        pvgis_weather(sites=SITES.iloc[:1], cache_dir=tmp_path)
