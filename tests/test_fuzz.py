"""The fuzz suite: property-based tests that mutate zone files, CSV and JSON inputs, run folders and output
locations, and hold every CLI command to its contract (tests/fuzz_helpers.py):

- exit 0, 2 (bad input), 3 (infeasible) or 4 (solver), never 1 (an unexpected error is a bug);
- no traceback on stdout or stderr;
- an exit-2 message names the mutated field, or the mutated file;
- nothing but the output folder changes.

Commands x mutation classes:

- validate: every field of the embedded zone x delete, wrong type (string, list, mapping), None, booleans, 0,
  negative, 1e308, .nan, .inf, -.inf, empty, unicode, very long strings, unknown keys, duplicated list items;
  then, where the zone is valid, the loader and ``profiles(zone, weather)`` on a day of hours;
- profiles: the same mutations of the two-node zone (tests/test_report.py), end to end on synthetic weather;
- profiles, validate: a node's demand CSV; run (API: build_model): a grid price CSV; cells (inf, nan, text,
  empty, 1e308, negative), rows (drop, duplicate, shuffled or reversed times), times (+04:00, Z, other
  formats, gaps, text), encodings (latin-1, binary, BOM, UTF-16, NUL, CRLF, empty file, header only);
- schedule: the forecast CSV (the same, plus columns dropped, renamed, in wrong units) and the --state JSON
  (values of every type, NaN and Infinity, unknown units, non-objects, encodings);
- report, operate, schedule, adequacy: a run folder whose files were edited, truncated, replaced or removed;
- every command that writes (profiles, run, export-pypsa, report, operate, schedule, adequacy): --out at the
  zone's folder, the zone file, a parent, an existing file, a folder of a user's files, /dev/null, /proc/x
  (all refused with exit 2, nothing changed) and a new folder.

Hypothesis profiles: ``default`` (few examples, derandomized: the same examples on every machine) and ``slow``
(GREENZONE_FUZZ=slow: many more examples, and the tests marked slow; ``make test-slow``). GREENZONE_FUZZ=explore
is ``slow`` with fresh random examples each run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fuzz_helpers as fz
from cli_helpers import cli_main
from greenzone import cli
from greenzone.zone import embedded_zone_path, load_zone
from test_report import TWO_NODES, write_two_node_zone

# ---------------------------------------------------------------------------------------------- profiles

_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile("fuzz-default", derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz-slow", derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz-explore", derandomize=False, **_COMMON)
PROFILE = os.environ.get("GREENZONE_FUZZ", "default")
if PROFILE not in ("default", "slow", "explore"):
    raise ValueError(f"GREENZONE_FUZZ={PROFILE!r}: use default, slow or explore")
SLOW = PROFILE != "default"
BASE = settings.get_profile(f"fuzz-{PROFILE}")
SCALE = int(os.environ.get("GREENZONE_FUZZ_SCALE", 25 if SLOW else 1))
"""How many times more examples the slow profile draws (GREENZONE_FUZZ_SCALE overrides)."""


def fuzz(examples: int):
    """The settings of one test: ``examples`` in the default profile, SCALE times more in the slow one."""
    return settings(BASE, max_examples=examples * SCALE)


# ---------------------------------------------------------------------------------------------- fixtures


def _raw(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data.setdefault("technologies", {})
    return data


EMBEDDED = _raw(embedded_zone_path())
EMBEDDED_PATHS = sorted(fz.tree_paths(EMBEDDED), key=fz.format_path)
TWO = json.loads(json.dumps(TWO_NODES))
TWO_PATHS = sorted(fz.tree_paths(TWO), key=fz.format_path)


@pytest.fixture
def workdir(tmp_path):
    """The folder of a test that is not a hypothesis test (those make a fresh one per example)."""
    return tmp_path


@pytest.fixture(scope="module")
def embedded_weather():
    """The embedded zone's synthetic weather, first day only (profiles of mutated zones run on it)."""
    from greenzone.weather import load_weather

    zone = load_zone(embedded_zone_path())
    return zone, load_weather(zone).isel(time=slice(0, 24)).load()


