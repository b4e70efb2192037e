"""Where and how results are written, so that no run ever loses a user's file or leaves a half-written one.

The output policy, the same for every command and API function that writes:

- An output folder that is, holds, or lies inside an input (the zone file, the files it reads, a run folder
  being read) is refused with a message naming both: replacing it would delete the input.
- An existing file where a folder is meant, or a folder where a file is meant, is refused.
- Only folders greenzone wrote (marked by their ``manifest.json``) are ever replaced; the previous one is
  kept until the new one is complete. A folder holding anything else is refused, and so is a sweep folder
  (its manifest says ``"kind": "sweep"``): it grows run by run and replacing it would lose its cases.
- Locations on the kernel's special file systems (``/proc``, ``/sys``, ``/dev``) are refused.
- Stale staging folders of killed runs (``.NAME.*.partial``) are removed at the next run into the same place;
  a previous folder left beside a missing one by a kill mid-swap (``.NAME.previous``) is put back.

Files are written to a temporary sibling and renamed into place; a run folder is filled as a temporary
sibling folder and swapped in by rename at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import xarray as xr

from greenzone.errors import OutputError

MANIFEST = "manifest.json"
"""The file that marks a folder greenzone wrote: version, command, inputs and outputs with their hashes."""

OWNER = ".greenzone-staging"
"""The file inside a staging folder naming the process that fills it (``host pid``)."""

SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Kernel file systems that never hold results."""

_RESULT_NAMES = frozenset(
    {
        "zone.yaml",
        "weather.nc",
        "profiles.nc",
        "plan.nc",
        "kpis.json",
        "report.html",
        "adequacy.json",
        "adequacy.nc",
        "operation.nc",
        "schedule.nc",
        "schedule.csv",
        "network.nc",
    }
)
"""What greenzone writes into folders: a folder of only these, with a netCDF among them, is one greenzone
wrote before folders carried a manifest."""

Inputs = Iterable[tuple[str, "str | Path | None"]]
"""Inputs as (what it is, path) pairs, e.g. ``("the zone file", "zone.yaml")``; a None path is skipped."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(path: str | Path, *, directory: bool = False) -> None:
    """Give a temporary file or folder the permissions a plain open() or mkdir() would have (mkstemp and
    mkdtemp make them private to the owner, which would hide a shared report from colleagues)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def sha256_file(path: str | Path) -> str:
    """SHA-256 (hex) of a file's contents, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- checks


def _special_root(target: Path) -> Path | None:
    for root in SPECIAL_ROOTS:
        if target == root or root in target.parents:
            return root
    return None


def _nearest_existing(target: Path) -> Path:
    for candidate in (target, *target.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _check_writable_place(out: Path, target: Path, option: str) -> None:
    """Refuse special file systems and places under a file or without write permission."""
    root = _special_root(target)
    if root is not None and str(target) != os.devnull:
        raise OutputError(
            f"{option} {out}: {root} is a kernel file system, not a place for results; write to a folder of yours."
        )
    existing = _nearest_existing(target.parent)
    if not existing.is_dir():
        raise OutputError(
            f"{option} {out}: {existing} is a file, so nothing can be written under it; give another path."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{option} {out}: no permission to write in {existing}; give a folder you can write to."
        )


def _resolved_inputs(inputs: Inputs) -> list[tuple[str, Path]]:
    return [(label, Path(path).resolve()) for label, path in inputs if path is not None and str(path)]


def written_by_greenzone(folder: Path) -> bool:
    """Whether ``folder`` is one greenzone wrote: it holds a manifest, or (from before manifests) only result
    files, among them a netCDF."""
    if (folder / MANIFEST).is_file():
        return True
    names = {p.name for p in folder.iterdir()}
    return bool(names) and names <= _RESULT_NAMES and any(n.endswith(".nc") for n in names)


def _is_sweep_folder(folder: Path) -> bool:
    """Whether ``folder`` is a sweep's (its manifest says ``"kind": "sweep"``): it grows run by run and is
    never replaced."""
    try:
        with open(folder / MANIFEST, "rb") as handle:
            manifest = json.loads(handle.read(1 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("kind") == "sweep"


def check_output_folder(out: str | Path, inputs: Inputs = (), *, option: str = "--out") -> Path:
    """Refuse an output folder that would destroy an input or a user's files (the output policy above).

    Parameters
    ----------
    out : the folder to write (replaced whole when the run completes).
    inputs : (what it is, path) of everything the run reads.
    option : how the caller names the location in messages (``--out``).

    Raises
    ------
    OutputError
        naming the location, the input it would destroy, and what to do instead.
    """
    out = Path(out)
    target = out.resolve()
    _check_writable_place(out, target, option)
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"{option} {out} is an existing file, not a folder: results are a folder; give a new folder, "
            "or one greenzone wrote."
        )
    for label, source in _resolved_inputs(inputs):
        if source == target or target in source.parents:
            raise OutputError(
                f"{option} {out} would replace {label} {source}, which this command reads: the output folder "
                f"is replaced whole. Write to another folder, e.g. {target.parent / (target.name + '-results')}."
            )
        if source.is_dir() and source in target.parents:
            raise OutputError(
                f"{option} {out} lies inside {label} {source}, which this command reads; write to a folder "
                f"outside it, e.g. {source.parent / (source.name + '-results')}."
            )
    if target.is_dir() and _is_sweep_folder(target):
        raise OutputError(
            f"{option} {out} is a sweep folder (greenzone sweep): replacing it would lose every case computed "
            "there and its catalog. Give another folder, or remove that one first."
        )
    if target.is_dir() and any(target.iterdir()) and not written_by_greenzone(target):
        raise OutputError(
            f"{option} {out} holds files greenzone did not write (it has no {MANIFEST}); the output folder is "
            "replaced whole, so they would be lost. Give a new or empty folder, or one greenzone wrote."
        )
    return out


def _head(path: Path, size: int, option: str) -> bytes:
    """The first ``size`` bytes of an existing file that an output would replace or append to."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot read it ({exc.strerror or exc}).") from None


