"""Writing an adequacy study: ``adequacy.json`` (figures, per year, worst events) and ``adequacy.nc``
(hourly shortfall by weather year)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from greenzone.adequacy.assess import Adequacy
from greenzone.output import write_netcdf, write_text


def _clean(value):
    """JSON has no NaN: non-finite floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_adequacy(result: Adequacy, folder: str | Path) -> tuple[Path, Path]:
    """Write ``folder/adequacy.json`` and ``folder/adequacy.nc`` atomically; returns their paths."""
    folder = Path(folder)
    text = json.dumps(_clean(result.to_json()), indent=2) + "\n"
    return (
        write_text(text, folder / "adequacy.json"),
        write_netcdf(result.shortfall(), folder / "adequacy.nc"),
    )


def read_adequacy(folder: str | Path) -> dict:
    """The figures of ``folder/adequacy.json``."""
    return json.loads((Path(folder) / "adequacy.json").read_text())
