"""The input policy (issue 13): numbers in a zone file are finite and never booleans; YAML, CSV and JSON files
are read within limits of size, kind, encoding, nesting and aliases; every refusal is one message naming the
file, the field or line, and the fix, never a traceback."""

from __future__ import annotations

import copy
import json
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from greenzone import safe_read
from greenzone.errors import GreenzoneError, WeatherError, ZoneError
from greenzone.zone import load_zone

MINI = {
    "name": "mini",
    "timezone": "Asia/Baku",
    "year": 2027,
    "nodes": [
        {
            "id": "a",
            "lat": 40.0,
            "lon": 47.0,
            "demand": {"annual_mwh": 1000},
            "technologies": {"solar_fixed": {"max_mw": 100}, "battery": {}},
        }
    ],
}


@pytest.fixture
def mini_zone(tmp_path):
    """``mini_zone(mutate)`` writes a one-node zone changed by ``mutate(dict)`` and returns its path."""

    def _write(mutate=None, name="zone.yaml"):
        data = copy.deepcopy(MINI)
        if mutate is not None:
            mutate(data)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return _write


def _refused(error, call, *fragments):
    """``call()`` raises ``error`` whose message holds every fragment; return the message."""
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(info.value, GreenzoneError) and info.value.exit_code == 2
    return message


# ------------------------------------------------------------------------------------- 1. zone numbers


@pytest.mark.parametrize(
    ("where", "value", "field", "hint"),
    [
        (("nodes", 0, "demand", "annual_mwh"), float("nan"), "nodes[0].demand.annual_mwh", ".nan"),
        (("nodes", 0, "demand", "annual_mwh"), {2027: float("inf")}, "nodes[0].demand.annual_mwh", ".inf"),
        (("nodes", 0, "technologies", "solar_fixed", "max_mw"), float("inf"), "solar_fixed.max_mw", "leave"),
        (("nodes", 0, "technologies", "solar_fixed", "existing_mw"), float("nan"), "existing_mw", ".nan"),
        (("nodes", 0, "lat"), float("-inf"), "nodes[0].lat", "-.inf"),
        (("technologies",), {"solar_fixed": {"capex_usd_per_kw": float("inf")}}, "capex_usd_per_kw", ".inf"),
        (("policy",), {"value_of_lost_load_usd_per_mwh": float("inf")}, "value_of_lost_load", ".inf"),
        (("policy",), {"co2_cap_t": float("inf")}, "policy.co2_cap_t", "leave 'co2_cap_t' out"),
        (
            ("grid",),
            {"node": "a", "import_price_usd_per_mwh": float("inf")},
            "import_price_usd_per_mwh",
            ".inf",
        ),
        (
            ("grid",),
            {"node": "a", "export_price_usd_per_mwh": float("nan")},
            "export_price_usd_per_mwh",
            ".nan",
        ),
        (("nodes", 0, "demand", "annual_mwh"), 10**400, "annual_mwh", "digits"),
    ],
)
def test_zone_numbers_must_be_finite(mini_zone, where, value, field, hint):
    def mutate(data):
        target = data
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = value

    path = mini_zone(mutate)
    _refused(ZoneError, lambda: load_zone(path), str(path), field, "finite", hint)


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (("nodes", 0, "technologies", "solar_fixed", "max_mw"), "solar_fixed.max_mw"),
        (("nodes", 0, "lat"), "nodes[0].lat"),
        (("year",), "year"),
        (("weather",), "weather.years"),
        (("nodes", 0, "usable_land_km2"), "nodes[0].usable_land_km2"),
        (("grid",), "grid.import_max_mw"),
    ],
)
def test_booleans_are_not_numbers(mini_zone, where, field):
    values = {
        "weather": {"years": True},
        "usable_land_km2": {2027: True},
        "grid": {"node": "a", "import_max_mw": True},
    }

    def mutate(data):
        target = data
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = values.get(where[-1], True)

    path = mini_zone(mutate)
    _refused(ZoneError, lambda: load_zone(path), field, "true")


