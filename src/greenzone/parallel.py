"""Dask, the one engine for greenzone's parallel work (sweep cases, adequacy years): a client on a local
cluster by default, on any running scheduler by its address, or the caller's own.

The local cluster has one single-threaded worker process per core (each task solves with one HiGHS thread),
listens on loopback only, its status page on a free port. A scheduler elsewhere (``dask scheduler`` / ``dask worker``,
dask-jobqueue, Kubernetes) must have greenzone installed on its workers, and they must read the files a zone
names at the same paths.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from greenzone.errors import GreenzoneError


class SchedulerError(GreenzoneError):
    """A Dask scheduler that cannot be reached at the address given."""

    exit_code = 2


@contextlib.contextmanager
def dask_client(
    *,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    option: str = "--scheduler",
    timeout_s: float = 10.0,
) -> Iterator[Any]:
    """A :class:`distributed.Client`: ``client`` itself (left open), one connected to ``scheduler``, or one on
    a new local cluster of ``workers`` processes (default one per core); closed on leaving.

    Raises
    ------
    SchedulerError
        when ``scheduler`` cannot be reached within ``timeout_s`` [s].
    """
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            connected = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"{option} {scheduler}: cannot reach a Dask scheduler there ({exc}); start one "
                "(dask scheduler) or leave the option out for a local cluster."
            ) from None
        with connected:
            yield connected
        return
    from greenzone.optimize.solve import available_cores

    with (
        LocalCluster(
            n_workers=workers or available_cores(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as local,
    ):
        yield local


def worker_threads(client: Any) -> int:
    """Threads across the client's workers (at least 1)."""
    return max(sum(client.nthreads().values()), 1)
