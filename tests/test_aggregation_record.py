"""benchmarks/aggregation_record.py: it measures a zone's typical-day error against its hourly optimum, writes
the record under the zone's fingerprint, and the plan's report reads it back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

import greenzone.planning.aggregation_errors as records
from greenzone import load_weather, load_zone, profiles
from greenzone.planning.year import plan

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "aggregation_record.py"
HOURS = 96


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("aggregation_record", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small(tmp_path_factory, script):
    """The embedded zone over its first 4 days: records for 3 and 4 typical days written into a file that
    already holds a header, a record of another zone and a stale record of the same key."""
    zone = load_zone()
    year = profiles(zone, load_weather(zone))
    prof = year.isel(time=slice(0, HOURS))
    path = tmp_path_factory.mktemp("records") / "aggregation_errors.yaml"
    key = {
        "zone_fingerprint": prof.attrs["zone_fingerprint"],
        "weather_seed": 0,
        "weather_years": 1,
        "hours": HOURS,
        "typical_days": 3,
        "linking": True,
    }
    other = {**key, "zone_fingerprint": "0123456789abcdef", "cost_error": 0.5}
    path.write_text("# header kept\n" + yaml.safe_dump([other, {**key, "cost_error": 0.9}], sort_keys=False))
    code = script.main(["--hours", str(HOURS), "--days", "3", "4", "--record", str(path)])
    assert code == 0
    return zone, prof, path, year


def test_the_record_holds_the_measurement_under_the_zone_fingerprint(small):
    zone, prof, path, year = small
    text = path.read_text()
    assert text.startswith("# header kept\n")
    written = records.read_records(path)
    assert [r["zone_fingerprint"] for r in written][0] == "0123456789abcdef"  # other zones kept
    mine = [r for r in written if r["zone_fingerprint"] == prof.attrs["zone_fingerprint"]]
    assert sorted(r["typical_days"] for r in mine) == [3, 4]  # the stale record replaced, not added
    by_n = {r["typical_days"]: r for r in mine}
    for r in mine:
        assert r["hours"] == HOURS and r["weather_seed"] == 0 and r["weather_years"] == 1 and r["linking"]
        assert r["greenzone_version"] and r["machine"] and r["measured_on"]
        assert r["hourly_s"] > 0 and r["typical_days_s"] > 0
        assert r["capacity_mix_error"] >= 0
    # known answer: 4 typical days of a 4-day horizon are the 4 days themselves, so the hourly optimum
    assert by_n[4]["cost_error"] == pytest.approx(0.0, abs=1e-4)
    assert by_n[3]["cost_error"] != pytest.approx(0.0, abs=1e-4)  # 3 days stand for 4: not exact


def test_the_plan_report_reads_the_record_back(small, monkeypatch):
    zone, prof, path, year = small
    monkeypatch.setattr(records, "RECORDS_PATH", path)
    record = records.recorded_error(
        prof.attrs["zone_fingerprint"], 3, linking=True, weather_seed=0, weather_years=1, hours=HOURS
    )
    shown = plan(zone, prof, typical_days=3).attrs["typical_days_measured_cost_error"]
    assert shown.startswith(f"{record['cost_error']:+.2%} against the true hourly optimum")
    # a plan of other hours is not described by it
    longer = plan(zone, year.isel(time=slice(0, HOURS + 24)), typical_days=3)
    assert longer.attrs["typical_days_measured_cost_error"].startswith("not measured")


def test_bad_hours_are_refused(script, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        script.main(["--hours", "100", "--days", "3", "--record", str(tmp_path / "r.yaml")])
    assert exc.value.code == 2 and "--hours 100: give whole days" in capsys.readouterr().err
    assert not (tmp_path / "r.yaml").exists()
