"""Measured errors of typical-day plans against the true hourly optimum, for zones shipped with greenzone.

``data/aggregation_errors.yaml`` holds one record per measurement: the zone's fingerprint, the weather (seed
and years), the hours planned, the number of typical days and whether storage was linked, the true hourly
optimum (``hourly_optimum_usd_per_year``, in records measured since it was kept), the cost error against it,
the capacity-mix error, both times, when, with which greenzone and on what
machine. :func:`recorded_error` finds the record that matches a plan exactly (a plan shows it in its report);
:func:`update_records` writes one in, replacing any earlier record with the same key; ``greenzone run
--check`` states the typical-day error against the recorded optimum beside its own hourly dispatch.
``benchmarks/aggregation_record.py`` measures and writes them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from greenzone.output import write_text

RECORDS_PATH: Path | None = None
"""The records file read by :func:`recorded_error`; None: the one shipped in ``greenzone/data``."""

HOURS_PER_YEAR = 8760
"""Hours of a full (non-leap) year: a record without ``hours`` was measured on whole years."""

KEY_FIELDS = ("zone_fingerprint", "weather_seed", "weather_years", "hours", "typical_days", "linking")
"""What a record must share with a plan to describe it."""


def capacity_mix(plan) -> dict[str, float]:
    """A plan's generating capacity per technology and storage power per storage technology [MW] (a record's
    capacity-mix error compares two of them)."""
    out = {str(k): float(v) for k, v in plan["capacity"].sum("node").to_series().items()}
    out |= {
        f"{k} (power)": float(v)
        for k, v in plan["storage_discharge_capacity"].sum("node").to_series().items()
    }
    return out


def capacity_mix_error(plan, reference) -> float:
    """Σ_technologies |MW − MW_ref| / Σ MW_ref [-]."""
    a, b = capacity_mix(plan), capacity_mix(reference)
    return sum(abs(a[k] - b[k]) for k in b) / sum(b.values())


def records_path() -> Path:
    """The records file in use (:data:`RECORDS_PATH`, or the packaged ``data/aggregation_errors.yaml``)."""
    if RECORDS_PATH is not None:
        return Path(RECORDS_PATH)
    return Path(str(resources.files("greenzone.data").joinpath("aggregation_errors.yaml")))


def read_records(path: str | Path | None = None) -> list[dict]:
    """The records of ``path`` (default :func:`records_path`), oldest first; [] when there is no file."""
    path = Path(path) if path is not None else records_path()
    if not path.exists():
        return []
    records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [r for r in records if isinstance(r, dict)]


def record_key(record: dict) -> tuple:
    """A record's key (:data:`KEY_FIELDS`), as strings; a record without ``hours`` covers whole years."""
    hours = record.get("hours")
    if hours is None:
        hours = HOURS_PER_YEAR * int(record.get("weather_years", 1))
    return (
        str(record.get("zone_fingerprint")),
        str(record.get("weather_seed")),
        str(record.get("weather_years")),
        str(int(hours)),
        str(int(record.get("typical_days", -1))),
        str(bool(record.get("linking"))),
    )


def recorded_error(
    zone_fingerprint: str,
    typical_days: int,
    *,
    linking: bool,
    weather_seed,
    weather_years,
    hours: int | None = None,
    path: str | Path | None = None,
) -> dict | None:
    """The measured error of a typical-day plan, if a record matches exactly this zone, weather, number of
    hours planned (default whole years) and number of typical days; None otherwise. The latest record wins."""
    wanted = record_key(
        {
            "zone_fingerprint": zone_fingerprint,
            "weather_seed": weather_seed,
            "weather_years": weather_years,
            "hours": hours,
            "typical_days": typical_days,
            "linking": linking,
        }
    )
    matches = [r for r in read_records(path) if record_key(r) == wanted]
    return matches[-1] if matches else None


def update_records(new: list[dict], path: str | Path | None = None) -> Path:
    """Write ``new`` records into ``path`` (default :func:`records_path`), each replacing the records with its
    key; the file's leading comment block and the other records are kept. Written atomically."""
    path = Path(path) if path is not None else records_path()
    header = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            header.append(line)
    keys = {record_key(r) for r in new}
    kept = [r for r in read_records(path) if record_key(r) not in keys]
    body = yaml.safe_dump([*kept, *new], sort_keys=False, allow_unicode=True, width=110)
    text = "\n".join(header) + ("\n" if header else "") + body
    return write_text(text, path)