def weather_for(zone, base_zone, base_weather):
    """Weather for a mutated zone: the base weather with sites relabelled by position when the weather, the
    year and the timezone are as in the base zone, else the zone's own weather (its first day)."""
    from greenzone.weather import load_weather, with_discharge

    same = (
        zone.weather == base_zone.weather
        and zone.year == base_zone.year
        and zone.timezone == base_zone.timezone
    )
    if not same:
        return load_weather(zone).isel(time=slice(0, 24))
    n = base_weather.sizes["site"]
    w = base_weather.isel(site=[j % n for j in range(len(zone.nodes))])
    w = w.assign_coords(
        site=zone.node_ids,
        lat=("site", [node.lat for node in zone.nodes]),
        lon=("site", [node.lon for node in zone.nodes]),
    )
    return with_discharge(zone, w)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One run of the two-node zone (``run --hours 48``), shared by the report, operate, schedule and adequacy
    examples, which never write into it (checked), with a valid forecast CSV and state JSON beside it."""
    root = tmp_path_factory.mktemp("fuzz-shared")
    zone_path = write_two_node_zone(root / "zone")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            sys,
            "argv",
            ["greenzone", "-q", "run", str(zone_path), "--out", str(root / "run"), "--hours", "48"],
        )
        try:
            cli.main()
        except SystemExit as exit_:
            assert not exit_.code, f"the shared run failed: exit {exit_.code}"
    with xr.open_dataset(root / "run" / "profiles.nc") as p:
        p = p.load()
    hours = 24
    table = {"time": pd.DatetimeIndex(p["time"].values[:hours]).strftime("%Y-%m-%d %H:%M").tolist()}
    for node in ("jabrayil", "kalbajar"):
        table[f"demand:{node} [MW]"] = p["demand"].sel(node=node).values[:hours]
    for node, tech in (("jabrayil", "solar_fixed"), ("kalbajar", "wind_onshore")):
        table[f"cf:{node}/{tech} [-]"] = p["capacity_factor"].sel(node=node, technology=tech).values[:hours]
    forecast = pd.DataFrame(table)
    header = list(forecast.columns)
    rows = [[str(v) if not isinstance(v, float) else f"{v:.6f}" for v in row] for row in forecast.values]
    state = {"jabrayil/battery": 0.0}
    return {
        "root": root,
        "zone": zone_path,
        "run": root / "run",
        "forecast": (header, rows),
        "state": state,
    }


# ---------------------------------------------------------------------------------------------- zone fields


def _write(folder: Path, tree, name: str = "zone.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(fz.dump_yaml(tree), encoding="utf-8")
    return path


mutations = st.sampled_from(fz.MUTATIONS)


@fuzz(60)
@given(path=st.sampled_from(EMBEDDED_PATHS), mutation=mutations)
def test_embedded_zone_field(monkeypatch, capsys, embedded_weather, path, mutation):
    """validate on the embedded zone with one field mutated; a valid zone then goes through the loader and
    profiles on a day of weather."""
    with fz.fresh_dir() as workdir:
        tree = fz.mutate(EMBEDDED, path, mutation)
        zone_file = _write(workdir / "zone", tree)
        context = f"embedded zone, {fz.format_path(path)}: {mutation}"
        code, _, _ = fz.check_contract(
            monkeypatch,
            capsys,
            ["validate", str(zone_file)],
            watch=(workdir,),
            field=(path, mutation, EMBEDDED),
            context=context,
        )
        if code != 0:
            return
        from greenzone.resources import profiles

        before = fz.snapshot(workdir)
        zone = load_zone(zone_file)
        base_zone, base_weather = embedded_weather
        weather = fz.check_api(lambda: weather_for(zone, base_zone, base_weather), context=context)
        if not isinstance(weather, Exception):
            fz.check_api(lambda: profiles(zone, weather), context=context)
        assert not fz.changes(before, fz.snapshot(workdir)), context


def _two_node_contract(monkeypatch, capsys, path, mutation, command: str, *options: str) -> None:
    """``command`` on the two-node zone with one field mutated, held to the contract (only its output changes)."""
    with fz.fresh_dir() as workdir:
        zone_file = _write(workdir / "zone", fz.mutate(TWO, path, mutation))
        out = workdir / "out"
        fz.check_contract(
            monkeypatch,
            capsys,
            [command, str(zone_file), "--out", str(out), *options],
            watch=(workdir,),
            out=out,
            field=(path, mutation, TWO),
            context=f"two-node zone, {fz.format_path(path)}: {mutation}",
        )


@fuzz(25)
@given(path=st.sampled_from(TWO_PATHS), mutation=mutations)
def test_two_node_zone_field_profiles(monkeypatch, capsys, path, mutation):
    """greenzone profiles on the two-node zone with one field mutated, end to end on synthetic weather."""
    _two_node_contract(monkeypatch, capsys, path, mutation, "profiles")


@fuzz(3)
@given(path=st.sampled_from(TWO_PATHS), mutation=mutations)
def test_two_node_zone_field_run(monkeypatch, capsys, path, mutation):
    """greenzone run --hours 48 on the two-node zone with one field mutated (a handful: ~2 s each)."""
    _two_node_contract(monkeypatch, capsys, path, mutation, "run", "--hours", "48")


# ---------------------------------------------------------------------------------------------- CSV files


def _year_rows(start: str, hours: int, value) -> list[list[str]]:
    times = pd.date_range(start, periods=hours, freq="h")
    return [[t.strftime("%Y-%m-%d %H:%M"), value(i)] for i, t in enumerate(times)]


DEMAND_HEADER = ["time", "value"]
DEMAND_ROWS = _year_rows("2027-01-01 00:00", 8760, lambda i: f"{5 + (i % 24) / 6:.3f}")
PRICE_HEADER = ["time", "price"]
PRICE_ROWS = _year_rows("2027-01-01 00:00", 8760, lambda i: f"{50 + (i % 24):.1f}")


@st.composite
def csv_mutations(draw, header, rows, *, extra_columns: tuple[str, ...] = ()):
    """(description, bytes) of a CSV with one mutation: a cell, rows, times, the header or the encoding."""
    kind = draw(st.sampled_from(("cell", "rows", "times", "header", "encoding")))
    header, rows = list(header), [list(r) for r in rows]
    encoding = None
    if kind == "cell":
        column = draw(st.integers(0, len(header) - 1))
        row = draw(st.integers(0, len(rows) - 1))
        value = draw(st.sampled_from(fz.CELL_VALUES))
        header, rows = fz.mutate_cell(header, rows, column, row, value)
        what = f"cell row {row} column {header[column]!r} = {value!r}"
    elif kind == "rows":
        how = draw(st.sampled_from(fz.ROW_MUTATIONS))
        header, rows = fz.mutate_rows(header, rows, how, seed=draw(st.integers(0, 3)))
        what = f"rows: {how}"
    elif kind == "times":
        how = draw(st.sampled_from(fz.TIME_MUTATIONS))
        row = draw(st.integers(0, len(rows) - 1))
        header, rows = fz.mutate_times(header, rows, how, row)
        what = f"times: {how} (row {row})"
    elif kind == "header":
        column = draw(st.integers(0, len(header) - 1))
        how = draw(st.sampled_from(("rename", "drop", "duplicate", "unicode", "extra", *extra_columns)))
        if how == "rename":
            header[column] = "fuzz"
        elif how == "drop":
            del header[column]
            for r in rows:
                del r[column]
        elif how == "duplicate":
            header.append(header[column])
            for r in rows:
                r.append(r[column])
        elif how == "unicode":
            header[column] = fz.UNICODE
        elif how == "extra":
            header.append("fuzz_extra")
            for r in rows:
                r.append("1")
        else:  # a column name given by the caller (e.g. a wrong unit)
            header[column] = how
        what = f"header: {how} column {column}"
    else:
        encoding = draw(st.sampled_from(fz.ENCODINGS))
        what = f"encoding: {encoding}"
    return what, fz.encode(fz.csv_text(header, rows), encoding)


def _demand_zone(folder: Path, csv_name: str = "demand.csv") -> Path:
    def with_csv(data):
        data["nodes"][0]["demand"] = {"csv": csv_name}

    return write_two_node_zone(folder, with_csv)


def _names_file(stderr: str, name: str) -> bool:
    return name in stderr


@fuzz(30)
@given(mutation=csv_mutations(DEMAND_HEADER, DEMAND_ROWS))
def test_demand_csv(monkeypatch, capsys, mutation):
    """validate and profiles on the two-node zone whose first node's demand is a mutated hourly CSV."""
    with fz.fresh_dir() as workdir:
        what, data = mutation
        zone_file = _demand_zone(workdir / "zone")
        (workdir / "zone" / "demand.csv").write_bytes(data)
        out = workdir / "out"
        context = f"demand CSV, {what}"
        for args in (["validate", str(zone_file)], ["profiles", str(zone_file), "--out", str(out)]):
            code, _, stderr = fz.check_contract(
                monkeypatch, capsys, args, watch=(workdir,), out=out, context=context
            )
            if code == 2:
                assert _names_file(stderr, "demand.csv"), (
                    f"exit 2 without naming demand.csv: {context}\n{stderr}"
                )
                break


