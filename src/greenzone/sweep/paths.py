"""Zone fields named by path, as a sweep varies them: ``grid.export_price_usd_per_mwh``,
``technologies.solar_fixed.capex_usd_per_kw``, ``nodes[jabrayil].demand.annual_mwh``, ``nodes[*].demand.annual_mwh``
(every node), ``links[jabrayil-kalbajar].max_mw``, ``weather.seed``.

A path is a chain of keys joined by dots; a list is entered by ``[ID]`` (the item whose ``id`` is ID, or for a
link ``FROM-TO``), ``[N]`` (the N-th item, from 0) or ``[*]`` (every item). Paths are checked against the
validated zone (every field, defaults included), so a field the file leaves out can still be varied, and a
path that does not exist is named with its closest existing path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\[\]]*)\]")


class PathError(ValueError):
    """A path that is malformed or names no field of the zone; the message says which part and the closest
    path that exists."""


def parse_path(path: str) -> list[tuple[str, str]]:
    """``"nodes[a].demand"`` → ``[("key", "nodes"), ("item", "a"), ("key", "demand")]``."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position or (position == 0 and path.startswith(".")):
            raise PathError(f"'{path}' is not a field path: write keys joined by dots, list items as [id]")
        key, item = match.groups()
        tokens.append(("key", key) if key is not None else ("item", item.strip()))
        position = match.end()
    if not tokens or tokens[0][0] != "key":
        raise PathError(f"'{path}' is not a field path: it must start with a section, e.g. grid.node")
    return tokens


def _item_names(item: Any) -> list[str]:
    """How a list item may be selected: its id, and a link's FROM-TO."""
    if not isinstance(item, dict):
        return []
    names = [str(item["id"])] if item.get("id") is not None else []
    if item.get("from") is not None and item.get("to") is not None:
        names.append(f"{item['from']}-{item['to']}")
    return names


def _is_leaf(value: Any) -> bool:
    """A value a parameter replaces whole: numbers, strings, lists of plain values, {year: value} mappings."""
    if isinstance(value, dict):
        return not value or all(isinstance(k, int) for k in value)
    if isinstance(value, list):
        return not any(isinstance(v, dict) for v in value)
    return True


def leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    """Every path to a value of ``data`` (a zone dumped with its defaults), list items by their names."""
    if _is_leaf(data):
        if prefix:
            yield prefix
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return
    for index, item in enumerate(data):
        names = _item_names(item)
        yield from leaf_paths(item, f"{prefix}[{names[0] if names else index}]")


def closest_path(path: str, data: Any) -> str | None:
    """The existing path most like ``path`` (difflib), None when none is near."""
    candidates = list(leaf_paths(data))
    match = difflib.get_close_matches(path, candidates, n=1, cutoff=0.6)
    return match[0] if match else None


def _select(items: list, selector: str, where: str) -> list[int]:
    """Indices of the list items ``selector`` names."""
    if selector == "*":
        return list(range(len(items)))
    if re.fullmatch(r"\d+", selector):
        index = int(selector)
        if index >= len(items):
            raise PathError(f"{where}[{selector}]: the list has {len(items)} items (0 to {len(items) - 1})")
        return [index]
    for index, item in enumerate(items):
        if selector in _item_names(item):
            return [index]
    names = [n for item in items for n in _item_names(item)[:1]]
    raise PathError(f"{where} has no item '{selector}'" + (f" (items: {', '.join(names)})" if names else ""))


def locate(data: Any, path: str) -> list[tuple[list[tuple[str, Any]], Any]]:
    """Each place ``path`` names in ``data``: (the steps as ("key", name) or ("item", index), the value there).
    Under ``[*]`` the items that lack the rest of the path are left out (a node without demand); at least one
    item must hold it.

    Raises
    ------
    PathError
        naming the first part of the path that does not exist and the closest existing path.
    """
    tokens = parse_path(path)
    places: list[tuple[list[tuple[str, Any]], Any, bool]] = [([], data, False)]
    where = ""
    for kind, name in tokens:
        found = []
        for steps, value, optional in places:
            if kind == "key":
                if isinstance(value, dict) and name in value and not _is_leaf(value):
                    found.append(([*steps, ("key", name)], value[name], optional))
                elif not optional:
                    raise _missing(path, data, f"{where or 'the zone'} has no field '{name}'")
            elif isinstance(value, list):
                try:
                    indices = _select(value, name, where)
                except PathError as exc:
                    raise _missing(path, data, str(exc)) from None
                found.extend(([*steps, ("item", i)], value[i], optional or name == "*") for i in indices)
            elif not optional:
                raise _missing(path, data, f"{where} is not a list, so [{name}] selects nothing")
        if not found:
            raise _missing(path, data, f"no item of {where or 'the zone'} has '{name}'")
        places = found
        if kind == "key":
            where = f"{where}.{name}" if where else name
        else:
            where = f"{where}[{name}]"
    for _steps, value, _optional in places:
        if not _is_leaf(value):
            raise _missing(path, data, f"{path} is a section, not a value; name one of its fields")
    return [(steps, value) for steps, value, _optional in places]


def _missing(path: str, data: Any, why: str) -> PathError:
    close = closest_path(path, data)
    return PathError(f"'{path}': {why}" + (f"; closest field: '{close}'" if close else ""))


def assign(raw: dict, steps: list[tuple[str, Any]], value: Any) -> None:
    """Set the value at ``steps`` (from :func:`locate`) in zone data ``raw``, making the sections it leaves out
    (``weather:`` when only its defaults applied, an empty ``battery:`` at a node)."""
    here: Any = raw
    for (kind, name), (next_kind, _) in zip(steps, [*steps[1:], ("end", None)], strict=True):
        if next_kind == "end":
            here[name] = value
            return
        if kind == "key" and here.get(name) is None:
            here[name] = [] if next_kind == "item" else {}
        here = here[name]
