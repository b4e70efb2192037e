"""Consistency checks that need more than one field: ids that must exist, bounds that must agree, plant data
that a technology's kind requires. Each check returns ``(field path, message)`` pairs; the loader turns them
into one :class:`~greenzone.errors.ZoneError`.

The demand and price CSVs a zone names are read here too (:func:`greenzone.safe_read.read_hourly_series`), so
``greenzone validate`` names a bad cell by zone field, file, line and column.

Infeasibilities that only the optimisation can see (land too small for existing plants, a renewable share the
potentials cannot reach) are not checked here: the planner's diagnosis names them.
"""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path

from greenzone.errors import ZoneError
from greenzone.safe_read import read_hourly_series
from greenzone.zone.dated import check_pathway
from greenzone.zone.schema import CALIBRATION_QUANTITIES, HYDRO_KINDS, STORAGE_KINDS, HourlySeries, Zone

Problem = tuple[str, str]

_HYDRO_FIELDS = ("river", "head_m", "design_flow_m3s", "storage_mwh", "min_release_m3s")
_STORAGE_FIELDS = ("existing_energy_mwh", "max_energy_mwh", "existing_charge_mw", "max_charge_mw")
RATED_POWER_TOLERANCE = 1.10
"""Hydro capacity may exceed rho g H Q eta at design flow by at most this factor."""


