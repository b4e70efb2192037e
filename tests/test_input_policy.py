"""The input policy (issue 13): numbers in a zone file are finite and never booleans; YAML, CSV and JSON files
are read within limits of size, kind, encoding, nesting and aliases; every refusal is one message naming the
file, the field or line, and the fix, never a traceback."""

from __future__ import annotations

import copy
import time

import pytest
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