def _is_greenzone_report(path: Path, option: str) -> bool:
    return b'<meta name="generator" content="greenzone' in _head(path, 4096, option)


def check_output_file(out: str | Path, inputs: Inputs = (), *, option: str = "--out") -> Path:
    """Refuse an output file that is an input, a folder, or an existing file that is not a greenzone report.

    Raises
    ------
    OutputError
        naming the location and what to do instead.
    """
    out = Path(out)
    target = out.resolve()
    _check_writable_place(out, target, option)
    if target.is_dir():
        raise OutputError(f"{option} {out} is a folder; give the path of a file, e.g. {out / 'report.html'}.")
    for label, source in _resolved_inputs(inputs):
        if source == target or source in target.parents:
            raise OutputError(
                f"{option} {out} would overwrite {label} {source}, which this command reads; give another "
                "file name, e.g. report.html."
            )
    if target.exists() and not _is_greenzone_report(target, option):
        raise OutputError(
            f"{option} {out} exists and is not a report greenzone wrote; it would be overwritten. Give a new "
            "file name, or remove the file first."
        )
    return out


# ---------------------------------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; once the caller has written it, it replaces ``path`` by
    rename (with ordinary permissions). On any error the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}; give a folder you can write to."
        ) from None
    os.close(fd)
    try:
        yield Path(tmp)
        publish(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` through a temporary file in the same folder, then rename."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp)
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write text to ``path`` through a temporary file in the same folder, then rename."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _owner_alive(staging: Path) -> bool:
    """Whether the process named in a staging folder's owner file still runs (on this host)."""
    try:
        host, pid = (staging / OWNER).read_text(encoding="utf-8").split()
        pid_number = int(pid)
    except (OSError, ValueError):
        return False  # a folder from before owner files, or one whose owner died before writing it
    if host != socket.gethostname():
        return True  # another machine's run: not ours to judge
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: str | Path) -> list[Path]:
    """Remove the staging folders of killed runs beside ``out`` and put back a previous ``out`` that a kill
    mid-swap left as ``.NAME.previous``. Returns what was removed or restored."""
    out = Path(out)
    done: list[Path] = []
    if not out.parent.is_dir():
        return done
    for staging in out.parent.glob(f".{out.name}.*.partial"):
        if staging.is_dir() and not _owner_alive(staging):
            shutil.rmtree(staging, ignore_errors=True)
            done.append(staging)
    backup = out.with_name(f".{out.name}.previous")
    if backup.is_dir():
        if out.exists():
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(backup, out)
        done.append(backup)
    return done


def _manifest(staging: Path, record: dict[str, Any]) -> dict[str, Any]:
    from greenzone import __version__

    outputs = [
        {"name": p.relative_to(staging).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(staging.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, OWNER)
    ]
    return {
        "greenzone": __version__,
        "written_utc": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
        **record,
        "outputs": outputs,
    }


@contextlib.contextmanager
def staged_directory(
    out: str | Path, inputs: Inputs = (), *, manifest: dict[str, Any] | None = None, option: str = "--out"
) -> Iterator[Path]:
    """Yield a temporary sibling folder of ``out``; on success it replaces ``out``, on failure it vanishes.

    ``out`` is checked first (:func:`check_output_folder` against ``inputs``) and stale staging folders beside
    it are cleaned up. On success the folder gets its ``manifest.json``: greenzone's version, the time, the
    entries of ``manifest`` (the caller's record: command, inputs, zone fingerprint; it may be filled while
    the folder is written) and every output file with its size and SHA-256. The previous ``out`` is kept
    until the new folder is complete, then removed.
    """
    out = Path(out)
    check_output_folder(out, inputs, option=option)
    clean_stale(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"{option} {out}: cannot create a folder there ({exc.strerror or exc}).") from None
    publish(staging, directory=True)
    (staging / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
    record = manifest if manifest is not None else {}
    try:
        yield staging
        (staging / OWNER).unlink()
        write_text(json.dumps(_manifest(staging, record), indent=2) + "\n", staging / MANIFEST)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    backup = None
    if out.exists():
        backup = out.with_name(f".{out.name}.previous")
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(out, backup)
    os.replace(staging, out)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


LOG_LINE = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")
"""How a line of greenzone's log starts; only such a file (or an empty one) is appended to."""


def check_log_file(path: str | Path, *, option: str = "--log-file") -> Path:
    """Refuse a log file that is a folder, lies on a kernel file system, or is an existing file that is not a
    greenzone log (the log is appended, so a zone file or a result would be spoiled). ``/dev/null`` is fine.

    Raises
    ------
    OutputError
        naming the location and what to do instead.
    """
    path = Path(path)
    target = path.resolve()
    if str(target) == os.devnull:
        return path
    _check_writable_place(path, target, option)
    if target.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file, e.g. {path / 'greenzone.log'}.")
    if target.exists():
        head = _head(target, 64, option)
        if head and not LOG_LINE.match(head):
            raise OutputError(
                f"{option} {path} exists and is not a greenzone log; the log would be appended to it. Give "
                "another file name."
            )
    return path