def _hint(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else f"; known: {', '.join(candidates)}"


def check_zone(zone: Zone) -> list[Problem]:
    """All consistency problems of a validated zone, in file order."""
    return [
        *_check_ids(zone),
        *_check_node_technologies(zone),
        *_check_links(zone),
        *_check_grid(zone),
        *_check_demand(zone),
        *check_pathway(zone),
    ]


def _check_ids(zone: Zone) -> list[Problem]:
    counts = Counter(zone.node_ids)
    return [
        (f"nodes[{i}].id", f"node id '{n.id}' is used {counts[n.id]} times; ids must be unique")
        for i, n in enumerate(zone.nodes)
        if counts[n.id] > 1
    ]


def _check_node_technologies(zone: Zone) -> list[Problem]:
    problems: list[Problem] = []
    for i, node in enumerate(zone.nodes):
        for tech_id, nt in node.technologies.items():
            at = f"nodes[{i}].technologies.{tech_id}"
            kind = zone.technologies[tech_id].kind
            if nt.max_mw is not None and nt.existing_mw > nt.max_mw:
                problems.append(
                    (f"{at}.existing_mw", f"{nt.existing_mw:g} MW exceeds max_mw {nt.max_mw:g} MW")
                )
            set_fields = nt.model_fields_set
            if kind in HYDRO_KINDS:
                problems += _check_hydro(at, kind, nt)
            else:
                for field in _HYDRO_FIELDS:
                    if field in set_fields:
                        problems.append(
                            (f"{at}.{field}", f"only hydro plants take '{field}' ({tech_id} is {kind})")
                        )
            if kind in STORAGE_KINDS:
                if nt.max_energy_mwh is not None and nt.existing_energy_mwh > nt.max_energy_mwh:
                    problems.append((f"{at}.existing_energy_mwh", "exceeds max_energy_mwh"))
                if kind != "hydrogen":
                    for field in ("existing_charge_mw", "max_charge_mw"):
                        if field in set_fields:
                            problems.append(
                                (
                                    f"{at}.{field}",
                                    f"only hydrogen sizes charging apart; {kind} shares one rating",
                                )
                            )
                elif nt.max_charge_mw is not None and nt.existing_charge_mw > nt.max_charge_mw:
                    problems.append((f"{at}.existing_charge_mw", "exceeds max_charge_mw"))
            else:
                for field in _STORAGE_FIELDS:
                    if field in set_fields:
                        problems.append(
                            (f"{at}.{field}", f"only storage takes '{field}' ({tech_id} is {kind})")
                        )
            if nt.calibration is not None and nt.calibration.quantity != CALIBRATION_QUANTITIES.get(kind):
                expected = CALIBRATION_QUANTITIES.get(kind)
                problems.append(
                    (
                        f"{at}.calibration.quantity",
                        f"a {kind} plant is calibrated by '{expected}', not '{nt.calibration.quantity}'"
                        if expected
                        else f"{kind} takes no calibration; remove it",
                    )
                )
            if "fuel_budget_mwh" in set_fields and kind != "biomass":
                problems.append(
                    (f"{at}.fuel_budget_mwh", f"only biomass has a fuel budget ({tech_id} is {kind})")
                )
        kinds = {zone.technologies[t].kind for t in node.technologies}
        for kind in node.usable_land_by_kind_km2:
            if kind not in kinds:
                problems.append(
                    (
                        f"nodes[{i}].usable_land_by_kind_km2.{kind}",
                        f"no {kind} technology stands at node '{node.id}'; remove the entry or add a {kind} "
                        "technology under the node's technologies",
                    )
                )
    return problems


def _check_hydro(at: str, kind: str, nt) -> list[Problem]:
    problems: list[Problem] = []
    for field in ("river", "head_m", "design_flow_m3s"):
        if getattr(nt, field) is None:
            problems.append((f"{at}.{field}", f"a {kind} plant needs '{field}'"))
    if kind == "hydro_reservoir" and nt.storage_mwh is None:
        problems.append(
            (f"{at}.storage_mwh", "a reservoir plant needs its usable content 'storage_mwh' [MWh]")
        )
    if kind == "hydro_ror" and nt.min_release_m3s is not None:
        problems.append(
            (f"{at}.min_release_m3s", "run-of-river plants pass their flow; use residual_flow_m3s")
        )
    rated = nt.rated_power_mw
    if rated is not None:
        for field in ("existing_mw", "max_mw"):
            value = getattr(nt, field)
            if value is not None and value > rated * RATED_POWER_TOLERANCE:
                problems.append(
                    (
                        f"{at}.{field}",
                        f"{value:g} MW exceeds the plant's rated power {rated:.1f} MW (rho g H Q eta at design "
                        f"flow); raise design_flow_m3s to about {nt.design_flow_m3s * value / rated:.1f} "
                        f"or head_m, or lower {field}",
                    )
                )
    return problems


def _check_links(zone: Zone) -> list[Problem]:
    problems: list[Problem] = []
    nodes = zone.node_ids
    names = Counter(link.name for link in zone.links)
    for i, link in enumerate(zone.links):
        for key, node in (("from", link.from_node), ("to", link.to_node)):
            if node not in nodes:
                problems.append((f"links[{i}].{key}", f"unknown node '{node}'{_hint(node, nodes)}"))
        if link.from_node == link.to_node:
            problems.append((f"links[{i}].to", "a link must join two different nodes"))
        if names[link.name] > 1:
            problems.append((f"links[{i}].id", f"link '{link.name}' is defined {names[link.name]} times"))
        if link.max_mw is not None and link.existing_mw > link.max_mw:
            problems.append((f"links[{i}].existing_mw", "exceeds max_mw"))
    return problems


def _check_grid(zone: Zone) -> list[Problem]:
    problems: list[Problem] = []
    if zone.grid is None:
        return problems
    if zone.grid.node not in zone.node_ids:
        problems.append(
            ("grid.node", f"unknown node '{zone.grid.node}'{_hint(zone.grid.node, zone.node_ids)}")
        )
    for key in ("import_price_usd_per_mwh", "export_price_usd_per_mwh"):
        price = getattr(zone.grid, key)
        if isinstance(price, HourlySeries):
            problems += _check_series(
                f"grid.{key}.csv", price.csv, zone.timezone, column=price.column, unit="USD/MWh"
            )
    return problems


def _check_demand(zone: Zone) -> list[Problem]:
    problems: list[Problem] = []
    for i, node in enumerate(zone.nodes):
        d = node.demand
        if d is None:
            continue
        at = f"nodes[{i}].demand"
        if (d.population is None) != (d.use_mwh_per_person is None):
            given, missing = (
                ("population", "use_mwh_per_person")
                if d.use_mwh_per_person is None
                else ("use_mwh_per_person", "population")
            )
            problems.append(
                (
                    f"{at}.{missing}",
                    f"{given} is given without {missing}: demand is population × use per "
                    f"person, so give both (or annual_mwh instead)",
                )
            )
        elif d.population is not None and d.annual_mwh is not None:
            problems.append(
                (
                    f"{at}.annual_mwh",
                    "give annual_mwh or population with use_mwh_per_person, not both: remove one",
                )
            )
        elif not d.has_annual and d.csv is None:
            problems.append(
                (
                    at,
                    "give annual_mwh [MWh] (or population with use_mwh_per_person), a csv of hourly [MW], "
                    "or both",
                )
            )
        if d.csv is not None:
            problems += _check_series(
                f"nodes[{i}].demand.csv", d.csv, zone.timezone, column="value", unit="MW", minimum=0.0
            )
    return problems


def _check_series(
    field: str, path: str, timezone: str, *, column: str, unit: str, minimum: float | None = None
) -> list[Problem]:
    """The CSV a zone field names exists and holds a clean hourly series (finite numbers, readable times,
    no gaps); whether it covers the model's hours is checked when it is used."""
    if not Path(path).exists():
        return [(field, f"no such file: {path}")]
    try:
        read_hourly_series(
            path, timezone=timezone, column=column, unit=unit, label=path, error=ZoneError, minimum=minimum
        )
    except ZoneError as err:
        return [(field, str(err))]
    return []
