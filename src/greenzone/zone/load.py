"""Reading a zone file: YAML → catalogue merge → schema validation → consistency checks → :class:`Zone`.

Every problem becomes one :class:`~greenzone.errors.ZoneError` whose message names the file, the field path
(``nodes[3].demand.annual_mwh``) and what would be valid; unknown keys get a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import reprlib
import types
import typing
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from greenzone.errors import ZoneError
from greenzone.safe_read import load_yaml
from greenzone.zone.checks import check_zone
from greenzone.zone.schema import Boolean, HourlySeries, Zone

EMBEDDED_ZONE = "karabakh"
"""Name of the zone shipped in the package and used when no zone file is given."""

_PATH_FIELDS = (("weather", "path"), ("weather", "climatology"), ("weather", "discharge"))


def embedded_zone_path(name: str = EMBEDDED_ZONE) -> Path:
    """Path of a zone file shipped in the package, e.g. the Karabakh zone."""
    return Path(str(resources.files("greenzone.data").joinpath(name, "zone.yaml")))


def load_zone(path: str | Path | None = None) -> Zone:
    """Read and validate a zone file; without a path, the embedded Karabakh zone.

    Parameters
    ----------
    path : a zone YAML file. Relative file names inside it (demand and price CSVs, weather files) are read
        relative to the zone file's folder.

    Raises
    ------
    ZoneError
        naming the file, the field and how to fix it.
    """
    path = Path(path) if path is not None else embedded_zone_path()
    return zone_from_data(read_zone_data(path), path)


def read_zone_data(path: str | Path) -> dict:
    """A zone file as the plain data validation takes: parsed, its file names made absolute (relative to the
    zone file's folder) and its technologies filled from the catalogue. A sweep changes fields of this data
    and validates each case with :func:`zone_from_data`.

    Raises
    ------
    ZoneError
        naming the file and what is wrong.
    """
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ZoneError(f"{path}: a zone file must be a mapping of sections (name, timezone, nodes, ...).")
    raw = _resolve_paths(raw, path.parent)
    return _merge_catalogue(raw, path)


def zone_from_data(raw: dict, path: str | Path) -> Zone:
    """Validate zone data (:func:`read_zone_data`, perhaps changed) as the zone of file ``path``: schema,
    consistency checks, and the file named in messages about the files the zone reads.

    Raises
    ------
    ZoneError
        naming ``path``, the field and how to fix it.
    """
    path = Path(path)
    try:
        zone = Zone.model_validate(raw)
    except ValidationError as exc:
        raise ZoneError(format_validation_error(exc, path, raw)) from None
    problems = check_zone(zone)
    if problems:
        lines = [f"{path}: {field}: {message}" for field, message in problems]
        raise ZoneError(_join(lines, "zone file"))
    _remember_file(zone, path)
    return zone


def _remember_file(zone: Zone, path: Path) -> None:
    """Let the zone and its hourly price series name ``path`` in messages about the files they refer to."""
    zone._zone_file = str(path)
    if zone.grid is not None:
        for price in (zone.grid.import_price_usd_per_mwh, zone.grid.export_price_usd_per_mwh):
            if isinstance(price, HourlySeries):
                price._zone_file = str(path)


# ---------------------------------------------------------------------------------------------- YAML


def read_yaml(path: Path) -> Any:
    """Parse a YAML file under greenzone's input policy (:mod:`greenzone.safe_read`: size, kind of file,
    UTF-8, duplicate keys, nesting, aliases), turning every failure into a ZoneError naming file and line."""
    return load_yaml(path, what="zone file", error=ZoneError)


def _resolve_paths(raw: dict, base: Path) -> dict:
    """Make file names inside the zone absolute, relative to the zone file's folder."""

    def absolute(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str((base / value).resolve())
        return value

    raw = dict(raw)
    for section, key in _PATH_FIELDS:
        if isinstance(raw.get(section), dict) and key in raw[section]:
            raw[section] = {**raw[section], key: absolute(raw[section][key])}
    if isinstance(raw.get("nodes"), list):
        nodes = []
        for node in raw["nodes"]:
            if isinstance(node, dict) and isinstance(node.get("demand"), dict) and "csv" in node["demand"]:
                node = {**node, "demand": {**node["demand"], "csv": absolute(node["demand"]["csv"])}}
            nodes.append(node)
        raw["nodes"] = nodes
    if isinstance(raw.get("grid"), dict):
        grid = dict(raw["grid"])
        for key in ("import_price_usd_per_mwh", "export_price_usd_per_mwh"):
            if isinstance(grid.get(key), dict) and "csv" in grid[key]:
                grid[key] = {**grid[key], "csv": absolute(grid[key]["csv"])}
        raw["grid"] = grid
    return raw


# ---------------------------------------------------------------------------------------------- catalogue


def load_catalogue() -> dict[str, dict]:
    """The technology catalogue shipped in the package: ``{technology id: raw parameters}``."""
    path = Path(str(resources.files("greenzone.data").joinpath("catalogue.yaml")))
    return read_yaml(path)


def _merge_catalogue(raw: dict, path: Path) -> dict:
    """Fill ``technologies`` with catalogue entries for every technology the zone names.

    A technology named at a node or in ``technologies`` that the catalogue knows starts from the catalogue's
    parameters, which the zone's own entry overrides key by key; a new technology must give all of its fields.
    """
    catalogue = load_catalogue()
    given = raw.get("technologies") or {}
    if not isinstance(given, dict):
        return raw  # the schema reports the wrong type
    referenced: list[str] = list(given)
    nodes = raw.get("nodes")
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):  # a wrong type: the schema says so
        techs = node.get("technologies") if isinstance(node, dict) else None
        if not isinstance(techs, dict):
            continue
        for tech in techs:
            if tech in given or tech in catalogue:
                if tech not in referenced:
                    referenced.append(tech)
                continue
            known = sorted(set(catalogue) | set(given))
            hint = _did_you_mean(str(tech), known)
            raise ZoneError(
                f"{path}: nodes[{i}].technologies.{tech}: unknown technology{hint or '.'} Use a catalogue technology "
                f"({', '.join(sorted(catalogue))}) or define it under 'technologies' with its kind and costs."
            )
    merged = {}
    for tech in referenced:
        override = given.get(tech)
        if override is None:
            override = {}
        if not isinstance(override, dict):
            merged[tech] = override  # the schema reports the wrong type
            continue
        base = catalogue.get(tech, {})
        if base and "kind" in override and override["kind"] != base["kind"]:
            base = {}  # a different kind under a catalogue name: nothing to inherit
        merged[tech] = {**base, **override}
    return {**raw, "technologies": merged}


