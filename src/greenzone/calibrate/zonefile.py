"""The calibrated zone file: the original text, its comments kept, with a ``calibration:`` entry written into
each fitted unit and a header that says what was fitted, from what and by how much.

The text is edited where PyYAML's composer places each node (its start and end marks), so that everything
else stays as written. Relative file names (weather, discharge, climatology, demand and price CSVs) are made
absolute, so that the copy reads the same files from its own folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from greenzone.errors import CalibrationError
from greenzone.safe_read import MAX_TEXT_BYTES, read_text
from greenzone.zone.schema import Calibration

_PATHS = (("weather", "path"), ("weather", "climatology"), ("weather", "discharge"))


def calibrated_zone_text(
    zone_file: str | Path, calibrations: dict[tuple[str, str], Calibration], header: list[str]
) -> str:
    """The text of ``zone_file`` with ``calibrations`` (by (node id, technology id)) written in, replacing any
    calibration a unit had, and ``header`` lines as comments at the top."""
    zone_file = Path(zone_file)
    text = read_text(zone_file, what="zone file", error=CalibrationError, limit=MAX_TEXT_BYTES)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[int, int, str]] = []
    nodes = _get(root, "nodes")
    for node in nodes.value if isinstance(nodes, yaml.SequenceNode) else []:
        node_id = _get(node, "id")
        techs = _get(node, "technologies")
        if node_id is None or not isinstance(techs, yaml.MappingNode):
            continue
        for key, value in techs.value:
            cal = calibrations.get((node_id.value, key.value))
            if cal is not None:
                edits.append(_calibration_edit(key, value, cal))
        demand = _get(node, "demand")
        edits += _path_edits(_get(demand, "csv"), zone_file.parent)
    for section, field in _PATHS:
        edits += _path_edits(_get(_get(root, section), field), zone_file.parent)
    for field in ("import_price_usd_per_mwh", "export_price_usd_per_mwh"):
        edits += _path_edits(_get(_get(_get(root, "grid"), field), "csv"), zone_file.parent)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return "".join(f"# {line}\n" for line in header) + text


def _get(node, key: str):
    """The value node of ``key`` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _path_edits(node, base: Path) -> list[tuple[int, int, str]]:
    if not isinstance(node, yaml.ScalarNode) or not node.value or Path(node.value).is_absolute():
        return []
    absolute = str((base / node.value).resolve())
    return [(node.start_mark.index, node.end_mark.index, json.dumps(absolute))]


def _fields(cal: Calibration) -> dict:
    return cal.model_dump(mode="json", exclude_defaults=True) | {
        "quantity": cal.quantity,
        "factor": cal.factor,
    }


def _calibration_edit(key: yaml.Node, value: yaml.Node, cal: Calibration) -> tuple[int, int, str]:
    """(start, end, replacement) writing ``cal`` into the technology mapping ``value`` of ``key``."""
    fields = _fields(cal)
    flow = json.dumps(fields, ensure_ascii=False)
    if isinstance(value, yaml.ScalarNode):  # "solar_fixed:" with nothing after it
        return (key.end_mark.index, value.end_mark.index, f": {{calibration: {flow}}}")
    if not isinstance(value, yaml.MappingNode):
        raise CalibrationError(
            f"the zone file's technology '{key.value}' is not a mapping; cannot calibrate it."
        )
    existing = [(k, v) for k, v in value.value if isinstance(k, yaml.ScalarNode) and k.value == "calibration"]
    if value.flow_style:
        if existing:
            k, v = existing[0]
            return (k.start_mark.index, v.end_mark.index, f"calibration: {flow}")
        at = value.start_mark.index + 1
        return (at, at, f"calibration: {flow}" + (", " if value.value else ""))
    indent = " " * value.value[0][0].start_mark.column
    block = "calibration:" + "".join(
        f"\n{indent}  {name}: {json.dumps(v, ensure_ascii=False)}" for name, v in fields.items()
    )
    if existing:
        k, v = existing[0]
        return (k.start_mark.index, _last_end(v), block)
    at = value.value[0][0].start_mark.index
    return (at, at, block + "\n" + indent)


def _last_end(node: yaml.Node) -> int:
    """Where the text of a node ends: a block mapping at the end of its last value (its own end mark lies at
    the next key), anything else at its end mark."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return node.end_mark.index
