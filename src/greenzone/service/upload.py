"""Run folders sent over HTTP: a tar (optionally gzip/bzip2/xz) or zip of the folder ``greenzone run`` wrote,
unpacked safely into a folder of the server's own choosing.

Nothing in an archive decides where anything is written: a member with an absolute name, a ``..`` part, a
backslash or a drive letter is refused, and so is anything but plain files and folders (symbolic and hard
links, devices, FIFOs). At most :data:`MAX_MEMBERS` members and :data:`MAX_UNPACKED_BYTES` unpacked in all;
each member is read with a cap, so a member that claims less than it holds (a zip bomb) is stopped at the cap.
The folder is then read by :func:`greenzone.runfolder.read_run` as every command reads one.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from greenzone.errors import GreenzoneError
from greenzone.runfolder import RUN_FILES
from greenzone.safe_read import MIB

__all__ = ["MAX_MEMBERS", "MAX_UNPACKED_BYTES", "UploadError", "UploadTooLarge", "unpack_run_archive"]

MAX_MEMBERS = 64
"""The most files and folders an uploaded run folder may hold (a run folder holds about ten)."""
MAX_UNPACKED_BYTES = 512 * MIB
"""The most bytes an uploaded run folder may unpack to [bytes]."""


class UploadError(GreenzoneError):
    """An uploaded run folder is not an archive greenzone reads, or holds something it refuses (HTTP 422)."""

    exit_code = 2


class UploadTooLarge(UploadError):
    """An uploaded run folder unpacks to more than the limit (HTTP 413)."""


def _too_large() -> UploadTooLarge:
    return UploadTooLarge(
        f"run folder archive: it unpacks to more than {MAX_UNPACKED_BYTES // MIB} MiB; "
        "send only the folder 'greenzone run' wrote"
    )


def _fail(message: str) -> UploadError:
    return UploadError(f"run folder archive: {message}")


def _safe_name(name: str) -> PurePosixPath:
    """The member's relative path, refused when it could point outside the folder."""
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
    ):
        raise _fail(f"member {name!r} has an absolute or unsafe name; archive the folder with relative names")
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts):
        raise _fail(f"member {name!r} names a parent folder ('..'); archive the folder with relative names")
    return PurePosixPath(*[p for p in path.parts if p != "."])


def _members(data: bytes):
    """(relative path, is folder, declared size, opener) of every member of a tar or zip archive."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        archive = zipfile.ZipFile(io.BytesIO(data))
        for info in archive.infolist():
            mode = (info.external_attr >> 16) & 0o170000
            if mode not in (0, 0o100000, 0o040000):
                raise _fail(
                    f"member {info.filename!r} is not a plain file or folder (a link or device); remove it"
                )
            yield info.filename, info.is_dir(), info.file_size, lambda info=info: archive.open(info)
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _fail(f"not a tar or zip archive ({exc}); send the folder as .tar, .tar.gz or .zip") from None
    with archive:
        try:
            members = archive.getmembers()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise _fail(f"the tar archive is damaged ({exc}); archive the folder again") from None
        for member in members:
            if not (member.isfile() or member.isdir()):
                raise _fail(
                    f"member {member.name!r} is not a plain file or folder (a link or device); remove it"
                )
            yield member.name, member.isdir(), member.size, lambda m=member: archive.extractfile(m)


def unpack_run_archive(data: bytes, dest: Path) -> Path:
    """Unpack the archived run folder ``data`` into the empty folder ``dest``; the folder that holds the run's
    files (``dest`` itself, or its one top-level folder). UploadError (UploadTooLarge) naming what is wrong."""
    dest = Path(dest)
    total, count = 0, 0
    for name, is_dir, declared, opener in _members(data):
        count += 1
        if count > MAX_MEMBERS:
            raise _fail(f"more than {MAX_MEMBERS} members; send only the folder 'greenzone run' wrote")
        relative = _safe_name(name)
        if not relative.parts:
            continue
        target = dest.joinpath(*relative.parts)
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        if total + declared > MAX_UNPACKED_BYTES:
            raise _too_large()
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise _fail(f"member {name!r} appears twice; archive the folder again")
        try:
            with opener() as source, open(target, "xb") as out:
                while chunk := source.read(MIB):
                    total += len(chunk)
                    if total > MAX_UNPACKED_BYTES:
                        raise _too_large()
                    out.write(chunk)
        # zipfile raises NotImplementedError for a compression method it does not read (e.g. deflate64)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, NotImplementedError) as exc:
            raise _fail(f"member {name!r} cannot be read ({exc}); archive the folder again") from None
    if count == 0:
        raise _fail("it is empty; send the folder 'greenzone run' wrote")
    if not all((dest / f).is_file() for f in RUN_FILES):
        tops = [p for p in dest.iterdir()]
        if len(tops) == 1 and tops[0].is_dir():
            return tops[0]
    return dest
