"""Writing results so that an interrupted run never leaves a half-written file or folder.

Files are written to a temporary sibling and renamed into place; a run folder is filled as a temporary
sibling folder and swapped in by rename at the end, so the previous results survive until the new ones are
complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import xarray as xr


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(path: str | Path, *, directory: bool = False) -> None:
    """Give a temporary file or folder the permissions a plain open() or mkdir() would have (mkstemp and
    mkdtemp make them private to the owner, which would hide a shared report from colleagues)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; once the caller has written it, it replaces ``path`` by
    rename (with ordinary permissions). On any error the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


@contextlib.contextmanager
def staged_directory(out: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling folder of ``out``; on success it replaces ``out``, on failure it vanishes.

    The previous ``out`` is kept until the new folder is complete, then removed.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    publish(staging, directory=True)
    try:
        yield staging
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