def _price_zone(folder: Path) -> Path:
    def with_price(data):
        data["grid"]["import_price_usd_per_mwh"] = {"csv": "price.csv", "column": "price"}

    return write_two_node_zone(folder, with_price)


@pytest.fixture(scope="module")
def two_node_profiles(tmp_path_factory):
    """Profiles of the two-node zone, its first 48 hours (price CSV examples build the LP on them)."""
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    zone = load_zone(write_two_node_zone(tmp_path_factory.mktemp("two-node")))
    return profiles(zone, load_weather(zone)).isel(time=slice(0, 48)).load()


@fuzz(25)
@given(mutation=csv_mutations(PRICE_HEADER, PRICE_ROWS))
def test_price_csv_build(monkeypatch, capsys, two_node_profiles, mutation):
    """validate, then the LP of run built on 48 hours, with a mutated grid import price CSV."""
    with fz.fresh_dir() as workdir:
        from greenzone.optimize.formulation import build_model

        what, data = mutation
        zone_file = _price_zone(workdir / "zone")
        (workdir / "zone" / "price.csv").write_bytes(data)
        context = f"price CSV, {what}"
        code, _, stderr = fz.check_contract(
            monkeypatch, capsys, ["validate", str(zone_file)], watch=(workdir,), context=context
        )
        if code == 2:
            assert _names_file(stderr, "price.csv"), f"{context}\n{stderr}"
            return
        zone = load_zone(zone_file)
        before = fz.snapshot(workdir)
        result = fz.check_api(lambda: build_model(zone, two_node_profiles), context=context)
        if isinstance(result, Exception):
            assert "price.csv" in str(result), f"{context}: the error does not name price.csv: {result}"
        assert not fz.changes(before, fz.snapshot(workdir)), context


