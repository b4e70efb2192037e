"""Clearance scenarios of a pathway: how fast demining may free the land, each with a probability.

A pathway's ``scenarios`` list names possible futures of mine clearance::

    pathway:
      periods: [2027, 2030, 2035, 2040]
      scenarios:
        - {name: slow, probability: 0.25, clearance_pace: 0.5}     # half the zone's own pace
        - {name: expected, probability: 0.5}                       # the nodes' usable_land_km2 as given
        - {name: fast, probability: 0.25, usable_land_km2: {fuzuli: {2027: 12, 2032: 40}}}   # its own layers

A scenario's land at a node is its own dated layers where it gives them (``usable_land_km2``, land cleared by
a year [km^2], a step function that may only grow), else the node's ``usable_land_km2`` at its
``clearance_pace``: each layer the zone gives for year Y > p0 (p0 the first period) is cleared by
p0 + (Y − p0) / pace instead, rounded up to a whole year (pace 2: twice as fast; 0.5: half as fast); what is
cleared by p0 is unchanged. What is cleared by the first period is known: every scenario must give the same
land then, since the first period's builds are decided once for all scenarios
(``greenzone pathway --stochastic``; docs/pathway.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from greenzone.zone.schema import ID_PATTERN, Strict, YearValue, YearValueField

if TYPE_CHECKING:
    from greenzone.zone.schema import Zone

PROBABILITY_TOLERANCE = 1e-6
"""How far the scenarios' probabilities may sum from 1 [-]."""


class ClearanceScenario(Strict):
    """One future of mine clearance: a pace relative to the zone's own layers, or layers of its own."""

    name: str = Field(pattern=ID_PATTERN, description="scenario id, e.g. 'slow'")
    probability: float = Field(gt=0, le=1, description="probability of the scenario [-]; all sum to 1")
    clearance_pace: float = Field(
        1.0,
        gt=0,
        le=10,
        description="pace of clearance against the nodes' usable_land_km2 [-]: a layer given for year Y is "
        "cleared by p0 + (Y - p0) / pace (p0: the first period), rounded up",
    )
    usable_land_km2: dict[str, YearValueField] = Field(
        default_factory=dict,
        description="land cleared by year by node id [km^2], replacing that node's usable_land_km2 (a "
        "step function that may only grow)",
    )
    note: str = Field("", description="free text: where the figures come from")


def check_probabilities(scenarios: list[ClearanceScenario]) -> list[ClearanceScenario]:
    """Names unique and probabilities summing to 1; raises ValueError naming the fix."""
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"scenario names must be unique: {', '.join(twice)} given twice; rename one")
    total = sum(s.probability for s in scenarios)
    if scenarios and abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise ValueError(
            f"the scenarios' probabilities sum to {total:g}, not 1; "
            + ", ".join(f"{s.name} {s.probability:g}" for s in scenarios)
            + ": scale them so that they sum to 1"
        )
    return scenarios


def paced(land: YearValue, pace: float, first_period: int) -> YearValue:
    """The layers of ``land`` at ``pace``: a layer given for year Y > p0 cleared by p0 + (Y − p0) / pace,
    rounded up to a whole year; layers by p0 as they are [km^2]."""
    if land.is_constant or pace == 1.0:
        return land
    points: dict[int, float] = {}
    for year in land.years:
        value = land.at(year)
        moved = (
            year if year <= first_period else first_period + math.ceil((year - first_period) / pace - 1e-9)
        )
        points[moved] = max(points.get(moved, 0.0), value)  # layers meeting in one year: the larger holds
    return YearValue(points)


def scenario_land(zone: Zone, scenario: ClearanceScenario) -> dict[str, YearValue | None]:
    """Each node's usable land in ``scenario`` [km^2] (None: no limit)."""
    p0 = zone.pathway.periods[0]
    out: dict[str, YearValue | None] = {}
    for node in zone.nodes:
        if node.id in scenario.usable_land_km2:
            out[node.id] = scenario.usable_land_km2[node.id]
        elif node.usable_land_km2 is None:
            out[node.id] = None
        else:
            out[node.id] = paced(node.usable_land_km2, scenario.clearance_pace, p0)
    return out


def with_land(zone: Zone, land: dict[str, YearValue | None]) -> Zone:
    """``zone`` with each node's ``usable_land_km2`` replaced by ``land`` (the same zone otherwise)."""
    nodes = [n.model_copy(update={"usable_land_km2": land[n.id]}) for n in zone.nodes]
    return zone.model_copy(update={"nodes": nodes})


def scenario_zone(zone: Zone, name: str) -> Zone:
    """The zone as scenario ``name`` sees it: its nodes' usable land replaced by the scenario's."""
    scenario = {s.name: s for s in zone.pathway.scenarios}[name]
    return with_land(zone, scenario_land(zone, scenario))


def mean_value_zone(zone: Zone) -> Zone:
    """The zone on the scenarios' expected land: each node's land in each period the probability-weighted
    mean of the scenarios' [km^2] (the mean-value problem of the value of the stochastic solution)."""
    periods = zone.pathway.periods
    lands = [(s.probability, scenario_land(zone, s)) for s in zone.pathway.scenarios]
    mean: dict[str, YearValue | None] = {}
    for node in zone.nodes:
        if all(land[node.id] is None for _, land in lands):
            mean[node.id] = None
            continue
        values = {
            p: sum(
                prob * (math.inf if land[node.id] is None else land[node.id].at(p)) for prob, land in lands
            )
            for p in periods
        }
        mean[node.id] = YearValue(values)
    return with_land(zone, mean)


def check_scenarios(zone: Zone) -> list[tuple[str, str]]:
    """Cross-field problems of the pathway's scenarios (each ``(field path, message)`` with the fix): unknown
    nodes, land that shrinks, a first period's land that differs from the zone's."""
    pw = zone.pathway
    if pw is None or not pw.scenarios:
        return []
    problems: list[tuple[str, str]] = []
    nodes = {n.id: n for n in zone.nodes}
    p0 = pw.periods[0]
    for i, scenario in enumerate(pw.scenarios):
        for node_id, land in scenario.usable_land_km2.items():
            at = f"pathway.scenarios[{i}].usable_land_km2.{node_id}"
            if node_id not in nodes:
                problems.append((at, f"unknown node '{node_id}'; use one of {', '.join(nodes)}"))
                continue
            years = land.years
            for a, b in zip(years, years[1:], strict=False):
                if land.at(b) < land.at(a):
                    problems.append(
                        (
                            at,
                            f"cleared land shrinks from {land.at(a):g} km^2 in {a} to {land.at(b):g} km^2 in {b}; "
                            "land cleared stays cleared: give each year the total cleared by then",
                        )
                    )
                    break
            base = nodes[node_id].usable_land_km2
            given = base.at(p0) if base is not None else math.inf
            if land.at(p0) != given:
                problems.append(
                    (
                        at,
                        f"scenario '{scenario.name}' gives {land.at(p0):g} km^2 cleared by {p0}, the first "
                        f"period, but nodes[{list(nodes).index(node_id)}].usable_land_km2 gives {given:g}; "
                        "what is cleared by the first period is known and the same in every scenario: give "
                        f"{given:g} km^2 for {p0} (scenarios may differ from the next period on)",
                    )
                )
    return problems


__all__ = [
    "ClearanceScenario",
    "check_probabilities",
    "check_scenarios",
    "mean_value_zone",
    "paced",
    "scenario_land",
    "scenario_zone",
    "with_land",
]