def test_booleans_in_a_list_of_numbers_are_named_by_index(mini_zone):
    def mutate(data):
        data["nodes"][0]["technologies"]["hydro_reservoir"] = {
            "river": "r",
            "head_m": 50,
            "design_flow_m3s": 10,
            "storage_mwh": 100,
            "min_release_m3s": [1.0] * 11 + [False],
        }

    path = mini_zone(mutate)
    _refused(ZoneError, lambda: load_zone(path), "hydro_reservoir.min_release_m3s[11]", "not false")


def test_true_and_false_stay_booleans_where_the_schema_wants_them(mini_zone):
    zone = load_zone(mini_zone(lambda d: d.update(policy={"allow_unserved": False})))
    assert zone.policy.allow_unserved is False


def test_the_embedded_zone_still_loads_and_knows_its_file():
    zone = load_zone()
    assert zone.zone_file is not None and zone.zone_file.endswith("zone.yaml")


# ------------------------------------------------------------------------------------- 2. YAML safely


def _quick(call, seconds=2.0):
    start = time.perf_counter()
    result = call()
    assert time.perf_counter() - start < seconds
    return result


def test_a_device_a_folder_and_a_large_file_are_refused(tmp_path, monkeypatch):
    _refused(ZoneError, lambda: _quick(lambda: load_zone("/dev/zero")), "/dev/zero", "not a zone file")
    _refused(ZoneError, lambda: load_zone(tmp_path), "is a folder")
    _refused(ZoneError, lambda: load_zone(tmp_path / "absent.yaml"), "absent.yaml", "no such zone file")
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 200, encoding="utf-8")
    monkeypatch.setattr(safe_read, "MAX_TEXT_BYTES", 1000)
    _refused(ZoneError, lambda: load_zone(big), "big.yaml", "larger than", "right file")


def test_a_pipe_is_read_at_most_to_the_limit(tmp_path):
    import os
    import threading

    fifo = tmp_path / "zone.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"# x\n" * 300))
    writer.start()
    try:
        _refused(
            ZoneError,
            lambda: safe_read.read_bytes(fifo, what="zone file", error=ZoneError, limit=100),
            "larger",
        )
    finally:
        try:  # let the writer finish if the reader stopped early
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass
        writer.join(timeout=5)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (bytes(range(256)), ("NUL byte", "binary")),
        ("name: café\n".encode("latin-1"), ("line 1", "0xe9", "UTF-8")),
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", ("nested more than", "line 1")),
        ("name: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", ("nested more than",)),
        ("year: 2027-13-45\n", ("line 1", "'2027-13-45' cannot be read", "month")),
        ("lat: " + "9" * 5000 + "\n", ("line 1", "4300 digits")),
        ("? [a, b]\n: 1\n", ("a list or mapping used as a key",)),
        ("name: x\nname: y\n", ("duplicate key 'name'", "line 1")),
        ("name: !!python/object/apply:os.system ['true']\n", ("could not determine a constructor",)),
    ],
)
def test_malformed_yaml_is_refused_with_the_line(tmp_path, content, fragments):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    _refused(ZoneError, lambda: _quick(lambda: load_zone(path)), "bad.yaml", *fragments)


def _laughs(levels: int = 9) -> str:
    text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n"
    return text + f"name: *a{levels - 1}\n"


def test_an_alias_bomb_is_refused_quickly_and_briefly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_laughs(), encoding="utf-8")
    message = _refused(
        ZoneError, lambda: _quick(lambda: load_zone(path)), "bomb.yaml", "aliases are expanded"
    )
    assert len(message) < 300


def test_too_many_aliases_are_refused(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("a: &a 1\nb: [" + ", ".join(["*a"] * 1001) + "]\n", encoding="utf-8")
    _refused(ZoneError, lambda: load_zone(path), "more than 1000 aliases")


def test_a_moderate_alias_expansion_keeps_its_message_short(tmp_path):
    path = tmp_path / "wide.yaml"
    text = "a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 5)
    )
    path.write_text(text + "name: *a4\n", encoding="utf-8")
    message = _refused(ZoneError, lambda: _quick(lambda: load_zone(path)), "name")
    assert len(message) < 3000


