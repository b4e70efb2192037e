"""What the fuzz suite (test_fuzz.py) draws and checks: paths into a zone file, mutations of one field, of a CSV
file and of a JSON file, output locations, snapshots of folders, and the contract every CLI command keeps.

The contract, for any input:

- the exit code is 0, 2 (bad input), 3 (infeasible) or 4 (solver): 1 is an unexpected error, a bug
  (``main()`` prints "unexpected ... This is a bug");
- neither stdout nor stderr holds a traceback;
- exit 2 for a mutated zone field names that field (its key or its path such as ``nodes[3].demand.annual_mwh``);
- nothing outside the output folder changes.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from cli_helpers import cli_main

ALLOWED_CODES = (0, 2, 3, 4)
"""Exit codes of the CLI's contract: ok, bad input, infeasible, solver failure."""

UNKNOWN_KEY = "zz_fuzz_unknown_key"
"""The extra key the 'unknown key' mutation adds; a zone file must refuse it by name."""

UNICODE = "Ünïcødé ☃ 日本語 \u200b \U0001f50b"
LONG = "x" * 20_000

DELETE = object()
"""Marker: the mutation removes the field."""

# (name, value): the values a field is replaced by. YAML writes the floats as .nan, .inf, -.inf, 1.0e+308.
VALUES: tuple[tuple[str, Any], ...] = (
    ("string", "fuzz"),
    ("list", [1, 2]),
    ("mapping", {"a": 1}),
    ("none", None),
    ("true", True),
    ("false", False),
    ("zero", 0),
    ("negative", -1),
    ("negative_float", -0.5),
    ("huge", 1e308),
    ("nan", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("empty_string", ""),
    ("unicode", UNICODE),
    ("long_string", LONG),
)
STRUCTURAL = ("delete", "unknown_key", "duplicate_item")
MUTATIONS: tuple[str, ...] = (*STRUCTURAL, *(name for name, _ in VALUES))
_VALUE = dict(VALUES)

Path_ = tuple  # a path into a YAML tree: keys (str) and list indices (int)


# ---------------------------------------------------------------------------------------------- zone trees


def tree_paths(tree: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path into ``tree`` (mappings and lists), inner ones included, the root excluded."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return
    for key, value in items:
        path = (*prefix, key)
        yield path
        yield from tree_paths(value, path)


def format_path(path: Path_) -> str:
    """``("nodes", 3, "demand", "annual_mwh")`` → ``nodes[3].demand.annual_mwh``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def get_at(tree: Any, path: Path_) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def mutate(tree: Any, path: Path_, mutation: str) -> Any:
    """A deep copy of ``tree`` with ``mutation`` (one of :data:`MUTATIONS`) applied at ``path``."""
    tree = copy.deepcopy(tree)
    parent, key = get_at(tree, path[:-1]), path[-1]
    if mutation == "delete":
        del parent[key]
    elif mutation == "unknown_key":
        target = parent[key]
        if isinstance(target, dict):
            target[UNKNOWN_KEY] = 1
        elif isinstance(parent, dict):
            parent[UNKNOWN_KEY] = 1
        else:  # a list item that is not a mapping: the list's owner gets the key
            owner = get_at(tree, path[:-2]) if len(path) >= 2 else tree
            owner[UNKNOWN_KEY] = 1
    elif mutation == "duplicate_item":
        target = parent[key]
        if isinstance(target, list) and target:
            target.append(copy.deepcopy(target[0]))
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:  # not in a list: a list of the value twice
            parent[key] = [copy.deepcopy(target), copy.deepcopy(target)]
    else:
        parent[key] = copy.deepcopy(_VALUE[mutation])
    return tree


def dump_yaml(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=10_000)


def names_of(path: Path_, mutation: str, tree: Any = None) -> list[str]:
    """Texts of which at least one must appear in an exit-2 message about this mutation: the field's path, its
    key, the unknown key; for a list item, the list (``nodes[3]`` or ``nodes``).

    An id that was renamed or removed (``nodes[2].id``, or the whole ``nodes[2]``) may instead be named by the
    references left dangling: ``links[1].to: unknown node 'zangilan'`` names the old id, given ``tree`` (the
    tree before the mutation)."""
    if mutation == "unknown_key":
        return [UNKNOWN_KEY]
    names = [format_path(path)]
    if tree is not None:
        old = get_at(tree, path)
        if path[-1] == "id" and isinstance(old, str):
            names.append(f"'{old}'")
        if isinstance(old, dict) and isinstance(old.get("id"), str) and mutation == "delete":
            names.append(f"'{old['id']}'")
    keys = [part for part in path if isinstance(part, str)]
    if isinstance(path[-1], str):
        names.append(path[-1])
    elif keys:
        names += [format_path(path), format_path(path[:-1]), keys[-1]]
    if mutation == "duplicate_item" and keys:
        names.append(keys[-1])
    return names


def names_field(message: str, path: Path_, mutation: str, tree: Any = None) -> bool:
    return any(name in message for name in names_of(path, mutation, tree))


# ---------------------------------------------------------------------------------------------- files


def snapshot(*roots: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file and folder under ``roots`` (except under ``skip``) with its contents' SHA-256 ('dir' for a
    folder), to compare before and after a command."""
    skip_resolved = tuple(Path(s).resolve() for s in skip)
    seen: dict[str, str] = {}
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if any(here.resolve() == s or s in here.resolve().parents for s in skip_resolved):
                dirnames[:] = []
                continue
            seen[str(here)] = "dir"
            for name in filenames:
                path = here / name
                if any(path.resolve() == s for s in skip_resolved):
                    continue
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two snapshots: created, removed or changed paths."""
    out = [f"removed {p}" for p in before if p not in after]
    out += [f"created {p}" for p in after if p not in before]
    out += [f"changed {p}" for p in before if p in after and before[p] != after[p]]
    return sorted(out)


@contextlib.contextmanager
def fresh_dir() -> Iterator[Path]:
    """A new empty folder for one example (hypothesis runs a test's examples with one set of fixtures)."""
    with tempfile.TemporaryDirectory(prefix="greenzone-fuzz-") as folder:
        yield Path(folder)


# ---------------------------------------------------------------------------------------------- the contract


def check_contract(
    monkeypatch,
    capsys,
    args: list[str],
    *,
    watch: tuple[Path, ...] = (),
    out: Path | None = None,
    field: tuple[Path_, str, Any] | None = None,
    context: str = "",
) -> tuple[int, str, str]:
    """Run ``greenzone -q ARGS`` in this process and assert the contract; returns (code, stdout, stderr).

    Parameters
    ----------
    watch : folders (and files) that must not change, except ``out`` inside them.
    out : the output folder or file, the only thing allowed to change.
    field : (path, mutation, tree before the mutation) of a mutated zone field: exit 2 must name it.
    context : what was mutated, shown when the contract fails.
    """
    before = snapshot(*watch, skip=(out,) if out is not None else ())
    code, stdout, stderr = cli_main(monkeypatch, capsys, "-q", *args)
    after = snapshot(*watch, skip=(out,) if out is not None else ())
    shown = (
        f"{context}\ncommand: greenzone -q {' '.join(map(str, args))}\nexit {code}\nstderr:\n{stderr[-3000:]}"
    )
    assert code in ALLOWED_CODES, f"exit {code} is not in {ALLOWED_CODES}: {shown}"
    assert "Traceback" not in stdout and "Traceback" not in stderr, f"a traceback: {shown}"
    assert "This is a bug" not in stderr, shown
    assert not changes(before, after), f"files outside the output changed: {changes(before, after)}; {shown}"
    if code == 2 and field is not None:
        path, mutation, tree = field
        assert names_field(stderr, path, mutation, tree), (
            f"exit 2 without naming the field (any of {names_of(path, mutation, tree)}): {shown}"
        )
    return code, stdout, stderr


def check_api(call, *, context: str = "") -> Any:
    """Call ``call()`` as the CLI would: a GreenzoneError with exit code 2, 3 or 4 is a refusal; anything
    else escaping is a bug (the CLI's exit 1). Returns the result, or the error."""
    from greenzone.errors import GreenzoneError

    try:
        return call()
    except GreenzoneError as exc:
        assert exc.exit_code in ALLOWED_CODES[1:], (
            f"{context}: {type(exc).__name__} exits {exc.exit_code}: {exc}"
        )
        assert str(exc).strip(), f"{context}: {type(exc).__name__} without a message"
        return exc


# ---------------------------------------------------------------------------------------------- CSV and JSON


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n"


CELL_VALUES = ("inf", "-inf", "nan", "NaN", "text", "", "1e308", "-1e308", "1e400", "-5", "True", '"1,5"')
ROW_MUTATIONS = ("drop_first", "drop_middle", "drop_last", "duplicate", "shuffle", "reverse", "keep_one")
TIME_MUTATIONS = (
    "offset_plus4",
    "offset_utc",
    "iso_t",
    "day_first",
    "unix",
    "text",
    "gap",
    "empty",
    "date_only",
)
ENCODINGS = ("latin1", "binary", "bom", "utf16", "nul", "empty_file", "header_only", "crlf", "no_newline")


def mutate_cell(header, rows, column: int, row: int, value: str):
    rows = [list(r) for r in rows]
    rows[row % len(rows)][column] = value
    return header, rows


def mutate_rows(header, rows, how: str, seed: int = 0):
    import random

    rows = [list(r) for r in rows]
    n = len(rows)
    if how == "drop_first":
        rows = rows[1:]
    elif how == "drop_middle":
        del rows[n // 2]
    elif how == "drop_last":
        rows = rows[:-1]
    elif how == "duplicate":
        rows.insert(n // 2, list(rows[n // 2]))
    elif how == "shuffle":
        times = [r[0] for r in rows]
        random.Random(seed).shuffle(times)
        for r, t in zip(rows, times, strict=True):
            r[0] = t
    elif how == "reverse":
        rows = rows[::-1]
    elif how == "keep_one":
        rows = rows[:1]
    return header, rows


def mutate_times(header, rows, how: str, row: int = 0):
    """Rewrite the time column (first) of every row, or of one row (gap, text, empty)."""
    import pandas as pd

    rows = [list(r) for r in rows]
    for r in rows:
        t = pd.Timestamp(r[0])
        if how == "offset_plus4":
            r[0] = t.strftime("%Y-%m-%dT%H:%M:%S") + "+04:00"
        elif how == "offset_utc":
            r[0] = t.strftime("%Y-%m-%d %H:%M") + "Z"
        elif how == "iso_t":
            r[0] = t.strftime("%Y-%m-%dT%H:%M:%S")
        elif how == "day_first":
            r[0] = t.strftime("%d/%m/%Y %H:%M")
        elif how == "unix":
            r[0] = str(int(t.timestamp()))
        elif how == "date_only":
            r[0] = t.strftime("%Y-%m-%d")
    k = row % len(rows)
    if how == "gap" and len(rows) > 2:
        del rows[k if 0 < k < len(rows) - 1 else 1]
    elif how == "text":
        rows[k][0] = "not a time"
    elif how == "empty":
        rows[k][0] = ""
    return header, rows


def encode(text: str, how: str | None) -> bytes:
    """The bytes of a CSV or JSON text in an encoding (or breakage) ``how``."""
    if how is None:
        return text.encode("utf-8")
    if how == "latin1":
        return text.replace("time", "tïme", 1).encode("latin-1")
    if how == "binary":
        return bytes(range(256)) * 4 + text.encode()[:200]
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if how == "utf16":
        return text.encode("utf-16")
    if how == "nul":
        data = text.encode()
        return data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :]
    if how == "empty_file":
        return b""
    if how == "header_only":
        return text.splitlines()[0].encode() + b"\n"
    if how == "crlf":
        return text.replace("\n", "\r\n").encode()
    if how == "no_newline":
        return text.rstrip("\n").encode()
    raise ValueError(how)
