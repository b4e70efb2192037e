"""Dated capacity: plants with a commissioning year and a lifetime, and what is in service in a year.

A dated asset of the zone's ``pathway.assets``, or a build a myopic pathway step hands forward, is a
:class:`Vintage`, in service in year y when commissioned ≤ y < commissioned + lifetime. The single-year model
data count the zone's assets in service in their year (:func:`add_in_service`), so ``plan`` on a year and
a pathway period of that year see the same fleet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from greenzone.optimize.formulation.data import ModelData
    from greenzone.zone.schema import Zone

#: The capacity variable of each unit family and the ModelData fields of its existing capacity and labels.
CAPACITY_BLOCKS: dict[str, tuple[str, str, str]] = {
    "generator": ("capacity", "gen_existing", "gen_labels"),
    "storage_power": ("storage_power", "sto_power_existing", "sto_labels"),
    "storage_charge": ("storage_charge_power", "sto_charge_existing", "sto_labels"),
    "storage_energy": ("storage_energy", "sto_energy_existing", "sto_labels"),
    "link": ("link_capacity", "link_existing", "link_labels"),
}
"""family → (capacity block, existing-capacity field, labels field)."""

_UPPER = {
    "generator": "gen_max",
    "storage_power": "sto_power_max",
    "storage_energy": "sto_energy_max",
    "storage_charge": "sto_charge_max",
    "link": "link_max",
}


@dataclass(frozen=True)
class Vintage:
    """Capacity with a commissioning year and a lifetime: a dated asset, or a build handed forward.

    ``family`` is a key of :data:`CAPACITY_BLOCKS`; ``label`` "node/technology" (or the link's name);
    ``amount`` [MW] ([MWh] for storage energy); in service in year y when year ≤ y < year + lifetime.
    """

    family: str
    label: str
    amount: float
    year: int
    lifetime_years: float

    def in_service(self, year: int) -> bool:
        return self.year <= year < self.year + self.lifetime_years


def zone_vintages(zone: Zone) -> list[Vintage]:
    """The dated assets and link capacity of the zone's pathway section, as vintages (storage: power and
    energy)."""
    out: list[Vintage] = []
    if zone.pathway is None:
        return out
    for asset in zone.pathway.assets:
        spec = zone.technologies[asset.technology]
        life = spec.lifetime_years if asset.lifetime_years is None else asset.lifetime_years
        label = f"{asset.node}/{asset.technology}"
        storage = hasattr(spec, "capex_usd_per_kwh")
        out.append(
            Vintage("storage_power" if storage else "generator", label, asset.mw, asset.commissioned, life)
        )
        if storage and asset.energy_mwh:
            out.append(Vintage("storage_energy", label, asset.energy_mwh, asset.commissioned, life))
    lines = {link.name: link for link in zone.links}
    for dated in zone.pathway.links:
        life = lines[dated.link].lifetime_years if dated.lifetime_years is None else dated.lifetime_years
        out.append(Vintage("link", dated.link, dated.mw, dated.commissioned, life))
    return out


def add_in_service(d: ModelData, vintages: Sequence[Vintage], year: int) -> ModelData:
    """``d`` with the vintages in service in ``year`` added to the existing capacity [MW] ([MWh]); the upper
    bounds are raised to it where they fall short (a dated plant beyond a potential is still there)."""
    changes: dict = {}
    for family, (_, existing_field, labels_field) in CAPACITY_BLOCKS.items():
        mine = [v for v in vintages if v.family == family and v.in_service(year)]
        if not mine:
            continue
        existing = np.array(getattr(d, existing_field), dtype=float)
        labels = getattr(d, labels_field)
        for v in mine:
            existing[labels.index(v.label)] += v.amount
        changes[existing_field] = existing
        changes[_UPPER[family]] = np.maximum(getattr(d, _UPPER[family]), existing)
    return replace(d, **changes) if changes else d


def dated_in_service(zone: Zone, year: int) -> dict[tuple[str, str], float]:
    """The zone's dated assets and link capacity in service in ``year``, summed by (family, label): [MW]
    ([MWh] for storage energy), to be added to the zone's ``existing_mw`` wherever capacity in service is read
    from the zone rather than from a Plan (the operation's fleet without a plan, the cost of what stands)."""
    out: dict[tuple[str, str], float] = {}
    for v in zone_vintages(zone):
        if v.in_service(year):
            out[(v.family, v.label)] = out.get((v.family, v.label), 0.0) + v.amount
    return out


__all__ = ["CAPACITY_BLOCKS", "Vintage", "add_in_service", "dated_in_service", "zone_vintages"]