@fuzz(3)
@given(mutation=csv_mutations(PRICE_HEADER, PRICE_ROWS))
def test_price_csv_run(monkeypatch, capsys, mutation):
    """greenzone run --hours 48 with a mutated grid import price CSV (a handful: ~2 s each)."""
    with fz.fresh_dir() as workdir:
        what, data = mutation
        zone_file = _price_zone(workdir / "zone")
        (workdir / "zone" / "price.csv").write_bytes(data)
        out = workdir / "out"
        context = f"price CSV, {what}"
        code, _, stderr = fz.check_contract(
            monkeypatch,
            capsys,
            ["run", str(zone_file), "--out", str(out), "--hours", "48"],
            watch=(workdir,),
            out=out,
            context=context,
        )
        if code == 2:
            assert _names_file(stderr, "price.csv"), f"{context}\n{stderr}"


# ---------------------------------------------------------------------------------------------- schedule inputs


def _schedule(monkeypatch, capsys, shared, workdir, forecast: bytes, state: bytes, context: str):
    (workdir / "forecast.csv").write_bytes(forecast)
    (workdir / "state.json").write_bytes(state)
    out = workdir / "out"
    return fz.check_contract(
        monkeypatch,
        capsys,
        [
            "schedule",
            str(shared["run"]),
            "--state",
            str(workdir / "state.json"),
            "--forecast",
            str(workdir / "forecast.csv"),
            "--out",
            str(out),
        ],
        watch=(workdir, shared["root"]),
        out=out,
        context=context,
    )


