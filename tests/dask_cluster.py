"""A real Dask cluster for tests: a ``dask scheduler`` process and ``dask worker`` processes, each started
here as its own program on loopback (as an operator would start them on machines of their own), not a
LocalCluster inside the test process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def _dask(*args: str, log: Path) -> subprocess.Popen:
    """``dask ARGS`` with this interpreter (its scheduler and worker commands), output to ``log``."""
    handle = log.open("ab")
    command = [sys.executable, "-c", "from dask.__main__ import main; main()", *args]
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ})


@contextlib.contextmanager
def launched_cluster(folder: Path, workers: int = 2, timeout_s: float = 120) -> Iterator[str]:
    """Start a scheduler and ``workers`` single-threaded workers (each under its nanny, which restarts a
    killed worker); yields the scheduler's address; stops every process on leaving."""
    from dask.distributed import Client

    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    log = folder / "cluster.log"
    processes = [
        _dask(
            "scheduler",
            "--host", "127.0.0.1",
            "--port", "0",
            "--dashboard-address", "127.0.0.1:0",
            "--scheduler-file", str(scheduler_file),
            log=log,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + timeout_s
        while not scheduler_file.is_file():
            if processes[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dask scheduler did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        for _ in range(workers):
            processes.append(
                _dask(
                    "worker",
                    "--scheduler-file", str(scheduler_file),
                    "--host", "127.0.0.1",
                    "--nthreads", "1",
                    "--nworkers", "1",
                    "--dashboard-address", "127.0.0.1:0",
                    "--local-directory", str(folder / "workers"),
                    log=log,
                )
            )  # fmt: skip
        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=timeout_s)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