def test_anchors_and_merge_keys_still_work(mini_zone, tmp_path):
    path = tmp_path / "anchors.yaml"
    text = (
        yaml.safe_dump(MINI, sort_keys=False)
        .replace("lat: 40.0", "lat: &lat 40.0")
        .replace("lon: 47.0", "lon: *lat")
    )
    path.write_text(text, encoding="utf-8")
    assert load_zone(path).nodes[0].lon == 40.0


def test_the_climatology_goes_through_the_same_reader(tmp_path):
    from greenzone.weather import synthetic

    path = tmp_path / "climate.yaml"
    path.write_text(_laughs(), encoding="utf-8")
    _refused(
        WeatherError, lambda: _quick(lambda: synthetic.read_climatology(path)), "climate.yaml", "aliases"
    )
    _refused(WeatherError, lambda: synthetic.read_climatology("/dev/zero"), "/dev/zero", "not a climatology")
    path.write_bytes(b"\x00\x01")
    _refused(WeatherError, lambda: synthetic.read_climatology(path), "binary")


# ------------------------------------------------------------------------------------- 3. CSV files

HOURS = pd.date_range("2027-01-01", periods=8760, freq="h")
MODEL_TIME = pd.date_range("2027-01-01", periods=48, freq="h")


def _series_csv(path, *, fmt="%Y-%m-%d %H:%M", replace=None, header="time,value"):
    """An hourly CSV of one local year; ``replace`` = {data row index: line text}."""
    rows = [f"{t:{fmt}},{10 + i % 24}" for i, t in enumerate(HOURS)]
    for k, text in (replace or {}).items():
        rows[k] = text
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _demand_zone(mini_zone, csv_name):
    return mini_zone(lambda d: d["nodes"][0].update(demand={"csv": csv_name}))


def _demand(zone):
    from greenzone.resources.demand import demand_profiles

    weather = xr.Dataset(
        {"temp_air": (("time", "site"), np.full((len(MODEL_TIME), 1), 10.0))},
        coords={"time": MODEL_TIME, "site": [zone.nodes[0].id]},
    )
    return demand_profiles(zone, weather)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("inf", "'inf' is not a finite number"),
        ("-inf", "'-inf' is not a finite number"),
        ("nan", "'nan' is not a finite number"),
        ("1e400", "'1e400' is not a finite number"),
        ("twelve", "'twelve' is not a number"),
        ("", "is empty"),
    ],
)
def test_a_bad_demand_cell_names_zone_field_file_line_and_column(mini_zone, tmp_path, cell, problem):
    """Refused when the zone is validated (``greenzone validate``), before any profile is made."""
    csv = _series_csv(tmp_path / "demand.csv", replace={12: f"2027-01-01 12:00,{cell}"})
    zone_path = _demand_zone(mini_zone, "demand.csv")
    message = _refused(ZoneError, lambda: load_zone(zone_path), problem)
    assert message.startswith(f"{zone_path}: nodes[0].demand.csv: {csv} line 14: column 'value'"), message


def test_a_demand_csv_that_misses_the_model_hours_names_the_zone_file(mini_zone, tmp_path):
    csv = tmp_path / "day.csv"
    csv.write_text(
        "time,value\n" + "".join(f"2030-01-01 {h:02d}:00,5\n" for h in range(24)), encoding="utf-8"
    )
    zone_path = _demand_zone(mini_zone, "day.csv")
    message = _refused(ZoneError, lambda: _demand(load_zone(zone_path)), "covers")
    assert message.startswith(f"{zone_path}: nodes[0].demand.csv: {csv}: the CSV covers"), message


def test_demand_times_with_utc_offsets_are_converted_once(mini_zone, tmp_path):
    _series_csv(tmp_path / "local.csv")
    _series_csv(tmp_path / "offset.csv", fmt="%Y-%m-%d %H:%M+04:00")
    local = _demand(load_zone(_demand_zone(mini_zone, "local.csv")))
    offset = _demand(
        load_zone(mini_zone(lambda d: d["nodes"][0].update(demand={"csv": "offset.csv"}), "z2.yaml"))
    )
    np.testing.assert_array_equal(local.values, offset.values)  # Asia/Baku is UTC+4 all year
    assert float(offset.values[0, 0]) == 14.0  # 00:00 UTC is 04:00 local


