"""A fingerprint of a zone and the files it refers to, so results can say which zone they belong to."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from greenzone.zone.schema import HourlySeries, Zone


def referenced_files(zone: Zone) -> list[Path]:
    """Files a zone reads besides itself: demand and price CSVs, weather files, a climatology."""
    files = [Path(n.demand.csv) for n in zone.nodes if n.demand is not None and n.demand.csv]
    if zone.grid is not None:
        for price in (zone.grid.import_price_usd_per_mwh, zone.grid.export_price_usd_per_mwh):
            if isinstance(price, HourlySeries):
                files.append(Path(price.csv))
    for name in (zone.weather.path, zone.weather.climatology, zone.weather.discharge):
        if name:
            files.append(Path(name))
    return files


def zone_fingerprint(zone: Zone) -> str:
    """SHA-256 (hex, first 16 characters) of the validated zone and the contents of the files it reads.

    File *contents* are hashed, not their paths, so the same zone moved to another folder keeps its
    fingerprint.
    """
    data = zone.model_dump(mode="json", by_alias=True)
    for node in data["nodes"]:
        if node.get("demand") and node["demand"].get("csv"):
            node["demand"]["csv"] = Path(node["demand"]["csv"]).name
    if data.get("weather"):
        for key in ("path", "climatology", "discharge"):
            if data["weather"].get(key):
                data["weather"][key] = Path(data["weather"][key]).name
    if data.get("grid"):
        for key in ("import_price_usd_per_mwh", "export_price_usd_per_mwh"):
            if isinstance(data["grid"].get(key), dict):
                data["grid"][key]["csv"] = Path(data["grid"][key]["csv"]).name
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode())
    for path in referenced_files(zone):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def require_same_zone(zone: Zone, recorded: str, *, results: str, zone_file: str) -> None:
    """Raise ZoneError when results recorded for the zone with fingerprint ``recorded`` are used with another
    ``zone`` (a plan folder from another zone, or a zone edited since the plan was made)."""
    from greenzone.errors import ZoneError

    if not recorded:
        return
    own = zone_fingerprint(zone)
    if own != recorded:
        raise ZoneError(
            f"{results} was made for another zone (fingerprint {recorded}), not for {zone_file} "
            f"('{zone.name}', fingerprint {own}): the zone, or a file it reads, differs. Give the zone the plan "
            "was made with, or plan this zone first with 'greenzone run'."
        )
