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
