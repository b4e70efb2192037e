"""Running a sweep on Dask: every case the cache lacks becomes one task, and every result is stored as it
arrives.

- **Cluster**: a :class:`distributed.LocalCluster` by default (one single-threaded worker process per core,
  each case solved with one HiGHS thread, on loopback; :mod:`greenzone.parallel`), or an existing scheduler by its
  address (``dask scheduler`` / ``dask worker``, dask-jobqueue, Kubernetes: workers must read the files the
  zone names at the same paths; they never write the sweep folder).
- **Cache**: a case whose hash is stored is not computed again (:mod:`greenzone.sweep.cache`); cases that
  resolve to the same zone are one task.
- **Failures**: a case greenzone refuses (infeasible, solver) comes back as failed with its message and is
  stored, since it would fail the same way again; a task that raises anything else, or whose worker dies, is
  retried by Dask (``retries`` times, and the scheduler's allowed-failures for a dying worker), then reported
  failed with its error, never dropped, and not stored (the next run tries it again).
- **Catalog**: rewritten every minute while cases arrive and at the end, also when the run stops early, with
  every case that was asked for (those not yet computed as ``pending``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greenzone.parallel import dask_client, worker_threads
from greenzone.sweep import cache
from greenzone.sweep.catalog import write_catalog
from greenzone.sweep.folder import prepare_folder
from greenzone.sweep.spec import Case, Sweep

log = logging.getLogger("greenzone.sweep")

CATALOG_EVERY_S = 60.0
"""How often a running sweep rewrites its catalog [s] (and once more at the end)."""


@dataclass
class Progress:
    """Where a sweep stands: cases asked for, done, failed, computing now, and the estimated time left [s]."""

    total: int
    done: int = 0
    failed: int = 0
    running: int = 0
    cached: int = 0
    computed: int = 0
    left_s: float | None = None

    def line(self) -> str:
        """``12/40 done, 2 running, 1 failed, about 3 min left``."""
        text = f"{self.done}/{self.total} done, {self.running} running, {self.failed} failed"
        if self.left_s is not None:
            text += f", about {_duration(self.left_s)} left"
        return text


@dataclass
class SweepOutcome:
    """What a sweep run did: its progress at the end, the catalog rows and where the catalog is."""

    progress: Progress
    rows: list[dict[str, Any]] = field(default_factory=list)
    catalog: Path | None = None


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    cases: list[Case] | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SweepOutcome:
    """Compute the cases of ``sweep`` (default all; e.g. ``sweep.subset(n)``) that ``out`` lacks, store each
    result as it arrives, and write ``out/catalog.parquet``.

    Parameters
    ----------
    client : a :class:`distributed.Client` to run on (the caller keeps it open).
    scheduler : address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``; ignored with ``client``.
    workers : worker processes of the local cluster (default one per core); ignored with ``client`` or
        ``scheduler``.
    on_progress : called with the :class:`Progress` after each case.
    """
    out = Path(out)
    cases = list(sweep.cases if cases is None else cases)
    prepare_folder(out, sweep)
    records: dict[str, dict[str, Any]] = {}
    cached_hashes: set[str] = set()
    for case in cases:
        if case.hash not in records:
            record = cache.cached(out, case.hash)
            if record is not None:
                records[case.hash] = record
                cached_hashes.add(case.hash)
    todo = {case.hash: case for case in cases if case.hash not in records}
    progress = Progress(total=len(cases), cached=sum(case.hash in cached_hashes for case in cases))
    _count(progress, cases, records)
    try:
        if todo:
            with dask_client(client=client, scheduler=scheduler, workers=workers) as dask:
                checkpoint = lambda: write_catalog(_rows(cases, records, cached_hashes, sweep), out)  # noqa: E731
                _compute(dask, sweep, out, todo, cases, records, progress, on_progress, checkpoint)
        elif on_progress is not None:
            on_progress(progress)
    finally:
        rows = _rows(cases, records, cached_hashes, sweep)
        catalog = write_catalog(rows, out)
    return SweepOutcome(progress, rows, catalog)


def _compute(dask, sweep, out, todo, cases, records, progress, on_progress, checkpoint) -> None:
    """Submit every missing case, store each result as it completes, and rewrite the catalog every
    :data:`CATALOG_EVERY_S` seconds (``checkpoint``), so a run killed outright leaves a recent one."""
    from dask.distributed import as_completed

    from greenzone.sweep.case import run_case

    futures = {
        dask.submit(
            run_case,
            case.zone,
            sweep.options,
            key=f"greenzone-case-{digest}",
            retries=sweep.retries,
            pure=False,
        ): digest
        for digest, case in todo.items()
    }
    threads = worker_threads(dask)
    start, finished = time.perf_counter(), 0
    written = start
    progress.running = min(len(futures), threads)
    if on_progress is not None:
        on_progress(progress)
    for future in as_completed(futures):
        digest = futures[future]
        case = todo[digest]
        if future.status == "finished":
            outcome = future.result()
            records[digest] = cache.store(
                out, digest, outcome, options=sweep.options, zone=case.zone, params=case.params
            )
            progress.computed += sum(c.hash == digest for c in cases)
        else:
            exc = future.exception()
            log.warning("sweep: case %d failed after %d retries: %s", case.index, sweep.retries, exc)
            records[digest] = {
                "hash": digest,
                "status": "failed",
                "time_s": float("nan"),
                "error": f"{type(exc).__name__}: {exc} (after {sweep.retries} retries; not stored, tried again "
                "next run)",
                "stored": False,
            }
        future.release()
        finished += 1
        remaining = len(futures) - finished
        elapsed = time.perf_counter() - start
        progress.running = min(remaining, threads)
        progress.left_s = elapsed / finished * remaining
        _count(progress, cases, records)
        if on_progress is not None:
            on_progress(progress)
        if remaining and time.perf_counter() - written > CATALOG_EVERY_S:
            checkpoint()
            written = time.perf_counter()


def _count(progress: Progress, cases: list[Case], records: dict) -> None:
    progress.done = sum(records.get(c.hash, {}).get("status") == "done" for c in cases)
    progress.failed = sum(records.get(c.hash, {}).get("status") == "failed" for c in cases)


def _rows(cases: list[Case], records: dict, cached_hashes: set[str], sweep: Sweep) -> list[dict[str, Any]]:
    """One catalog row per case: its parameters, status, time, result folder and key figures."""
    rows = []
    for case in cases:
        record = records.get(case.hash)
        stored = record is not None and record.get("stored", True)
        row = {
            "case": case.index,
            "status": "pending" if record is None else record["status"],
            "cached": case.hash in cached_hashes,
            "hash": case.hash,
            "time_s": float("nan") if record is None else float(record.get("time_s", float("nan"))),
            "error": "" if record is None else record.get("error", ""),
            "result": f"{cache.CASES}/{case.hash}" if stored else "",
            "params": case.params,
            "kpis": (record or {}).get("kpis") or {},
        }
        rows.append(row)
    return rows


def estimate(
    sweep: Sweep,
    out: str | Path,
    cases: list[Case],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> str:
    """What ``--dry-run`` prints: ``N cases``, how many ``out`` holds, and how long the rest would take at the
    mean time per case measured in ``out`` [s], spread over ``workers`` (default one per core; a scheduler's
    workers are not counted, so the time is for one worker)."""
    from greenzone.optimize.solve import available_cores

    out = Path(out)
    unique = {case.hash for case in cases}
    stored = {digest for digest in unique if cache.cached(out, digest) is not None}
    text = f"{len(cases)} cases ({len(unique)} distinct), {len(stored)} in the cache, {len(unique - stored)} to compute"
    times = cache.measured_times(out)
    if not unique - stored:
        return text + "; nothing to compute"
    if not times:
        return text + f"; no case has run in {out} yet, so there is no measured time per case"
    per_case = sum(times) / len(times)
    n = 1 if scheduler is not None else workers or available_cores()
    left = per_case * len(unique - stored) / n
    where = "on one worker" if n == 1 else f"on {n} workers"
    return (
        text
        + f"; about {_duration(left)} {where} at {per_case:.1f} s per case (measured over {len(times)} cases)"
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