def test_schedule_base_inputs_are_valid(monkeypatch, capsys, workdir, shared):
    """The unmutated forecast and state schedule (so that mutations are what the other tests change)."""
    header, rows = shared["forecast"]
    code, _, stderr = _schedule(
        monkeypatch,
        capsys,
        shared,
        workdir,
        fz.encode(fz.csv_text(header, rows), None),
        json.dumps(shared["state"]).encode(),
        "base",
    )
    assert code == 0, stderr


FORECAST_COLUMNS = ("demand:jabrayil [kW]", "cf:jabrayil/battery [-]", "cf:nowhere/solar_fixed [-]", "time ")


@fuzz(30)
@given(data=st.data())
def test_schedule_forecast_csv(monkeypatch, capsys, shared, data):
    """greenzone schedule with a mutated forecast CSV."""
    with fz.fresh_dir() as workdir:
        header, rows = shared["forecast"]
        what, forecast = data.draw(csv_mutations(header, rows, extra_columns=FORECAST_COLUMNS))
        code, _, stderr = _schedule(
            monkeypatch, capsys, shared, workdir, forecast, json.dumps(shared["state"]).encode(), what
        )
        if code == 2:
            assert "forecast.csv" in stderr, f"forecast {what}: exit 2 without naming the file\n{stderr}"


JSON_VALUES = (
    *(v for name, v in fz.VALUES if name not in ("nan", "inf", "-inf")),
    math.nan,
    math.inf,
    -math.inf,
    10**400,
)


@st.composite
def state_mutations(draw, state: dict):
    """(description, bytes, what an exit-2 message must name) of a state JSON with one mutation."""
    kind = draw(st.sampled_from(("value", "label", "top", "encoding", "text")))
    state = dict(state)
    encoding = None
    named = "state.json"
    if kind == "value":
        value = draw(st.sampled_from(JSON_VALUES))
        state["jabrayil/battery"] = value
        named = "jabrayil/battery"
        what = f"value {value!r:.60}"
    elif kind == "label":
        label = draw(
            st.sampled_from(("nowhere/battery", "jabrayil/solar_fixed", "jabrayil", "", fz.UNICODE, fz.LONG))
        )
        state[label] = 1.0
        what = f"label {label!r:.60}"
        named = label
    elif kind == "top":
        state = draw(st.sampled_from(([1, 2], "text", 1.5, None, True, [{"jabrayil/battery": 1}])))
        what = f"top-level {state!r}"
    elif kind == "text":
        text = draw(st.sampled_from(("{", "{'a': 1}", '{"a": 1,}', "", "   ", '{"a": 1}{"b": 2}', "NaN")))
        return f"text {text!r}", text.encode(), named
    else:
        encoding = draw(st.sampled_from(("latin1", "binary", "bom", "utf16", "nul", "empty_file")))
        what = f"encoding {encoding}"
    text = json.dumps(state, ensure_ascii=False)
    if encoding == "latin1":
        return (
            what,
            json.dumps({"jabrayil/battery": 1.0, "é": 1.0}, ensure_ascii=False).encode("latin-1"),
            named,
        )
    return what, fz.encode(text, encoding), named


