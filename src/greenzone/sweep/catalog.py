"""The catalog: one Parquet table of every case of a sweep, ``DIR/catalog.parquet``, read with
``pandas.read_parquet("DIR/catalog.parquet")``.

Columns, one row per case:

- ``case`` (its number in the sweep file's expansion), ``status`` (``done``, ``failed`` or ``pending`` when the
  run stopped first), ``cached`` (taken from the cache by this run), ``hash``, ``time_s`` (the case's
  wall-clock time where it was computed [s]), ``error`` (greenzone's message for a failed case), ``result``
  (its folder, relative to DIR: ``cases/<hash>`` with kpis.json and plan.nc or pathway.nc);
- one column per varied field, named by its path (factors as ``PATH (scale)``); a value that is not a number
  (a list, a {year: value} mapping) is stored as JSON text;
- every scalar key figure, nested ones by dotted names (``capacity_mw.solar_fixed`` [MW],
  ``cost_usd_per_year.battery`` [USD/yr]; a pathway's per period ``periods.2030.cost_usd_per_year``); a key
  figure named like a parameter column is stored as ``kpi.NAME``. Units as in docs/kpis.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

CATALOG = "catalog.parquet"
FIXED = ("case", "status", "cached", "hash", "time_s", "error", "result")


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The scalar key figures of ``figures`` by dotted name; lists of records keyed by their ``period``."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) and "period" in v for v in value):
            for item in value:
                flat.update(
                    flatten({k: v for k, v in item.items() if k != "period"}, f"{name}.{item['period']}.")
                )
        elif value is None or isinstance(value, (bool, int, float, str)):
            flat[name] = value
    return flat


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, default=str)


def catalog_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The catalog table of the rows :func:`greenzone.sweep.run.run_sweep` makes."""
    records = []
    for row in rows:
        record = {key: row[key] for key in FIXED}
        record.update({name: _cell(value) for name, value in row["params"].items()})
        for name, value in flatten(row["kpis"]).items():
            record[f"kpi.{name}" if name in record else name] = value
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=list(FIXED))
    frame.attrs["parameters"] = list(rows[0]["params"]) if rows else []
    return frame


def read_catalog(out: str | Path) -> pd.DataFrame:
    """The catalog of sweep folder ``out``; ``attrs["parameters"]`` names its parameter columns.

    Raises
    ------
    SweepError
        when ``out`` holds no readable catalog.
    """
    from greenzone.sweep.spec import SweepError

    path = Path(out) / CATALOG
    if not path.is_file():
        raise SweepError(f"{out}: no {CATALOG} here; run 'greenzone sweep SWEEP.yaml --out {out}' first.")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise SweepError(
            f"{path}: cannot be read as a catalog ({exc}); run 'greenzone sweep' again to rewrite it."
        ) from None
    missing = [c for c in FIXED if c not in frame.columns]
    if missing:
        raise SweepError(
            f"{path}: not a sweep catalog (no {', '.join(missing)} column); run 'greenzone sweep' again."
        )
    return frame


def write_catalog(rows: list[dict[str, Any]], out: str | Path) -> Path:
    """Write ``out/catalog.parquet`` atomically; returns its path."""
    from greenzone.output import atomic_path

    path = Path(out) / CATALOG
    frame = catalog_frame(rows)
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return path
