"""Shared fixtures and tolerances."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from greenzone.zone import embedded_zone_path

REL_TOL_PEER = 0.005
"""Relative tolerance of peer comparisons (pvlib, windpowerlib)."""


@pytest.fixture(scope="session")
def karabakh_raw() -> dict:
    """The embedded zone file as a plain dict, for tests that change one field."""
    return yaml.safe_load(embedded_zone_path().read_text())


@pytest.fixture
def write_zone(tmp_path, karabakh_raw):
    """Write a variant of the embedded zone: ``write_zone(mutate)`` returns its path."""

    def _write(mutate=None, name: str = "zone.yaml") -> Path:
        data = copy.deepcopy(karabakh_raw)
        data.setdefault("technologies", {})
        if mutate is not None:
            mutate(data)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return _write


@pytest.fixture(scope="session")
def _dask_cluster_address(tmp_path_factory):
    pytest.importorskip("distributed")
    from dask_cluster import launched_cluster

    with launched_cluster(tmp_path_factory.mktemp("cluster")) as address:
        yield address


@pytest.fixture
def dask_cluster(_dask_cluster_address):
    """The address of a real Dask cluster (a `dask scheduler` and two `dask worker` processes on loopback),
    started once for the session (about 5-10 s) and shared; both workers are up when a test starts (a test
    that kills one finds it restarted by its nanny)."""
    from dask.distributed import Client

    with Client(_dask_cluster_address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    return _dask_cluster_address