# ---------------------------------------------------------------------------------------------- errors


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else ""


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _unwrap(tp: Any) -> list[Any]:
    """The candidate types behind Annotated, Optional and Union."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [tp]


def _kind_literals(model: type[BaseModel]) -> tuple:
    field = model.model_fields.get("kind")
    if field is None:
        return ()
    return typing.get_args(field.annotation)


def _walk(loc: tuple) -> tuple[str, type[BaseModel] | None]:
    """Turn a pydantic error location into ``nodes[3].demand.annual_mwh`` and the model holding the last key."""
    parts: list[str] = []
    candidates: list[Any] = [Zone]
    holder: type[BaseModel] | None = None
    for element in loc:
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if isinstance(element, str) and len(models) > 1:  # a discriminated-union tag: choose, print nothing
            chosen = [m for m in models if element in _kind_literals(m)]
            if chosen:
                candidates = chosen
                continue
        if isinstance(element, int):
            parts.append(f"[{element}]")
            candidates = [
                arg
                for c in candidates
                if typing.get_origin(c) is list
                for arg in _unwrap(typing.get_args(c)[0])
            ]
            continue
        parts.append(f".{element}" if parts else str(element))
        nxt: list[Any] = []
        holder = None
        for c in candidates:
            if isinstance(c, type) and issubclass(c, BaseModel):
                holder = holder or c
                for name, field in c.model_fields.items():
                    if element in (name, field.alias):
                        holder = c
                        nxt.extend(_unwrap(field.annotation))
            elif typing.get_origin(c) is dict:
                nxt.extend(_unwrap(typing.get_args(c)[1]))
        candidates = nxt
    return "".join(parts), holder


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxlong = 3, 8, 6, 50, 30


def _short(value: Any) -> str:
    """A value for a message, at most 60 characters, whatever its size (reprlib stops early)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_validation_error(exc: ValidationError, path: Path, raw: Any = None) -> str:
    """One message for all schema errors: file, field path, what is wrong and what would be valid."""
    lines = []
    for err in exc.errors(include_url=False):
        field, holder = _walk(tuple(err["loc"]))
        kind = err["type"]
        if kind == "extra_forbidden" and holder is not None:
            key = str(err["loc"][-1])
            valid = _field_names(holder)
            hint = _did_you_mean(key, valid)
            message = f"unknown key '{key}'{hint}" + ("" if hint else f". Valid keys: {', '.join(valid)}.")
        elif kind == "missing":
            message = "required field is missing"
        elif isinstance(err.get("input"), Boolean):
            message = f"a number is needed here, not {err['input']!r}"
        elif kind == "finite_number":
            message = _not_finite(err["input"], holder, err["loc"])
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            quiet = (
                kind in ("union_tag_invalid", "union_tag_not_found")
                or "got " in message
                or ", not " in message
            )
            if not quiet and not isinstance(err.get("input"), dict):
                message += f" (got {_short(err.get('input'))})"
        lines.append(f"{path}: {field or '(top level)'}: {message}")
    return _join(lines, "zone file")


def _not_finite(value: Any, holder: type[BaseModel] | None, loc: tuple) -> str:
    """Why ``.inf``/``.nan`` is refused, and how to write an open limit where the field has one."""
    text = {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(str(value).strip().lower(), repr(value))
    message = f"must be a finite number, not {text}"
    key = next((element for element in reversed(loc) if isinstance(element, str)), None)
    field = None if holder is None or key is None else holder.model_fields.get(key)
    if field is not None and field.default is None and not isinstance(loc[-1], int):
        message += f"; to leave it open (no limit), leave '{key}' out"
    return message


def _join(lines: list[str], what: str) -> str:
    if len(lines) == 1:
        return lines[0]
    shown = lines[:12]
    more = f"\n  ... and {len(lines) - 12} more" if len(lines) > 12 else ""
    return f"{len(lines)} problems in the {what}:\n  " + "\n  ".join(shown) + more
