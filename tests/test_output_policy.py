"""The output policy: no command ever deletes or overwrites an input or a user's file, every run folder carries
a manifest that every reader checks, and killed runs leave nothing behind for long."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from cli_helpers import cli_main
from greenzone.errors import OutputError
from greenzone.output import MANIFEST, OWNER, check_output_folder, clean_stale, staged_directory
from test_report import write_two_node_zone


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """(zone file, run folder): 'greenzone run' of the two-node zone over 48 hours."""
    base = tmp_path_factory.mktemp("policy")
    zone_path = write_two_node_zone(base / "zone")
    out = base / "run"
    mp = pytest.MonkeyPatch()
    try:
        import sys

        mp.setattr(
            sys, "argv", ["greenzone", "--quiet", "run", str(zone_path), "--hours", "48", "--out", str(out)]
        )
        from greenzone import cli

        try:
            cli.main()
        except SystemExit as exit_:
            assert not exit_.code
    finally:
        mp.undo()
    return zone_path, out


def test_run_into_the_zone_files_folder_is_refused_and_nothing_is_lost(tmp_path, monkeypatch, capsys):
    zone_path = write_two_node_zone(tmp_path)
    (tmp_path / "notes.txt").write_text("my notes")
    before = snapshot(tmp_path)
    for out in (tmp_path, tmp_path.parent):
        code, _, err = cli_main(
            monkeypatch, capsys, "run", str(zone_path), "--hours", "48", "--out", str(out)
        )
        assert code == 2, err
        assert "would replace the zone file" in err and str(zone_path) in err and "Traceback" not in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["profiles", "export-pypsa"])
def test_profiles_and_export_refuse_the_zone_folder(tmp_path, monkeypatch, capsys, command):
    zone_path = write_two_node_zone(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = cli_main(monkeypatch, capsys, command, str(zone_path), "--out", str(tmp_path))
    assert code == 2 and "would replace the zone file" in err
    assert snapshot(tmp_path) == before


def test_out_naming_an_existing_file_or_a_users_folder_is_refused(tmp_path, monkeypatch, capsys):
    zone_path = write_two_node_zone(tmp_path / "zone")
    existing = tmp_path / "results.csv"
    existing.write_text("a,b\n1,2\n")
    code, _, err = cli_main(monkeypatch, capsys, "run", str(zone_path), "--out", str(existing))
    assert code == 2 and "is an existing file, not a folder" in err
    assert existing.read_text() == "a,b\n1,2\n"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("chapter 1")
    code, _, err = cli_main(monkeypatch, capsys, "run", str(zone_path), "--out", str(mine))
    assert code == 2 and "holds files greenzone did not write" in err
    assert (mine / "thesis.docx").read_text() == "chapter 1"


@pytest.mark.parametrize("place", ["/proc/greenzone-out", "/sys/greenzone", "/dev/null", "/dev/null/out"])
def test_special_places_are_refused_with_a_message(place, tmp_path, monkeypatch, capsys):
    zone_path = write_two_node_zone(tmp_path)
    code, _, err = cli_main(monkeypatch, capsys, "run", str(zone_path), "--out", place)
    assert code == 2, err
    assert place.split("/")[1] in err and "Traceback" not in err


def test_log_file_policy(tmp_path, monkeypatch, capsys):
    zone_path = write_two_node_zone(tmp_path)
    before = zone_path.read_bytes()
    for place, words in (
        (str(zone_path), "is not a greenzone log"),
        ("/proc/greenzone.log", "kernel file system"),
        (str(tmp_path), "is a folder"),
        ("/dev/null/x.log", "kernel file system"),
    ):
        code, _, err = cli_main(monkeypatch, capsys, "--log-file", place, "validate", str(zone_path))
        assert code == 2 and words in err and "Traceback" not in err, (place, err)
    assert zone_path.read_bytes() == before
    code, _, err = cli_main(monkeypatch, capsys, "--log-file", os.devnull, "validate", str(zone_path))
    assert code == 0, err
    log = tmp_path / "logs" / "greenzone.log"
    for _ in range(2):  # a greenzone log is appended to
        code, _, err = cli_main(monkeypatch, capsys, "--log-file", str(log), "validate", str(zone_path))
        assert code == 0, err
    assert log.read_text().count("greenzone 0.") == 2


def test_manifest_records_command_inputs_and_outputs(run_folder):
    zone_path, out = run_folder
    manifest = json.loads((out / MANIFEST).read_text())
    from greenzone import __version__
    from greenzone.output import sha256_file
    from greenzone.zone import load_zone
    from greenzone.zone.fingerprint import zone_fingerprint

    assert manifest["greenzone"] == __version__ and "run" in manifest["command"]
    zone_entry = next(i for i in manifest["inputs"] if i["what"] == "the zone file")
    assert zone_entry["sha256"] == sha256_file(zone_path)
    assert manifest["zone_fingerprint"] == zone_fingerprint(load_zone(zone_path))
    outputs = {o["name"]: o for o in manifest["outputs"]}
    assert set(outputs) == {"plan.nc", "kpis.json", "report.html", "profiles.nc", "weather.nc", "zone.yaml"}
    assert all(outputs[name]["sha256"] == sha256_file(out / name) for name in outputs)


def test_report_refuses_to_overwrite_the_run_folders_files(run_folder, tmp_path, monkeypatch, capsys):
    _, out = run_folder
    before = snapshot(out)
    for target in ("plan.nc", "zone.yaml", "kpis.json"):
        code, _, err = cli_main(monkeypatch, capsys, "report", str(out), "--out", str(out / target))
        assert code == 2 and "would overwrite" in err, err
    own = tmp_path / "notes.html"
    own.write_text("<html>mine</html>")
    code, _, err = cli_main(monkeypatch, capsys, "report", str(out), "--out", str(own))
    assert code == 2 and "not a report greenzone wrote" in err
    assert own.read_text() == "<html>mine</html>" and snapshot(out) == before
    code, _, err = cli_main(monkeypatch, capsys, "report", str(out), "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    code, _, err = cli_main(monkeypatch, capsys, "report", str(out), "--out", str(tmp_path / "r.html"))
    assert code == 0, err  # a greenzone report may be replaced


def test_schedule_and_operate_refuse_to_replace_the_run_folder(run_folder, tmp_path, monkeypatch, capsys):
    _, out = run_folder
    before = snapshot(out)
    state, forecast = tmp_path / "state.json", tmp_path / "forecast.csv"
    state.write_text("{}")
    forecast.write_text("time\n")
    for args in (
        ("schedule", str(out), "--state", str(state), "--forecast", str(forecast), "--out", str(out)),
        ("schedule", str(out), "--state", str(state), "--forecast", str(forecast), "--out", str(tmp_path)),
        ("operate", str(out), "--out", str(out)),
        ("operate", str(out), "--out", str(out / "inside")),
        ("adequacy", str(out), "--out", str(out.parent)),
    ):
        code, _, err = cli_main(monkeypatch, capsys, *args)
        assert code == 2 and ("would replace" in err or "lies inside" in err), (args, err)
    assert snapshot(out) == before and state.read_text() == "{}"


def test_every_reader_refuses_a_run_folder_edited_after_the_plan(run_folder, tmp_path, monkeypatch, capsys):
    _, out = run_folder
    edited = tmp_path / "edited"
    shutil.copytree(out, edited)
    zone = edited / "zone.yaml"
    zone.write_text(zone.read_text().replace("annual_mwh: 52000", "annual_mwh: 62000"))
    for args in (
        ("operate", str(edited), "--hours", "24"),
        ("adequacy", str(edited), "--weather-years", "1"),
    ):
        code, _, err = cli_main(monkeypatch, capsys, *args, "--out", str(tmp_path / args[0]))
        assert code == 2 and "was changed after greenzone wrote it" in err and "zone.yaml" in err, err
    code, _, err = cli_main(monkeypatch, capsys, "report", str(edited))
    assert code == 2 and "was changed after greenzone wrote it" in err


def test_staged_directory_refuses_overlap_in_the_api(tmp_path):
    zone = tmp_path / "zone.yaml"
    zone.write_text("name: x\n")
    with pytest.raises(OutputError, match="would replace the zone file"):
        with staged_directory(tmp_path, [("the zone file", zone)]):
            pass
    with pytest.raises(OutputError, match="lies inside the run folder"):
        check_output_folder(tmp_path / "sub", [("the run folder", tmp_path)])
    assert zone.read_text() == "name: x\n"


def test_a_killed_runs_leftovers_are_cleaned_at_the_next_run(tmp_path):
    out = tmp_path / "out"
    dead = tmp_path / ".out.abc123.partial"
    dead.mkdir()
    (dead / OWNER).write_text(f"{socket.gethostname()} 999999999\n")
    alive = tmp_path / ".out.def456.partial"
    alive.mkdir()
    (alive / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    ownerless = tmp_path / ".out.ghi789.partial"
    ownerless.mkdir()
    previous = tmp_path / ".out.previous"  # a kill between the two renames of the swap
    previous.mkdir()
    (previous / "plan.nc").write_text("the earlier plan")
    (previous / MANIFEST).write_text("{}")
    removed = clean_stale(out)
    assert not dead.exists() and not ownerless.exists() and alive.exists()
    assert (out / "plan.nc").read_text() == "the earlier plan" and not previous.exists()
    assert set(removed) == {dead, ownerless, previous}
    with staged_directory(out) as folder:
        (folder / "plan.nc").write_text("the new plan")
    assert (out / "plan.nc").read_text() == "the new plan" and (out / MANIFEST).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.def456.partial", "out"]


def test_a_failed_run_leaves_no_staging_folder_and_the_previous_results(tmp_path):
    out = tmp_path / "out"
    with staged_directory(out) as folder:
        (folder / "plan.nc").write_text("first")
    with pytest.raises(RuntimeError), staged_directory(out) as folder:
        (folder / "plan.nc").write_text("second")
        raise RuntimeError("solver crashed")
    assert (out / "plan.nc").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
