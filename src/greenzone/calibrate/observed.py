"""Observed output: a CSV of metered (or announced) energy per group of plants and period, read and checked
against a zone.

Columns (one row per group and period; ``#`` lines are comments):

============= ========================================================================================
group         a name for the plants the row covers; rows of one group share one fitted factor
units         the node/technology pairs the group covers, ``;``-separated: ``jabrayil/solar_fixed;...``
period        a calendar year ``2025`` or a month ``2025-03``, in the zone's local time
energy_mwh    energy delivered over the period [MWh], before curtailment
source        where the figure comes from
capacity_mw   optional: the capacity the energy came from [MW]; empty or absent: the existing capacity of
              the units (use it when the figure covers part of a unit, e.g. two plants of a node's fleet)
============= ========================================================================================

Every problem is one :class:`~greenzone.errors.CalibrationError` naming the file, the line and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from greenzone.errors import CalibrationError
from greenzone.safe_read import read_csv_table
from greenzone.zone.schema import CALIBRATION_QUANTITIES, Zone

REQUIRED = ("group", "units", "period", "energy_mwh", "source")
OPTIONAL = ("capacity_mw",)
MAX_OBSERVED_CSV_BYTES = 16 * 1024 * 1024
"""Largest observed-output CSV read [bytes]: a few thousand rows of monthly figures take well under 1 MiB."""

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

Unit = tuple[str, str]
"""(node id, technology id)"""


@dataclass(frozen=True)
class Period:
    """A calendar year (``month`` None) or month in the zone's local time."""

    year: int
    month: int | None = None

    @property
    def text(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def hours(self) -> int:
        """Length of the period [h]."""
        start = pd.Timestamp(year=self.year, month=self.month or 1, day=1)
        end = start + (pd.DateOffset(months=1) if self.month else pd.DateOffset(years=1))
        return int((end - start) / pd.Timedelta(hours=1))

    def contains(self, period: Period) -> bool:
        """True when ``period`` lies inside this one (or is it)."""
        return self.year == period.year and (self.month is None or self.month == period.month)


@dataclass(frozen=True)
class Observation:
    """One row of the observed CSV."""

    group: str
    period: Period
    energy_mwh: float
    capacity_mw: float | None
    source: str
    line: str
    """``"<file> line N"``, for messages."""


@dataclass(frozen=True)
class Group:
    """Plants whose output is observed together and that take one factor."""

    name: str
    units: tuple[Unit, ...]
    quantity: str
    """What the factor multiplies (:data:`greenzone.zone.schema.CALIBRATION_QUANTITIES`)."""
    existing_mw: float
    """Existing capacity of the units [MW]."""
    rows: tuple[Observation, ...]

    def capacity_mw(self, row: Observation) -> float:
        """The capacity the row's energy came from [MW]."""
        return self.existing_mw if row.capacity_mw is None else row.capacity_mw


def read_observed(path: str | Path, zone: Zone) -> list[Group]:
    """Read an observed-output CSV and check it against ``zone``: the groups, in file order.

    Refused, naming the file, line and column: a missing or unknown column; an empty group, source or period;
    a period that is neither ``YYYY`` nor ``YYYY-MM``; missing, non-numeric or negative energy; a unit whose
    node or technology the zone lacks, or that takes no calibration; a group whose rows name different units,
    mix hydro with solar or wind, repeat or overlap a period, or have no capacity; two groups sharing a unit
    (one unit takes one factor, so the data could not tell the groups apart).
    """
    label = str(path)
    table = read_csv_table(
        path, what="observed-output CSV", error=CalibrationError, limit=MAX_OBSERVED_CSV_BYTES
    )
    _check_columns(table.columns, label)
    if len(table) == 0:
        raise CalibrationError(
            f"{label}: no rows; write one row per group and period ({', '.join(REQUIRED)})."
        )
    energy = _energies(table)
    capacity = _capacities(table)
    rows: dict[str, list[Observation]] = {}
    units_of: dict[str, tuple[tuple[Unit, ...], str]] = {}
    for r in range(len(table)):
        line = table.line(r)
        group = _text(table, "group", r, "name the group of plants the row covers")
        units = _units(table.cells["units"][r], zone, line)
        if group in units_of and set(units_of[group][0]) != set(units):
            raise CalibrationError(
                f"{line}: column 'units': group '{group}' covers {_names(units)} here but "
                f"{_names(units_of[group][0])} on {units_of[group][1]}; every row of a group covers the same units."
            )
        units_of.setdefault(group, (units, line))
        period = _period(table.cells["period"][r], line)
        source = _text(table, "source", r, "say where the figure comes from")
        row = Observation(group, period, float(energy[r]), capacity[r], source, line)
        for other in rows.get(group, []):
            if other.period.contains(period) or period.contains(other.period):
                raise CalibrationError(
                    f"{line}: column 'period': {period.text} of group '{group}' overlaps {other.period.text} on "
                    f"{other.line}; give each stretch of time once (a year or its months, not both)."
                )
        rows.setdefault(group, []).append(row)
    groups = [_group(name, units_of[name], rows[name], zone) for name in rows]
    _check_disjoint(groups)
    return groups


def _check_columns(columns: list[str], label: str) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problem = (
            f"missing column(s) {', '.join(missing)}"
            if missing
            else f"unknown column(s) {', '.join(unknown)}"
        )
        raise CalibrationError(
            f"{label}: {problem}; an observed-output CSV has the columns {', '.join(REQUIRED)} "
            f"and optionally {', '.join(OPTIONAL)}."
        )


def _energies(table) -> np.ndarray:
    from greenzone.safe_read import parse_numbers

    energy = parse_numbers(table, "energy_mwh", unit="MWh", error=CalibrationError)
    negative = np.flatnonzero(energy < 0)
    if negative.size:
        r = int(negative[0])
        raise CalibrationError(
            f"{table.line(r)}: column 'energy_mwh': {energy[r]:g} is negative; write the energy delivered over the "
            "period [MWh], 0 or more."
        )
    return energy


def _capacities(table) -> list[float | None]:
    if "capacity_mw" not in table.columns:
        return [None] * len(table)
    out: list[float | None] = []
    for r, cell in enumerate(table.cells["capacity_mw"]):
        if cell == "":
            out.append(None)
            continue
        try:
            value = float(cell)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value <= 0:
            raise CalibrationError(
                f"{table.line(r)}: column 'capacity_mw': '{cell}' is not a capacity above 0 [MW]; a group whose "
                "capacity is zero has no output to fit. Write the capacity the energy came from, or leave the "
                "cell empty for the units' existing capacity."
            )
        out.append(value)
    return out


def _text(table, column: str, r: int, fix: str) -> str:
    value = table.cells[column][r]
    if not value:
        raise CalibrationError(f"{table.line(r)}: column '{column}' is empty; {fix}.")
    return value


def _period(cell: str, line: str) -> Period:
    match = _PERIOD.match(cell)
    month = int(match.group(2)) if match and match.group(2) else None
    if not match or not 1900 <= int(match.group(1)) <= 2200 or (month is not None and not 1 <= month <= 12):
        raise CalibrationError(
            f"{line}: column 'period': '{cell}' is not a year such as 2025 or a month such as 2025-03 "
            "(local time of the zone)."
        )
    return Period(int(match.group(1)), month)


def _units(cell: str, zone: Zone, line: str) -> tuple[Unit, ...]:
    parts = [p.strip() for p in cell.split(";") if p.strip()]
    if not parts:
        raise CalibrationError(
            f"{line}: column 'units' is empty; name the node/technology pairs the group covers, e.g. "
            "'jabrayil/solar_fixed;fuzuli/solar_fixed'."
        )
    units: list[Unit] = []
    for part in parts:
        node_id, _, tech_id = part.partition("/")
        if node_id not in zone.node_ids:
            raise CalibrationError(
                f"{line}: column 'units': '{part}': the zone has no node '{node_id}' "
                f"(nodes: {', '.join(zone.node_ids)}); write node/technology."
            )
        node = zone.node(node_id)
        if tech_id not in node.technologies:
            raise CalibrationError(
                f"{line}: column 'units': '{part}': node '{node_id}' has no technology '{tech_id}' "
                f"(it has {', '.join(node.technologies) or 'none'})."
            )
        kind = zone.technologies[tech_id].kind
        if kind not in CALIBRATION_QUANTITIES:
            raise CalibrationError(
                f"{line}: column 'units': '{part}' is {kind}; only hydro, solar and wind output is calibrated."
            )
        if (node_id, tech_id) in units:
            raise CalibrationError(f"{line}: column 'units': '{part}' is named twice; name each unit once.")
        units.append((node_id, tech_id))
    return tuple(units)


def _group(name: str, units_line: tuple[tuple[Unit, ...], str], rows: list[Observation], zone: Zone) -> Group:
    units, line = units_line
    quantities = {CALIBRATION_QUANTITIES[zone.technologies[t].kind] for _, t in units}
    if len(quantities) > 1:
        raise CalibrationError(
            f"{line}: column 'units': group '{name}' mixes technologies calibrated by different factors "
            f"({', '.join(sorted(quantities))}); one group takes one factor: split it by technology."
        )
    existing = sum(zone.node(n).technologies[t].existing_mw for n, t in units)
    for row in rows:
        if row.capacity_mw is None and existing <= 0:
            raise CalibrationError(
                f"{row.line}: group '{name}' has zero capacity: its units ({_names(units)}) have no existing_mw in "
                "the zone, so they have no output to fit. Set their existing_mw in the zone or give capacity_mw."
            )
    return Group(name, units, quantities.pop(), existing, tuple(rows))


def _check_disjoint(groups: list[Group]) -> None:
    owner: dict[Unit, Group] = {}
    for group in groups:
        for unit in group.units:
            if unit in owner:
                other = owner[unit]
                raise CalibrationError(
                    f"{group.rows[0].line}: column 'units': groups '{other.name}' ({other.rows[0].line}) and "
                    f"'{group.name}' both cover {unit[0]}/{unit[1]}; one unit takes one factor, so the data "
                    "cannot tell the two groups' factors apart. Merge them into one group (one row per period) "
                    "or give each group units of its own."
                )
            owner[unit] = group


def _names(units: tuple[Unit, ...]) -> str:
    return ";".join(f"{n}/{t}" for n, t in units)
