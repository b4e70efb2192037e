"""Run folders: the record each one carries (its manifest) and reading one back, checked the same way by every
command that reads it.

A run folder (``greenzone run --out DIR``) holds ``zone.yaml`` (the zone as given), ``profiles.nc``,
``plan.nc``, ``kpis.json``, ``report.html`` and ``manifest.json``: greenzone's version, the command, every
input with its SHA-256, the zone's fingerprint and every output with its SHA-256 (written by
:func:`greenzone.output.staged_directory`). Reading a folder checks that the files the manifest lists are
there unchanged and that the zone in it is the zone the plan was made for.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from greenzone.errors import GreenzoneError, ZoneError
from greenzone.output import MANIFEST, Inputs, sha256_file
from greenzone.zone import Zone, load_zone
from greenzone.zone.fingerprint import referenced_files, require_same_zone, zone_fingerprint

RUN_FILES = ("zone.yaml", "profiles.nc", "plan.nc")
"""What a folder needs to be read as a run folder."""


class RunFolderError(GreenzoneError):
    """A run folder is missing, incomplete, edited since it was written, or not greenzone's."""

    exit_code = 2


def zone_inputs(zone_file: str | Path, zone: Zone) -> list[tuple[str, Path]]:
    """The zone file and every file it reads, as (what it is, path) pairs for the output policy."""
    pairs = [("the zone file", Path(zone_file))]
    pairs += [(f"a file the zone {Path(zone_file).name} reads", path) for path in referenced_files(zone)]
    return pairs


def manifest_record(
    inputs: Inputs, *, zone: Zone | None = None, command: list[str] | None = None
) -> dict[str, Any]:
    """What a folder's manifest says of how it was made: the command, its inputs with their SHA-256 (files)
    and the zone's fingerprint. Completed with the outputs by ``staged_directory``."""
    listed = []
    for label, path in inputs:
        if path is None:
            continue
        path = Path(path)
        entry: dict[str, Any] = {"what": label, "path": str(path.resolve())}
        if path.is_file():
            entry["sha256"] = sha256_file(path)
        listed.append(entry)
    record: dict[str, Any] = {"command": list(sys.argv if command is None else command), "inputs": listed}
    if zone is not None:
        record["zone_fingerprint"] = zone_fingerprint(zone)
    return record


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The folder's manifest, None for a folder from before manifests; RunFolderError when unreadable."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(
            f"{path} cannot be read ({exc}); run the command that wrote the folder again."
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), list):
        raise RunFolderError(
            f"{path} is not a greenzone manifest; run the command that wrote the folder again."
        )
    return manifest


def check_unchanged(folder: str | Path, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Refuse a folder whose files ``names`` differ from what its manifest recorded (edited or replaced); its
    manifest, or None for a folder from before manifests (nothing to check)."""
    folder = Path(folder)
    manifest = read_manifest(folder) if folder.is_dir() else None
    if manifest is None:
        return None
    recorded = {entry.get("name"): entry for entry in manifest["outputs"] if isinstance(entry, dict)}
    for name in names:
        entry = recorded.get(name)
        if entry is None:
            continue
        path = folder / name
        if not path.is_file():
            raise RunFolderError(
                f"{path} is missing, but {folder / MANIFEST} lists it; run 'greenzone run' again."
            )
        if sha256_file(path) != entry.get("sha256"):
            raise RunFolderError(
                f"{path} was changed after greenzone wrote it (its SHA-256 differs from {folder / MANIFEST}), so "
                "it no longer matches the plan beside it. Restore it, or make the plan again with 'greenzone run' "
                "(or give the edited zone with --zone where the command offers it)."
            )
    return manifest


@dataclass(frozen=True)
class RunFolder:
    """A run folder read back: its zone (and where it came from), profiles, plan and manifest."""

    path: Path
    zone: Zone
    zone_file: Path
    profiles: xr.Dataset
    plan: xr.Dataset
    manifest: dict[str, Any] | None = field(default=None)

    def inputs(self) -> list[tuple[str, Path]]:
        """What a command reading this folder reads, for the output policy."""
        return [("the run folder", self.path), *zone_inputs(self.zone_file, self.zone)]


NETCDF_LOCK = threading.Lock()
"""netCDF4/HDF5 is not safe to call from several threads at once (a test that read run folders from six
threads crashed the process about one run in three): every run-folder read in a process takes this lock, so
the service's request threads, its job worker and an upload may read run folders side by side."""


def _open(path: Path) -> xr.Dataset:
    try:
        with NETCDF_LOCK, xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise RunFolderError(
            f"{path} cannot be read ({exc}); run 'greenzone run' again to write it."
        ) from None


def read_run(folder: str | Path, *, zone_file: str | Path | None = None) -> RunFolder:
    """Read a folder 'greenzone run' wrote, checked: its files present, unchanged since written (manifest),
    and its zone (or ``zone_file``, a zone given instead) the one the plan was made for (fingerprint).

    Raises
    ------
    RunFolderError, ZoneError
        naming the file and what to do.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(
            f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}; give the folder a 'greenzone run' wrote (it holds "
            + ", ".join(RUN_FILES)
            + ")."
        )
    for name in RUN_FILES:
        if not (folder / name).is_file():
            raise RunFolderError(
                f"{folder / name} not found: give the folder a 'greenzone run' wrote "
                "(it holds plan.nc, profiles.nc and zone.yaml)"
            )
    manifest = check_unchanged(
        folder, ("plan.nc", "profiles.nc", "kpis.json") + (() if zone_file else ("zone.yaml",))
    )
    zone_path = Path(zone_file) if zone_file is not None else folder / "zone.yaml"
    zone = load_zone(zone_path)
    profiles, planned = _open(folder / "profiles.nc"), _open(folder / "plan.nc")
    recorded = str(planned.attrs.get("zone_fingerprint", ""))
    try:
        require_same_zone(zone, recorded, results=str(folder / "plan.nc"), zone_file=str(zone_path))
    except ZoneError as exc:
        raise RunFolderError(str(exc)) from None
    return RunFolder(folder, zone, zone_path, profiles, planned, manifest)