@fuzz(20)
@given(data=st.data())
def test_schedule_state_json(monkeypatch, capsys, shared, data):
    """greenzone schedule with a mutated --state JSON."""
    with fz.fresh_dir() as workdir:
        what, state, named = data.draw(state_mutations(shared["state"]))
        header, rows = shared["forecast"]
        code, _, stderr = _schedule(
            monkeypatch, capsys, shared, workdir, fz.encode(fz.csv_text(header, rows), None), state, what
        )
        if code == 2:
            # the file, or the unit label that was added
            # (messages quote a label as repr() does: '\u200b' for a zero-width space)
            shown = (named, repr(named)[1:-1])
            assert "state.json" in stderr or any(n in stderr for n in shown), (
                f"state {what}: exit 2 naming neither\n{stderr}"
            )


# ---------------------------------------------------------------------------------------------- run folders

RUN_FOLDER_FILES = (
    "zone.yaml",
    "plan.nc",
    "profiles.nc",
    "kpis.json",
    "manifest.json",
    "report.html",
    "weather.nc",
)
FILE_MUTATIONS = ("delete", "empty", "garbage", "truncate", "append", "folder", "json_list", "yaml_field")


def _mutate_run_file(path: Path, how: str, draw) -> str:
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(bytes(range(256)) * 8)
    elif how == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "append":
        with open(path, "ab") as handle:
            handle.write(b"\n# fuzz\n")
    elif how == "folder":
        path.unlink()
        path.mkdir()
    elif how == "json_list":
        path.write_text("[1, 2, 3]\n")
    elif how == "yaml_field":  # one field of the file, read as YAML (zone.yaml, manifest.json, kpis.json)
        try:
            tree = yaml.safe_load(path.read_text())
        except (UnicodeDecodeError, yaml.YAMLError):
            path.write_text("{")
            return "unparsable"
        paths = sorted(fz.tree_paths(tree), key=fz.format_path)
        if not paths:
            path.write_text("{}")
            return "emptied"
        field = draw(st.sampled_from(paths))
        mutation = draw(st.sampled_from(fz.MUTATIONS))
        text = (
            json.dumps(fz.mutate(tree, field, mutation))
            if path.suffix == ".json"
            else fz.dump_yaml(fz.mutate(tree, field, mutation))
        )
        path.write_text(text)
        return f"{fz.format_path(field)}: {mutation}"
    return how


RUN_COMMANDS = ("report", "operate", "schedule", "adequacy")


def _run_folder_command(command: str, run: Path, workdir: Path, shared) -> tuple[list[str], Path]:
    if command == "report":
        out = workdir / "new-report.html"
        return ["report", str(run), "--out", str(out)], out
    out = workdir / "out"
    if command == "operate":
        args = ["--hours", "24", "--horizon", "24", "--step", "24", "--forecast", "perfect"]
    elif command == "schedule":
        header, rows = shared["forecast"]
        (workdir / "forecast.csv").write_text(fz.csv_text(header, rows))
        (workdir / "state.json").write_text(json.dumps(shared["state"]))
        args = ["--state", str(workdir / "state.json"), "--forecast", str(workdir / "forecast.csv")]
    else:
        args = ["--weather-years", "1", "--workers", "1", "--horizon", "24", "--step", "24"]
    return [command, str(run), "--out", str(out), *args], out


@fuzz(16)
@given(
    command=st.sampled_from(RUN_COMMANDS),
    name=st.sampled_from(RUN_FOLDER_FILES),
    how=st.sampled_from(FILE_MUTATIONS),
    data=st.data(),
)
def test_run_folder_files(monkeypatch, capsys, shared, command, name, how, data):
    """report, operate, schedule and adequacy on a copy of the shared run folder with one file mutated."""
    with fz.fresh_dir() as workdir:
        # adequacy dispatches a whole year when the folder is fine (~3 s): in the default profile only for the
        # files it reads
        assume(SLOW or command != "adequacy" or name in ("zone.yaml", "plan.nc", "profiles.nc"))
        run = workdir / "run"
        shutil.copytree(shared["run"], run)
        done = _mutate_run_file(run / name, how, data.draw)
        args, out = _run_folder_command(command, run, workdir, shared)
        fz.check_contract(
            monkeypatch,
            capsys,
            args,
            watch=(workdir, shared["root"]),
            out=out,
            context=f"run folder {name}: {how} ({done})",
        )


