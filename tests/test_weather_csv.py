"""CSV weather and discharge: times, units, derived columns and every error a user can make."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from greenzone.errors import WeatherError
from greenzone.weather.csv import read_csv, read_discharge_csv
from greenzone.weather.schema import check_weather

SITES = pd.DataFrame(
    {"lat": [39.76, 39.98], "lon": [46.75, 46.93], "elevation": [1400.0, 500.0]},
    index=pd.Index(["shusha", "aghdam"], name="site"),
)
UTC_HOURS = pd.date_range("2024-03-01 00:00", periods=48, freq="h")
COLUMNS = ["ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed"]


def _values() -> pd.DataFrame:
    """Plausible hourly values per (UTC hour start, site), irradiance consistent with the sun."""
    rows = []
    for k, (site, s) in enumerate(SITES.iterrows()):
        middle = (UTC_HOURS + pd.Timedelta(minutes=30)).tz_localize("UTC")
        zenith = pvlib.solarposition.get_solarposition(middle, s["lat"], s["lon"])["zenith"].to_numpy()
        cos_z = np.clip(np.cos(np.radians(zenith)), 0.0, None)
        dni = np.where(zenith < 85, 700.0 * cos_z**0.3, 0.0)
        dhi = 80.0 * cos_z**0.5
        for h, t in enumerate(UTC_HOURS):
            rows.append(
                {
                    "utc": t,
                    "site": site,
                    "ghi": round(dni[h] * cos_z[h] + dhi[h], 3),
                    "dni": round(dni[h], 3),
                    "dhi": round(dhi[h], 3),
                    "temp_air": 5.0 + k + (h % 24) / 4,
                    "pressure": 86_000.0 + 100 * k,
                    "wind_speed": 2.0 + 0.1 * h,
                }
            )
    return pd.DataFrame(rows)


VALUES = _values()


def _write(
    path,
    values: pd.DataFrame = VALUES,
    *,
    times=None,
    columns=COLUMNS,
    header: str = "# wind_height_m: 10\n",
) -> str:
    """Write ``values`` as a long-format CSV; ``times`` formats each UTC hour (default: naive UTC ISO)."""
    stamp = times or (lambda t: f"{t:%Y-%m-%dT%H:%M}")
    lines = [",".join(["time", "site", *columns])]
    for _, row in values.iterrows():
        lines.append(",".join([stamp(row["utc"]), str(row["site"]), *(str(row[c]) for c in columns)]))
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def utc_file(tmp_path):
    return _write(tmp_path / "weather.csv")


def test_utc_file_round_trips(utc_file):
    w = read_csv(utc_file, sites=SITES)
    check_weather(w)
    assert w.indexes["time"].equals(pd.DatetimeIndex(UTC_HOURS, name="time"))
    assert list(w["site"].values) == ["shusha", "aghdam"]
    assert w.attrs["source"] == "csv" and w.attrs["synthetic"] == 0
    assert w.attrs["wind_height_m"] == 10.0
    for name in COLUMNS:
        expected = VALUES.pivot(index="utc", columns="site", values=name)[list(SITES.index)].to_numpy()
        np.testing.assert_allclose(w[name].to_numpy(), expected)


def test_local_time_is_converted_to_utc(tmp_path, utc_file):
    reference = read_csv(utc_file, sites=SITES)
    # Asia/Baku is UTC+4 all year (no daylight saving since 2016): local 04:00 is 00:00 UTC
    local = _write(tmp_path / "local.csv", times=lambda t: f"{t + pd.Timedelta(hours=4):%Y-%m-%d %H:%M}")
    first_line = open(local).read().splitlines()[2]
    assert first_line.startswith("2024-03-01 04:00,shusha")
    w = read_csv(local, sites=SITES, timezone="Asia/Baku")
    assert w.indexes["time"][0] == pd.Timestamp("2024-03-01 00:00")
    assert w.indexes["time"].tz is None
    for name in COLUMNS:
        np.testing.assert_allclose(w[name], reference[name])
    # the same local times read as UTC would be four hours late
    late = read_csv(local, sites=SITES)
    assert late.indexes["time"][0] == pd.Timestamp("2024-03-01 04:00")


@pytest.mark.parametrize(
    "stamp",
    [
        lambda t: f"{t + pd.Timedelta(hours=4):%Y-%m-%dT%H:%M}+04:00",
        lambda t: f"{t + pd.Timedelta(hours=4):%Y-%m-%d %H:%M:%S}+0400",
        lambda t: f"{t:%Y-%m-%dT%H:%M}Z",
    ],
)
def test_explicit_offsets_are_converted(tmp_path, utc_file, stamp):
    reference = read_csv(utc_file, sites=SITES)
    path = _write(tmp_path / "offset.csv", times=stamp)
    # an explicit offset wins over the timezone argument
    w = read_csv(path, sites=SITES, timezone="Europe/Berlin")
    assert w.indexes["time"].equals(reference.indexes["time"])
    np.testing.assert_allclose(w["ghi"], reference["ghi"])


def test_end_of_hour_labels_are_moved_to_the_start(tmp_path, utc_file):
    reference = read_csv(utc_file, sites=SITES)
    end = _write(
        tmp_path / "end.csv",
        times=lambda t: f"{t + pd.Timedelta(hours=1):%Y-%m-%dT%H:%M}",
        header="# wind_height_m: 10\n# time_label: end\n",
    )
    w = read_csv(end, sites=SITES)
    assert w.indexes["time"].equals(reference.indexes["time"])
    np.testing.assert_allclose(w["ghi"], reference["ghi"])


def test_wind_height_header_argument_and_neither(tmp_path, utc_file):
    assert read_csv(utc_file, sites=SITES, wind_height_m=100).attrs["wind_height_m"] == 100.0
    bare = _write(tmp_path / "bare.csv", header="# measured at the airport\n")
    with pytest.raises(WeatherError, match=r"bare\.csv.*# wind_height_m: 10"):
        read_csv(bare, sites=SITES)
    assert read_csv(bare, sites=SITES, wind_height_m=2).attrs["wind_height_m"] == 2.0


def test_optional_columns_are_derived(tmp_path, utc_file):
    reference = read_csv(utc_file, sites=SITES)
    path = _write(tmp_path / "ghi_only.csv", columns=["ghi", "temp_air", "wind_speed"])
    w = read_csv(path, sites=SITES)
    check_weather(w)
    np.testing.assert_allclose(w["ghi"], reference["ghi"])
    # pressure from elevation, constant in time
    np.testing.assert_allclose(w["pressure"].isel(time=5), pvlib.atmosphere.alt2pres(SITES["elevation"]))
    # Erbs split at mid-hour: closes exactly, zero DNI at night, a sizeable beam at noon
    for j, (_, s) in enumerate(SITES.iterrows()):
        middle = (UTC_HOURS + pd.Timedelta(minutes=30)).tz_localize("UTC")
        zenith = pvlib.solarposition.get_solarposition(middle, s["lat"], s["lon"], altitude=s["elevation"])
        cos_z = np.cos(np.radians(zenith["zenith"].to_numpy()))
        ghi, dni, dhi = (w[v].to_numpy()[:, j] for v in ("ghi", "dni", "dhi"))
        np.testing.assert_allclose(dhi + dni * cos_z, ghi, atol=1e-9)
        assert np.all(dni[zenith["zenith"].to_numpy() > 85] == 0)
        assert dni.max() > 200
    one = _write(tmp_path / "dni_only.csv", columns=["ghi", "dni", "temp_air", "wind_speed"])
    with pytest.raises(WeatherError, match="'dni' is given without 'dhi'"):
        read_csv(one, sites=SITES)


def test_unknown_sites_are_ignored_even_with_bad_values(tmp_path, utc_file):
    reference = read_csv(utc_file, sites=SITES)
    extra = VALUES[VALUES["site"] == "shusha"].assign(site="ganja", ghi="n/a")
    path = _write(tmp_path / "extra.csv", pd.concat([VALUES, extra]))
    w = read_csv(path, sites=SITES)
    assert list(w["site"].values) == ["shusha", "aghdam"]
    np.testing.assert_allclose(w["ghi"], reference["ghi"])


def test_rows_in_any_order(tmp_path, utc_file):
    reference = read_csv(utc_file, sites=SITES)
    path = _write(tmp_path / "shuffled.csv", VALUES.sample(frac=1.0, random_state=3))
    np.testing.assert_allclose(read_csv(path, sites=SITES)["temp_air"], reference["temp_air"])


def test_missing_site_is_named(tmp_path):
    path = _write(tmp_path / "one_site.csv", VALUES[VALUES["site"] == "shusha"])
    with pytest.raises(WeatherError, match=r"one_site\.csv: no rows for site\(s\) aghdam"):
        read_csv(path, sites=SITES)


def test_missing_column_is_named(tmp_path):
    path = _write(tmp_path / "no_temp.csv", columns=["ghi", "dni", "dhi", "pressure", "wind_speed"])
    with pytest.raises(WeatherError, match=r"no_temp\.csv: missing column\(s\) 'temp_air'"):
        read_csv(path, sites=SITES)


def test_gap_is_rejected(tmp_path):
    gap = VALUES[VALUES["utc"] != pd.Timestamp("2024-03-01 10:00")]
    path = _write(tmp_path / "gap.csv", gap)
    with pytest.raises(
        WeatherError, match=r"gap\.csv: site shusha: 2 h from 2024-03-01 09:00 to 2024-03-01 11:00"
    ):
        read_csv(path, sites=SITES)


def test_duplicate_and_off_hour_rows_are_rejected(tmp_path):
    dup = pd.concat([VALUES, VALUES.iloc[[3]]])
    path = _write(tmp_path / "dup.csv", dup)
    with pytest.raises(WeatherError, match=r"dup\.csv: line \d+: site shusha has 2024-03-01 03:00 UTC twice"):
        read_csv(path, sites=SITES)
    half = VALUES.assign(utc=VALUES["utc"] + pd.Timedelta(minutes=30))
    path = _write(tmp_path / "half.csv", half)
    with pytest.raises(WeatherError, match="not on the hour"):
        read_csv(path, sites=SITES)
    # 30-minute data: on-the-hour rows and half-hour rows
    finer = pd.concat([VALUES, half])
    path = _write(tmp_path / "finer.csv", finer)
    with pytest.raises(WeatherError, match=r"finer\.csv: line \d+: .*not on the hour"):
        read_csv(path, sites=SITES)
    two_hourly = VALUES[VALUES["utc"].dt.hour % 2 == 0]
    path = _write(tmp_path / "two_hourly.csv", two_hourly)
    with pytest.raises(WeatherError, match="2 h from 2024-03-01 00:00"):
        read_csv(path, sites=SITES)


@pytest.mark.parametrize(
    ("bad", "words"),
    [("", "column 'ghi' is empty"), ("NaN", "column 'ghi' is empty"), ("12,5x", "'12,5x' is not a number")],
)
def test_bad_values_name_the_line(tmp_path, bad, words):
    values = VALUES.astype({"ghi": object})
    values.loc[5, "ghi"] = bad.replace(",", ";")
    path = _write(tmp_path / "bad.csv", values)
    # line 1 is the header comment, line 2 the column names, row 5 (0-based) is line 8
    with pytest.raises(WeatherError, match=r"bad\.csv: line 8 \(2024-03-01 05:00 UTC, site shusha\)") as info:
        read_csv(path, sites=SITES)
    assert words.replace(",", ";") in str(info.value)


def test_unparseable_and_mixed_times(tmp_path):
    values = VALUES.copy()
    path = _write(
        tmp_path / "times.csv", values, times=lambda t: "yesterday" if t.hour == 7 else f"{t:%Y-%m-%dT%H:%M}"
    )
    with pytest.raises(WeatherError, match=r"times\.csv: line 10: time 'yesterday' is not an ISO 8601 time"):
        read_csv(path, sites=SITES)
    mixed = _write(
        tmp_path / "mixed.csv", times=lambda t: f"{t:%Y-%m-%dT%H:%M}" + ("Z" if t.hour == 3 else "")
    )
    with pytest.raises(WeatherError, match="some times carry a UTC offset"):
        read_csv(mixed, sites=SITES)


def test_other_user_errors(tmp_path, utc_file):
    with pytest.raises(WeatherError, match="file not found"):
        read_csv(tmp_path / "absent.csv", sites=SITES)
    with pytest.raises(WeatherError, match="unknown time zone 'Baku'"):
        read_csv(utc_file, sites=SITES, timezone="Baku")
    hpa = _write(tmp_path / "hpa.csv", VALUES.assign(pressure=VALUES["pressure"] / 100))
    with pytest.raises(WeatherError, match=r"hpa\.csv: 'pressure' \[Pa\].*check its unit"):
        read_csv(hpa, sites=SITES)
    short = VALUES[~((VALUES["site"] == "aghdam") & (VALUES["utc"] == UTC_HOURS[-1]))]
    with pytest.raises(WeatherError, match="site aghdam covers .* every site needs the same hours"):
        read_csv(_write(tmp_path / "short.csv", short), sites=SITES)
    with pytest.raises(WeatherError, match="lacks column"):
        read_csv(utc_file, sites=SITES.drop(columns="elevation"))


def _write_discharge(path, hours, header: str = "") -> str:
    lines = ["time,terter,hakari"] + [
        f"{t:%Y-%m-%dT%H:%M}+04:00,{10 + i * 0.5},{3.25}" for i, t in enumerate(hours)
    ]
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_discharge(tmp_path, utc_file):
    local_hours = UTC_HOURS + pd.Timedelta(hours=4)
    flows = read_discharge_csv(_write_discharge(tmp_path / "q.csv", local_hours, "# from the basin agency\n"))
    assert flows.index[0] == UTC_HOURS[0]
    assert list(flows.columns) == ["terter", "hakari"]
    assert flows.attrs["units"] == "m^3/s"
    w = read_csv(utc_file, sites=SITES, discharge_path=tmp_path / "q.csv")
    check_weather(w)
    assert list(w["river"].values) == ["terter", "hakari"]
    assert w["discharge"].attrs["units"] == "m^3/s"
    np.testing.assert_allclose(w["discharge"].sel(river="terter")[:3], [10.0, 10.5, 11.0])
    # a longer discharge record is cut to the weather's hours
    longer = _write_discharge(tmp_path / "long.csv", pd.date_range(local_hours[0], periods=60, freq="h"))
    assert read_csv(utc_file, sites=SITES, discharge_path=longer).sizes["time"] == 48
    short = _write_discharge(tmp_path / "short_q.csv", local_hours[:40])
    with pytest.raises(
        WeatherError, match=r"short_q\.csv: discharge lacks 8 hour\(s\) .* first 2024-03-02 16:00"
    ):
        read_csv(utc_file, sites=SITES, discharge_path=short)
    gap = _write_discharge(tmp_path / "gap_q.csv", local_hours.delete(7))
    with pytest.raises(WeatherError, match=r"gap_q\.csv: discharge: 2 h from"):
        read_discharge_csv(gap)


def test_daylight_saving_local_times(tmp_path):
    # Berlin leaves summer time on 2024-10-27: local 02:00-03:00 happens twice (UTC+2, then UTC+1)
    site = SITES.iloc[:1]
    local = ["00:00", "01:00", "02:00", "02:00", "03:00", "04:00"]
    rows = [f"2024-10-27T{t},shusha,0,5,90000,3" for t in local]
    path = tmp_path / "berlin.csv"
    path.write_text(
        "# wind_height_m: 10\ntime,site,ghi,temp_air,pressure,wind_speed\n" + "\n".join(rows) + "\n"
    )
    w = read_csv(path, sites=site, timezone="Europe/Berlin")
    assert w.indexes["time"].equals(pd.date_range("2024-10-26 22:00", periods=6, freq="h", name="time"))
    # a repeated hour that cannot be told apart is refused, with the fix in the message
    path.write_text(
        "# wind_height_m: 10\ntime,site,ghi,temp_air,pressure,wind_speed\n2024-10-27T02:00,shusha,0,5,90000,3\n"
    )
    with pytest.raises(WeatherError, match="explicit UTC offset"):
        read_csv(path, sites=site, timezone="Europe/Berlin")


def test_discharge_bad_values(tmp_path):
    path = tmp_path / "q_bad.csv"
    path.write_text("time,terter\n2024-03-01T00:00,5\n2024-03-01T01:00,x\n2024-03-01T02:00,-1\n")
    with pytest.raises(WeatherError, match=r"q_bad\.csv: line 3 \(2024-03-01 01:00 UTC\): column 'terter'"):
        read_discharge_csv(path)
    path.write_text("time,terter\n2024-03-01T00:00,5\n2024-03-01T01:00,-1\n")
    with pytest.raises(WeatherError, match=r"negative discharge in column 'terter' at 2024-03-01 01:00"):
        read_discharge_csv(path)