@pytest.mark.parametrize(
    ("replace", "fragments"),
    [
        ({12: "2027-01-01 12:00+04:00,3"}, ("line 14", "has a UTC offset, but line 2", "same way")),
        ({12: "2027-01-01 25:00,3"}, ("line 14", "'2027-01-01 25:00' is not a time")),
        ({12: "2027-01-01 12:00,3,4"}, ("line 14", "3 cells, but the header has 2")),
        ({12: '2027-01-01 12:00,"3'}, ("line 14", "quote")),
        ({12: "2027-01-01 12:00,-3"}, ("line 14", "must be >= 0 MW")),
        ({12: "2027-01-01 11:00,3"}, ("line 14", "appears twice")),
    ],
)
def test_bad_demand_rows_are_named_by_line(tmp_path, replace, fragments):
    from greenzone.resources.demand import read_demand_csv

    path = _series_csv(tmp_path / "d.csv", replace=replace)
    _refused(
        ZoneError,
        lambda: read_demand_csv(path, MODEL_TIME, "Asia/Baku", field="nodes[0].demand.csv"),
        *fragments,
    )


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (bytes(range(256)), ("NUL byte", "binary")),
        (b"PK\x03\x04" + bytes(60), ("binary",)),
        ("time,value\n2027-01-01 00:00,3 caf\xe9\n".encode("latin-1"), ("line 2", "not UTF-8")),
        (b"", ("is empty",)),
        (b"time,value\n", ("no rows",)),
        (b"time;value\n2027-01-01 00:00;3\n", ("separated by ';'",)),
        (b"time,value,value\n2027-01-01 00:00,3,4\n", ("'value' appears twice",)),
        (b"time,load\n2027-01-01 00:00,3\n", ("lacks 'value'", "has time, load")),
    ],
)
def test_unreadable_demand_files_get_a_message(tmp_path, content, fragments):
    from greenzone.resources.demand import read_demand_csv

    path = tmp_path / "d.csv"
    path.write_bytes(content)
    _refused(
        ZoneError,
        lambda: read_demand_csv(path, MODEL_TIME, "Asia/Baku", field="f"),
        "f: ",
        str(path),
        *fragments,
    )


def test_csv_size_and_kind_are_checked(tmp_path, monkeypatch):
    from greenzone.resources.demand import read_demand_csv

    _refused(ZoneError, lambda: read_demand_csv("/dev/zero", MODEL_TIME, "UTC", field="f"), "not a CSV")
    _refused(ZoneError, lambda: read_demand_csv(tmp_path, MODEL_TIME, "UTC", field="f"), "is a folder")
    path = _series_csv(tmp_path / "d.csv")
    monkeypatch.setattr(safe_read, "MAX_SERIES_CSV_BYTES", 1000)
    _refused(ZoneError, lambda: read_demand_csv(path, MODEL_TIME, "UTC", field="f"), "larger than")


def test_a_price_csv_names_the_zone_file_and_the_price_field(mini_zone, tmp_path):
    from greenzone.resources.series import hourly_price

    csv = _series_csv(tmp_path / "price.csv", replace={3: "2027-01-01 03:00,inf"})
    grid = {"node": "a", "import_max_mw": 10, "import_price_usd_per_mwh": {"csv": "price.csv"}}
    zone_path = mini_zone(lambda d: d.update(grid=grid))
    message = _refused(ZoneError, lambda: load_zone(zone_path), "'inf' is not a finite number", "[USD/MWh]")
    assert message.startswith(f"{zone_path}: grid.import_price_usd_per_mwh.csv: {csv} line 5: column 'value'")
    csv.write_text("time,value\n2030-01-01 00:00,5\n", encoding="utf-8")  # clean, but not the model's hours
    zone = load_zone(zone_path)
    message = _refused(
        ZoneError,
        lambda: hourly_price(
            zone.grid.import_price_usd_per_mwh, MODEL_TIME, zone.timezone, "grid.import_price_usd_per_mwh"
        ),
        "the CSV covers",
    )
    assert message.startswith(f"{zone_path}: grid.import_price_usd_per_mwh.csv: {csv}: ")