# ---------------------------------------------------------------------------------------------- --out


LOCATIONS = (
    "input_folder",
    "input_file",
    "parent",
    "existing_file",
    "user_folder",
    "dev_null",
    "proc",
    "new_folder",
)
ZONE_COMMANDS = {
    "profiles": [],
    "run": ["--hours", "48"],
    "export-pypsa": ["--hours", "24"],
}
WRITING_COMMANDS = (*ZONE_COMMANDS, *RUN_COMMANDS)


def _location(kind: str, workdir: Path, input_folder: Path, input_file: Path, *, file_output: bool) -> Path:
    if kind == "input_folder":
        return input_folder
    if kind == "input_file":
        return input_file
    if kind == "parent":
        return input_folder.parent
    if kind == "existing_file":
        path = workdir / "notes.txt"
        path.write_text("a user's notes\n")
        return path
    if kind == "user_folder":
        folder = workdir / "mine"
        folder.mkdir()
        (folder / "thesis.tex").write_text("\\documentclass{article}\n")
        return folder
    if kind == "dev_null":
        return Path(os.devnull)
    if kind == "proc":
        return Path("/proc/fuzz-greenzone")
    return workdir / ("new-report.html" if file_output else "new-out")


@pytest.mark.parametrize("kind", LOCATIONS)
@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_output_location(monkeypatch, capsys, workdir, shared, command, kind):
    """Every writing command with --out at each kind of location: all but a new folder (a new file for
    report) exit 2 and change nothing; a new folder is written and nothing else changes."""
    if kind == "new_folder" and command in ("adequacy", "export-pypsa") and not SLOW:
        pytest.skip("~3 s; run in the slow profile (GREENZONE_FUZZ=slow)")
    if command in ZONE_COMMANDS:
        zone_file = write_two_node_zone(workdir / "zone")
        out = _location(kind, workdir, zone_file.parent, zone_file, file_output=False)
        args = [command, str(zone_file), "--out", str(out), *ZONE_COMMANDS[command]]
        watch = (workdir,)
    else:
        run = workdir / "run"
        shutil.copytree(shared["run"], run)
        out = _location(kind, workdir, run, run / "zone.yaml", file_output=command == "report")
        args, _ = _run_folder_command(command, run, workdir, shared)
        args[args.index("--out") + 1] = str(out)
        watch = (workdir, shared["root"])
    code, _, stderr = fz.check_contract(
        monkeypatch,
        capsys,
        args,
        watch=watch,
        out=out if kind == "new_folder" else None,
        context=f"{command} --out {kind}",
    )
    if kind == "new_folder":
        assert code == 0, stderr
        assert out.exists()
    else:
        assert code == 2, f"{command} --out {out} ({kind}) exited {code}, not 2\n{stderr}"
        assert "--out" in stderr, stderr
        assert not Path("/proc/fuzz-greenzone").exists()


# ---------------------------------------------------------------------------------------------- slow only


@pytest.mark.slow
@fuzz(40)
@given(path=st.sampled_from(EMBEDDED_PATHS), mutation=mutations, second=st.sampled_from(EMBEDDED_PATHS))
def test_embedded_zone_two_fields(monkeypatch, capsys, path, mutation, second):
    """validate with two fields of the embedded zone mutated at once (needs many examples to mean much)."""
    with fz.fresh_dir() as workdir:
        tree = fz.mutate(EMBEDDED, path, mutation)
        try:
            tree = fz.mutate(tree, second, "delete")
        except (KeyError, IndexError, TypeError):
            assume(False)
        zone_file = _write(workdir / "zone", tree)
        fz.check_contract(
            monkeypatch,
            capsys,
            ["validate", str(zone_file)],
            watch=(workdir,),
            context=f"embedded zone, {fz.format_path(path)}: {mutation}; {fz.format_path(second)}: delete",
        )


