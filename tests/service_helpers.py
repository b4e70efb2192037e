"""The service as its users meet it: a real ``greenzone serve`` process (uvicorn) on a free loopback port."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``greenzone serve --db DB`` in a child process; ``url`` once it answers /health. ``database``: a
    SQLAlchemy URL served instead of the SQLite file ``db`` (whose name then only names the log)."""

    def __init__(self, db: Path, *args: str, database: str | None = None) -> None:
        self.db, self.args, self.database = db, args, database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        command = [
            sys.executable,
            "-m",
            "greenzone.cli",
            "--quiet",
            "serve",
            "--db",
            self.database or str(self.db),
        ]
        command += ["--port", str(self.port), *self.args]
        self.log = open(self.db.with_suffix(f".{self.port}.log"), "w")  # noqa: SIM115
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"greenzone serve exited: {self.db.with_suffix(f'.{self.port}.log').read_text()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError("greenzone serve did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def client(server: Server, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def make_run(folder: Path, hours: int = 48) -> Path:
    """'greenzone run' of the two-node report zone over ``hours`` hours (a run folder with its manifest)."""
    from test_report import write_two_node_zone

    def with_battery(data: dict) -> None:  # a store in service, so that the state matters
        data["nodes"][0]["technologies"]["battery"] = {"existing_mw": 5, "existing_energy_mwh": 20}

    zone_path = write_two_node_zone(folder / "zone", with_battery)
    out = folder / "run"
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(
            sys,
            "argv",
            ["greenzone", "--quiet", "run", str(zone_path), "--hours", str(hours), "--out", str(out)],
        )
        from greenzone import cli

        try:
            cli.main()
        except SystemExit as exit_:
            assert not exit_.code
    finally:
        mp.undo()
    return out


ROLES = (
    ("viewer", "two", "viewer"),
    ("operator", "two", "operator"),
    ("admin", "two", "admin"),
    ("stranger", "other", "admin"),
    ("revoked", "two", "admin"),
)
"""Each test token: its name, the zone it holds a role on, the role ('revoked' is revoked after)."""


def seed_service(engine, run: Path) -> dict[str, str | None]:
    """Zones 'two' and 'other' (the same run folder) and a token per entry of :data:`ROLES` in a service's
    database; the tokens by name, with 'unknown' (never issued) and 'none' (no token)."""
    from greenzone.service import auth, zones

    zones.add_zone(engine, "two", run)
    zones.add_zone(engine, "other", run)
    tokens: dict[str, str | None] = {}
    for name, zone, role in ROLES:
        tokens[name] = auth.create_token(engine, name)
        auth.grant(engine, name, zone, role)
    auth.revoke(engine, "revoked")
    tokens["unknown"] = "gz_" + "x" * 43
    tokens["none"] = None
    return tokens


def forecast_text(run_dir: Path, hours: int = 24, start: str = "2027-03-01", scale: float = 1.0) -> str:
    """A forecast CSV for the run's zone: every column ``greenzone schedule`` needs (synthetic values)."""
    from greenzone.runfolder import read_run

    run = read_run(run_dir)
    t = np.arange(hours)
    columns = {"time": pd.date_range(start, periods=hours, freq="h").strftime("%Y-%m-%d %H:%M")}
    for j, node in enumerate(run.zone.nodes):
        columns[f"demand:{node.id} [MW]"] = scale * (5 + 2 * np.sin(t / 5) + j)
    columns["cf:jabrayil/solar_fixed [-]"] = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None)
    if float(run.plan["capacity"].sel(node="kalbajar", technology="wind_onshore")) > 0:
        columns["cf:kalbajar/wind_onshore [-]"] = np.clip(0.3 + 0.1 * np.cos(t / 7) * scale, 0, 1)
    return pd.DataFrame(columns).to_csv(index=False)


def run_archive(run_dir: Path, top: str = "run") -> bytes:
    """The run folder as a .tar.gz holding the folder ``top`` (as ``tar -czf run.tgz run`` makes it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(run_dir, arcname=top)
    return buffer.getvalue()
