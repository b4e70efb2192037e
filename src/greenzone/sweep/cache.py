"""The sweep's cache: every case's result stored under a content hash of what it is, so that a rerun, an
extended sweep or a restart after a crash computes only what is missing.

The hash covers the zone as validated (:func:`greenzone.zone.fingerprint.zone_fingerprint`: every field,
defaults included, and the contents of the files it reads), the run options and greenzone's version; two
cases that resolve to the same zone share one result. A case folder ``DIR/cases/<hash>/`` holds
``case.json`` (its status, time, error, options, fingerprint), ``kpis.json`` and ``plan.nc`` (or
``pathway.nc``), a plan's ``report.html`` (and ``adequacy.json``, ``adequacy.nc`` after an adequacy study) and
its ``manifest.json``; it is filled as a temporary sibling and renamed into place
(:func:`greenzone.output.staged_directory`), so a folder that exists is complete and a killed run leaves
none half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from greenzone.sweep.case import RunOptions
from greenzone.zone.fingerprint import zone_fingerprint
from greenzone.zone.schema import Zone

log = logging.getLogger("greenzone.sweep")

CASES = "cases"
"""The folder of case results inside a sweep folder."""

CASE_FILE = "case.json"


def case_hash(zone: Zone, options: RunOptions) -> str:
    """The content hash of a case (24 hex characters of a SHA-256)."""
    from greenzone import __version__

    key = {"zone": zone_fingerprint(zone), "run": options.record(), "greenzone": __version__}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]


def case_folder(out: Path, digest: str) -> Path:
    """Where the case with hash ``digest`` lies in sweep folder ``out``."""
    return Path(out) / CASES / digest


def cached(out: Path, digest: str) -> dict[str, Any] | None:
    """The stored record of a case (case.json, with its key figures under ``kpis`` when done), or None when
    the case has not been stored or its files cannot be read (it is then computed again)."""
    folder = case_folder(out, digest)
    if not (folder / CASE_FILE).is_file():
        return None
    try:
        record = json.loads((folder / CASE_FILE).read_text(encoding="utf-8"))
        if record.get("status") == "done":
            record["kpis"] = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("sweep: the stored case %s cannot be read (%s); it is computed again", folder, exc)
        return None
    return record if isinstance(record, dict) else None


def store(
    out: Path, digest: str, outcome: dict[str, Any], *, options: RunOptions, zone: Zone, params: dict
) -> dict[str, Any]:
    """Write a case's outcome (:func:`greenzone.sweep.case.run_case`) into its folder, atomically; returns its
    record as :func:`cached` reads it."""
    from greenzone.output import atomic_path, staged_directory, write_text

    record = {
        "hash": digest,
        "status": outcome["status"],
        "time_s": float(outcome["time_s"]),
        "error": outcome.get("error", ""),
        "error_type": outcome.get("error_type", ""),
        "parameters": params,
        "run": options.record(),
        "zone_fingerprint": zone_fingerprint(zone),
        "zone_name": zone.name,
        "files": sorted(outcome.get("files", {})),
    }
    folder = case_folder(out, digest)
    with staged_directory(folder, manifest={"command": ["greenzone", "sweep"], "case": digest}) as staging:
        if outcome["status"] == "done":
            write_text(json.dumps(outcome["kpis"], indent=2) + "\n", staging / "kpis.json")
            with atomic_path(staging / options.result_file) as tmp:
                tmp.write_bytes(outcome["netcdf"])
            for name, data in outcome.get("files", {}).items():
                with atomic_path(staging / name) as tmp:
                    tmp.write_bytes(data)
        write_text(json.dumps(record, indent=2, default=str) + "\n", staging / CASE_FILE)
    if outcome["status"] == "done":
        record["kpis"] = outcome["kpis"]
    return record


def measured_times(out: Path) -> list[float]:
    """The time [s] of every case computed into sweep folder ``out`` (for --dry-run's estimate)."""
    times = []
    for path in sorted((Path(out) / CASES).glob(f"*/{CASE_FILE}")):
        try:
            times.append(float(json.loads(path.read_text(encoding="utf-8"))["time_s"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return times