@pytest.mark.slow
@fuzz(8)
@given(path=st.sampled_from(TWO_PATHS), mutation=mutations)
def test_two_node_zone_field_export(monkeypatch, capsys, path, mutation):
    """greenzone export-pypsa --hours 24 on the two-node zone with one field mutated (~2 s each)."""
    _two_node_contract(monkeypatch, capsys, path, mutation, "export-pypsa", "--hours", "24")


# ---------------------------------------------------------------------------------------------- bugs found (all fixed; kept as regressions)


def _validate(monkeypatch, capsys, workdir, text: str):
    zone_file = workdir / "zone.yaml"
    zone_file.write_text(text)
    return cli_main(monkeypatch, capsys, "validate", str(zone_file))


@pytest.mark.parametrize("value", ["true", "1", "-1", ".inf", "1.0e+308"])
def test_nodes_scalar(monkeypatch, capsys, workdir, value):
    """``nodes: true`` (or 1, -1, .inf): exit 2 naming nodes (found by this suite, since fixed: it was
    'unexpected TypeError: 'bool' object is not iterable ... This is a bug', exit 1)."""
    code, out, err = _validate(
        monkeypatch, capsys, workdir, f"name: x\ntimezone: Asia/Baku\nyear: 2027\nnodes: {value}\n"
    )
    assert code == 2 and "nodes" in err and "Traceback" not in out + err, (code, err)


def test_timezone_too_long_for_a_file_name(monkeypatch, capsys, workdir):
    """A timezone longer than a file name may be: exit 2 naming timezone, not 'unexpected OSError'."""
    data = dict(EMBEDDED, timezone="x" * 300)
    code, out, err = _validate(monkeypatch, capsys, workdir, fz.dump_yaml(data))
    assert code == 2 and "timezone" in err and "Traceback" not in out + err, (code, err)


@pytest.mark.parametrize("cell", ["-5", '"1,5"'])
def test_demand_time_before_year_1677(monkeypatch, capsys, workdir, cell):
    """A demand CSV whose time cell is '-5': validate exits 2 naming demand.csv, not 'unexpected
    OutOfBoundsDatetime: Out of bounds nanosecond timestamp: -6-12-31 20:40:36 ... This is a bug'."""
    zone_file = _demand_zone(workdir / "zone")
    (workdir / "zone" / "demand.csv").write_text(f"time,value\n{cell},5\n")
    code, out, err = cli_main(monkeypatch, capsys, "validate", str(zone_file))
    assert code == 2 and "demand.csv" in err and "Traceback" not in out + err, (code, err)


def test_forecast_time_before_year_1677(monkeypatch, capsys, workdir, shared):
    """schedule with a forecast whose first time is '-5': exit 2 naming forecast.csv, not exit 1."""
    header, rows = shared["forecast"]
    rows = [["-5", *rows[0][1:]]]
    code, _, err = _schedule(
        monkeypatch, capsys, shared, workdir, fz.csv_text(header, rows).encode(), b"{}", "time -5"
    )
    assert code == 2 and "forecast.csv" in err, (code, err)


@pytest.mark.parametrize("contents", [b"", b"\xff\xfe garbage", b"[1, 2]"])
def test_operate_reads_a_spoiled_kpis_json(monkeypatch, capsys, workdir, shared, contents):
    """operate on a run folder whose kpis.json was emptied, garbled or made a list: exit 2 naming kpis.json, not
    'unexpected JSONDecodeError' (UnicodeDecodeError, AttributeError) ... This is a bug (adequacy alike)."""
    run = workdir / "run"
    shutil.copytree(shared["run"], run)
    (run / "kpis.json").write_bytes(contents)
    args, out = _run_folder_command("operate", run, workdir, shared)
    code, _, err = fz.check_contract(monkeypatch, capsys, args, watch=(workdir,), out=out)
    assert code == 2 and "kpis.json" in err, (code, err)