def test_price_times_with_offsets_are_accepted(mini_zone, tmp_path):
    from greenzone.resources.series import hourly_price

    _series_csv(tmp_path / "price.csv", fmt="%Y-%m-%dT%H:%M+04:00")
    grid = {"node": "a", "import_max_mw": 10, "import_price_usd_per_mwh": {"csv": "price.csv"}}
    zone = load_zone(mini_zone(lambda d: d.update(grid=grid)))
    prices = hourly_price(zone.grid.import_price_usd_per_mwh, MODEL_TIME, zone.timezone, "grid.import")
    assert prices[0] == 14.0


SITES = pd.DataFrame(
    {"lat": [39.7], "lon": [46.7], "elevation": [1400.0]}, index=pd.Index(["shusha"], name="site")
)


def _weather_csv(path, replace=None):
    lines = ["# wind_height_m: 10", "time,site,ghi,temp_air,wind_speed"]
    lines += [f"{t:%Y-%m-%dT%H:%M},shusha,0,1.5,3" for t in MODEL_TIME]
    for k, text in (replace or {}).items():
        lines[k] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_weather_and_discharge_csvs_refuse_non_finite_cells_and_binary_files(tmp_path):
    from greenzone.weather.csv import read_csv, read_discharge_csv

    path = _weather_csv(tmp_path / "w.csv", {10: "2027-01-01T08:00,shusha,0,inf,3"})
    _refused(
        WeatherError,
        lambda: read_csv(path, sites=SITES),
        "w.csv: line 11",
        "'temp_air'",
        "'inf' is not a finite",
    )
    path.write_bytes(bytes(range(256)))
    _refused(WeatherError, lambda: read_csv(path, sites=SITES), "binary")
    _refused(WeatherError, lambda: read_csv("/dev/zero", sites=SITES), "not a weather CSV")
    flows = tmp_path / "q.csv"
    flows.write_text("time,terter\n2027-01-01T00:00,1\n2027-01-01T01:00,-inf\n", encoding="utf-8")
    _refused(WeatherError, lambda: read_discharge_csv(flows), "q.csv: line 3", "'-inf' is not a finite")
    flows.write_text("time,terter\n2027-01-01T00:00,-1\n", encoding="utf-8")
    _refused(
        WeatherError,
        lambda: read_discharge_csv(flows, context="zone.yaml: weather.discharge"),
        "zone.yaml: weather.discharge: ",
    )


def test_a_weather_csv_named_by_the_zone_names_the_zone_file_and_field(mini_zone, tmp_path):
    from greenzone.weather import load_weather

    _weather_csv(tmp_path / "w.csv", {10: "2027-01-01T08:00,shusha,0,1,nan"})

    def mutate(data):
        data["nodes"][0]["id"] = "shusha"
        data["weather"] = {"source": "csv", "path": "w.csv"}

    zone_path = mini_zone(mutate)
    message = _refused(WeatherError, lambda: load_weather(load_zone(zone_path)), "line 11", "wind_speed")
    assert message.startswith(f"{zone_path}: weather.path: w.csv"), message


# ------------------------------------------------------------------------------------- the forecast CSV


@pytest.fixture(scope="module")
def small_case(tmp_path_factory):
    from plan_helpers import two_node_profiles, two_node_zone

    zone, _ = two_node_zone(tmp_path_factory.mktemp("policy"))
    return zone, two_node_profiles(zone)


