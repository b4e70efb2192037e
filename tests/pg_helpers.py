"""A PostgreSQL server of the tests' own: initdb in a temporary folder, listening on 127.0.0.1 on a free port,
run as the ``postgres`` user (PostgreSQL refuses to run as root); skipped when the binaries are absent."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from service_helpers import free_port

BIN_DIRS = ("/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True), "/usr/bin")
"""Where PostgreSQL's programs are looked for (Debian's package puts them in /usr/lib/postgresql/N/bin)."""


def _binary(name: str) -> str | None:
    for folder in BIN_DIRS:
        if os.access(Path(folder) / name, os.X_OK):
            return str(Path(folder) / name)
    return shutil.which(name)


class Postgres:
    """``initdb`` + ``pg_ctl start``; ``url(db)`` a SQLAlchemy URL of a new database ``db``."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not (self.initdb and self.pg_ctl and _binary("postgres")):
            pytest.skip("PostgreSQL is not installed (initdb, pg_ctl, postgres): 'make test' installs it")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            pytest.skip("the PostgreSQL driver psycopg is not installed: pip install -e '.[dev]'")
        as_root = os.geteuid() == 0
        if as_root and shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: PostgreSQL refuses to run as root")
        self.prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        self.folder = Path(tempfile.mkdtemp(prefix="greenzone-pg-"))
        if as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.data = self.folder / "data"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise AssertionError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")

    def start(self) -> Postgres:
        self._run(
            self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )
        return self

    def url(self, database: str) -> str:
        """A new, empty database ``database``, as a SQLAlchemy URL."""
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
                ) as c:
                    c.execute(f'CREATE DATABASE "{database}"')
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
