"""The zones a service schedules: each one a run folder ('greenzone run') registered by the admin command,
read back through :func:`greenzone.runfolder.read_run` and checked against what was registered."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from sqlalchemy import Engine, select

from greenzone.output import sha256_file
from greenzone.runfolder import RunFolder, RunFolderError, read_run
from greenzone.service import db
from greenzone.zone.fingerprint import zone_fingerprint

__all__ = ["ZoneCache", "add_zone"]

ZONE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def add_zone(engine: Engine, zone_id: str, run_dir: str | Path) -> dict:
    """Register the run folder ``run_dir`` as zone ``zone_id`` (lower-case letters, digits, - and _); the
    folder is read and checked now, and its plan's SHA-256 and zone fingerprint recorded, so that a folder
    changed later is refused rather than scheduled from."""
    if not ZONE_ID.match(zone_id):
        raise RunFolderError(f"zone id {zone_id!r}: use 1-64 lower-case letters, digits, '-' and '_'")
    run = read_run(run_dir)
    record = {
        "id": zone_id,
        "name": run.zone.name,
        "run_dir": str(Path(run_dir).resolve()),
        "zone_fingerprint": zone_fingerprint(run.zone),
        "plan_sha256": sha256_file(Path(run_dir) / "plan.nc"),
        "created_at": db.now(),
    }
    with db.transaction(engine) as conn:
        if conn.execute(select(db.zones.c.id).where(db.zones.c.id == zone_id)).first():
            conn.execute(db.zones.update().where(db.zones.c.id == zone_id).values(**record))
            action = "replace_zone"
        else:
            conn.execute(db.zones.insert().values(**record))
            action = "add_zone"
        conn.execute(
            db.audit.insert().values(
                at=db.now(), token_name="admin", zone_id=zone_id, action=action, target=record["run_dir"]
            )
        )
    return record


class ZoneCache:
    """Run folders read once per process and kept while their plan is unchanged."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._runs: dict[str, tuple[str, RunFolder]] = {}
        self._lock = threading.Lock()

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
            run = read_run(row.run_dir)
            if (
                zone_fingerprint(run.zone) != row.zone_fingerprint
                or sha256_file(Path(row.run_dir) / "plan.nc") != row.plan_sha256
            ):
                raise RunFolderError(
                    f"zone {zone_id!r}: the run folder {row.run_dir} holds another plan than the one registered; "
                    "register it again with 'greenzone serve-admin zone-add'"
                )
            self._runs[zone_id] = (row.plan_sha256, run)
            return row, run