def _forecast(path, hours=24, fmt="%Y-%m-%d %H:%M", start="2027-03-01", replace=None):
    t = np.arange(hours)
    table = pd.DataFrame(
        {
            "time": pd.date_range(start, periods=hours, freq="h").strftime(fmt),
            "demand:a [MW]": 30 + 10 * np.sin(t / 5),
            "demand:b [MW]": np.full(hours, 15.0),
            "cf:a/solar_fixed [-]": np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None),
            "cf:b/wind_onshore [-]": np.full(hours, 0.3),
            "inflow:b/hydro_reservoir [MW]": np.full(hours, 8.0),
        }
    )
    lines = table.to_csv(index=False).splitlines()
    for k, text in (replace or {}).items():
        lines[k] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        ("2027-03-01 04:00,inf,15,0,0.3,8", ("line 6", "'demand:a [MW]'", "'inf' is not a finite number")),
        ("2027-03-01 04:00,30,nan,0,0.3,8", ("line 6", "'demand:b [MW]'", "'nan' is not a finite number")),
        ("2027-03-01 04:00,30,15,lots,0.3,8", ("line 6", "'lots' is not a number")),
        ("2027-03-01 04:00,30,15,0,1.5,8", ("line 6", "outside 0 … 1")),
        ("soon,30,15,0,0.3,8", ("line 6", "'soon' is not a time")),
        ("2027-03-01 05:00,30,15,0,0.3,8", ("line 6", "consecutive hours")),
        ("2027-03-01 04:00+00:00,30,15,0,0.3,8", ("line 6", "has a UTC offset, but line 2")),
    ],
)
def test_bad_forecast_cells_are_named_by_line_and_column(small_case, tmp_path, row, fragments):
    from greenzone.operate.rolling import ForecastError
    from greenzone.operate.schedule import read_forecast_csv

    zone, profiles = small_case
    path = _forecast(tmp_path / "f.csv", replace={5: row})
    _refused(ForecastError, lambda: read_forecast_csv(path, zone, profiles), str(path), *fragments)


def test_forecast_times_with_offsets_become_utc(small_case, tmp_path):
    from greenzone.operate.schedule import read_forecast_csv

    zone, profiles = small_case
    plain = read_forecast_csv(_forecast(tmp_path / "a.csv"), zone, profiles)
    shifted = _forecast(tmp_path / "b.csv", fmt="%Y-%m-%d %H:%M+04:00", start="2027-03-01 04:00")
    offset = read_forecast_csv(shifted, zone, profiles)
    assert (plain.indexes["time"] == offset.indexes["time"]).all()
    assert plain.indexes["time"].tz is None


def test_binary_and_special_forecast_files_get_a_message(small_case, tmp_path):
    from greenzone.operate.rolling import ForecastError
    from greenzone.operate.schedule import read_forecast_csv

    zone, profiles = small_case
    path = tmp_path / "f.csv"
    path.write_bytes(bytes(range(256)))
    _refused(ForecastError, lambda: read_forecast_csv(path, zone, profiles), "binary")
    _refused(ForecastError, lambda: read_forecast_csv("/dev/zero", zone, profiles), "not a forecast file")


# ------------------------------------------------------------------------------------- 4. state JSON


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (bytes(range(256)), ("binary",)),
        ('{"a/battery": 120.0,}', ("line 1, column 21", "not valid JSON")),
        ("", ("not valid JSON",)),
        ("[1, 2]", ("must be a JSON object",)),
        ('{"a/battery": NaN}', ("key 'a/battery'", "finite number >= 0", "NaN")),
        ('{"a/battery": Infinity}', ("key 'a/battery'", "Infinity")),
        ('{"a/battery": 1e400}', ("key 'a/battery'", "finite")),
        ('{"a/battery": -5}', ("key 'a/battery'", ">= 0", "-5")),
        ('{"a/battery": true}', ("key 'a/battery'", "must be a number", "true")),
        ('{"a/battery": "120"}', ("key 'a/battery'", "must be a number")),
        ('{"a/battery": null}', ("key 'a/battery'", "null")),
        ('{"a/battery": 1, "a/battery": 2}', ("key 'a/battery' appears twice",)),
        ('{"a": ' + "[" * 100000 + "]" * 100000 + "}", ("nested too deeply",)),
        ('{"a/battery": ' + "9" * 5000 + "}", ("4300 digits",)),
    ],
)
def test_state_files_are_checked_key_by_key(tmp_path, content, fragments):
    from greenzone.operate.rolling import ForecastError
    from greenzone.operate.schedule import read_state_json

    path = tmp_path / "state.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    _refused(ForecastError, lambda: read_state_json(path), str(path), *fragments)


def test_a_good_state_file_still_reads(tmp_path):
    from greenzone.operate.schedule import read_state_json

    path = tmp_path / "state.json"
    path.write_text(json.dumps({"a/battery": 150.0, "b/hydro_reservoir": 1000}), encoding="utf-8")
    assert read_state_json(path) == {"a/battery": 150.0, "b/hydro_reservoir": 1000.0}
    _refused(GreenzoneError, lambda: read_state_json("/dev/zero"), "not a state file")
