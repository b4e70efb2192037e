"""The zones a service schedules: each one a run folder ('greenzone run'), registered by the admin command
from a folder on the server or uploaded over HTTP as an archive (kept in the database and unpacked into a
private folder of the process), read back through :func:`greenzone.runfolder.read_run` and checked against
what was registered."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine, select

from greenzone.output import sha256_file
from greenzone.runfolder import RunFolder, RunFolderError, read_run
from greenzone.service import db
from greenzone.service.upload import unpack_run_archive
from greenzone.zone.fingerprint import zone_fingerprint

__all__ = ["ZoneCache", "add_zone", "upload_zone"]

ZONE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_zone_id(zone_id: str) -> None:
    """Refuse a zone id other than 1-64 lower-case letters, digits, - and _ (RunFolderError)."""
    if not ZONE_ID.match(zone_id):
        raise RunFolderError(f"zone id {zone_id!r}: use 1-64 lower-case letters, digits, '-' and '_'")


def _record(zone_id: str, run: RunFolder, run_dir: str) -> dict:
    return {
        "id": zone_id,
        "name": run.zone.name,
        "run_dir": run_dir,
        "zone_fingerprint": zone_fingerprint(run.zone),
        "plan_sha256": sha256_file(run.path / "plan.nc"),
        "created_at": db.now(),
    }


def _store(conn, record: dict, who: str) -> str:
    """Insert or replace the zone row and audit it (in the caller's transaction); the action audited."""
    zone_id = record["id"]
    if conn.execute(select(db.zones.c.id).where(db.zones.c.id == zone_id)).first():
        conn.execute(db.zones.update().where(db.zones.c.id == zone_id).values(**record))
        action = "replace_zone"
    else:
        conn.execute(db.zones.insert().values(**record))
        action = "add_zone"
    conn.execute(
        db.audit.insert().values(
            at=db.now(), token_name=who, zone_id=zone_id, action=action, target=record["run_dir"]
        )
    )
    return action


def add_zone(engine: Engine, zone_id: str, run_dir: str | Path) -> dict:
    """Register the run folder ``run_dir`` as zone ``zone_id`` (lower-case letters, digits, - and _); the
    folder is read and checked now, and its plan's SHA-256 and zone fingerprint recorded, so that a folder
    changed later is refused rather than scheduled from."""
    check_zone_id(zone_id)
    run = read_run(run_dir)
    record = _record(zone_id, run, str(Path(run_dir).resolve()))
    with db.transaction(engine) as conn:
        conn.execute(db.zone_archives.delete().where(db.zone_archives.c.zone_id == zone_id))
        _store(conn, record, "admin")
    return record


def upload_zone(engine: Engine, zone_id: str, data: bytes, caller_name: str, caller_id: int) -> dict:
    """Register the archived run folder ``data`` (a tar or zip, :mod:`greenzone.service.upload`) as zone
    ``zone_id``: unpacked safely into a temporary folder, read and checked by ``read_run`` as the CLI reads a
    folder, then the archive, the zone row, the uploader's admin grant on a new zone and the audit entry are
    stored in one transaction. Returns the zone's record and whether it was created."""
    check_zone_id(zone_id)
    with tempfile.TemporaryDirectory(prefix="greenzone-upload-") as tmp:
        run = read_run(unpack_run_archive(data, Path(tmp)))
        digest = hashlib.sha256(data).hexdigest()
        record = _record(zone_id, run, f"db:{digest}")
    archive = {"sha256": digest, "archive": data, "created_at": db.now()}
    with db.transaction(engine) as conn:
        action = _store(conn, record, caller_name)
        conn.execute(db.zone_archives.delete().where(db.zone_archives.c.zone_id == zone_id))
        conn.execute(db.zone_archives.insert().values(zone_id=zone_id, **archive))
        if action == "add_zone":
            conn.execute(db.grants.insert().values(token_id=caller_id, zone_id=zone_id, role="admin"))
    return {**record, "created": action == "add_zone"}


class ZoneCache:
    """Run folders read once per process and kept while their plan is unchanged."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._runs: dict[str, tuple[str, RunFolder]] = {}
        self._lock = threading.Lock()
        self._unpacked: tempfile.TemporaryDirectory | None = None

    def _folder(self, row) -> Path:
        """The zone's run folder: its path on the server, or its uploaded archive unpacked (once per plan)."""
        if not row.run_dir.startswith("db:"):
            return Path(row.run_dir)
        if self._unpacked is None:
            self._unpacked = tempfile.TemporaryDirectory(prefix="greenzone-zones-")
        dest = Path(self._unpacked.name) / row.id / row.run_dir[3:]
        if not dest.is_dir():
            with self.engine.connect() as conn:
                data = conn.execute(
                    select(db.zone_archives.c.archive).where(db.zone_archives.c.zone_id == row.id)
                ).scalar_one()
            partial = dest.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            unpack_run_archive(data, partial).rename(dest)
            shutil.rmtree(partial, ignore_errors=True)
        return dest

    def record(self, zone_id: str):
        with self.engine.connect() as conn:
            return conn.execute(select(db.zones).where(db.zones.c.id == zone_id)).first()

    def run(self, zone_id: str) -> tuple[object, RunFolder]:
        """The zone's database row and its run folder, read and checked (RunFolderError when it changed)."""
        row = self.record(zone_id)
        if row is None:
            raise KeyError(zone_id)
        with self._lock:
            cached = self._runs.get(zone_id)
            if cached is not None and cached[0] == row.plan_sha256:
                return row, cached[1]
            folder = self._folder(row)
            run = read_run(folder)
            if (
                zone_fingerprint(run.zone) != row.zone_fingerprint
                or sha256_file(folder / "plan.nc") != row.plan_sha256
            ):
                raise RunFolderError(
                    f"zone {zone_id!r}: the run folder {row.run_dir} holds another plan than the one registered; "
                    "register it again with 'greenzone serve-admin zone-add'"
                )
            self._runs[zone_id] = (row.plan_sha256, run)
            return row, run
