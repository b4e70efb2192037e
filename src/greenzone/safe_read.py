"""The one input policy for the files greenzone reads: how large, what kind of file, which text encoding,
and how YAML is parsed.

- **Size**: a file larger than its limit is refused before it is parsed; at most ``limit + 1`` bytes are
  ever read, so a pipe or ``/proc`` file cannot exhaust memory either. Devices (``/dev/zero``), sockets and
  folders are refused by kind.
- **Text**: UTF-8 (a byte-order mark is allowed); a NUL byte marks a binary file (a spreadsheet, an archive)
  and is refused; an invalid byte is refused with its line.
- **YAML**: the safe loader (plain data only), duplicate keys refused, nesting at most
  :data:`MAX_YAML_DEPTH` deep, at most :data:`MAX_YAML_ALIASES` aliases and :data:`MAX_YAML_NODES` values
  once aliases are expanded (the "billion laughs" bomb), and values PyYAML cannot build (a date such as
  ``2027-13-45``, an integer of thousands of digits) refused with their line.

Every refusal is one error of the caller's class (:class:`~greenzone.errors.ZoneError`,
:class:`~greenzone.errors.WeatherError`, ...) whose message starts with the file and names the fix. Numbers
inside the files must be finite; the CSV helpers here (:func:`read_csv_table`, :func:`parse_numbers`,
:func:`parse_times`) name the line and column of the first bad cell and convert times to naive UTC once.
"""

from __future__ import annotations

import csv
import io
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from greenzone.errors import GreenzoneError

MIB = 1024 * 1024
MAX_TEXT_BYTES = 20 * MIB
"""Largest zone file, climatology or state file [bytes]."""
MAX_SERIES_CSV_BYTES = 256 * MIB
"""Largest hourly series CSV: demand, price, discharge, forecast [bytes] (20 years of hours is ~5 MB)."""
MAX_WEATHER_CSV_BYTES = 1024 * MIB
"""Largest weather CSV [bytes] (20 years x 10 sites of hours is ~100 MB)."""
MAX_YAML_DEPTH = 40
"""Deepest nesting of YAML lists and mappings (a zone file needs 6)."""
MAX_YAML_ALIASES = 1000
"""Most YAML aliases (``*name``) in one file."""
MAX_YAML_NODES = 1_000_000
"""Most YAML values in one file, counting each alias as the values it repeats."""

ErrorType = type[GreenzoneError]


def _megabytes(size: int) -> str:
    return f"{size / MIB:.3g} MB"


def read_bytes(
    path: str | Path, *, what: str, error: ErrorType, limit: int, label: str | None = None
) -> bytes:
    """The contents of ``path``, refused unless it is a file of at most ``limit`` bytes.

    Parameters
    ----------
    what : what the file is, for messages (``"zone file"``, ``"demand CSV"``).
    error : the GreenzoneError subclass to raise.
    limit : largest size allowed [bytes]; at most ``limit + 1`` bytes are read.
    label : how messages start (default the path), e.g. ``"zone.yaml: nodes[0].demand.csv: demand.csv"``.
    """
    path = Path(path)
    label = label or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{label}: no such {what} (file not found); check the path.") from None
    except OSError as exc:
        raise error(f"{label}: cannot read the {what} ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{label}: is a folder, not a {what}; give the path of the file.")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        raise error(f"{label}: is a device or socket, not a {what}; give the path of a file.")
    too_large = (
        f"{label}: the {what} is larger than {_megabytes(limit)}, the most greenzone reads; check that this "
        "is the right file"
    )
    if info.st_size > limit:
        raise error(f"{too_large} (it has {_megabytes(info.st_size)}).")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{label}: cannot read the {what} ({exc.strerror or exc}).") from None
    if len(data) > limit:
        raise error(f"{too_large}.")
    return data


def read_text(path: str | Path, *, what: str, error: ErrorType, limit: int, label: str | None = None) -> str:
    """The contents of ``path`` as UTF-8 text (see :func:`read_bytes`); a binary file or a byte that is not
    UTF-8 is refused, naming its line."""
    data = read_bytes(path, what=what, error=error, limit=limit, label=label)
    label = label or str(path)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise error(
            f"{label}: line {line}: a NUL byte; this is a binary file, not a text {what} (a spreadsheet or an "
            "archive?). Save it as UTF-8 text."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{label}: line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text; save the {what} as UTF-8."
        ) from None


def read_json_object(
    path: str | Path, *, what: str, error: ErrorType, fix: str, limit: int = MAX_TEXT_BYTES
) -> dict:
    """A JSON file that must hold one object (a mapping), read within ``limit`` bytes as UTF-8; anything else
    is refused naming the file, the line and ``fix`` (what to do about it)."""
    import json

    text = read_text(path, what=what, error=error, limit=limit)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f"line {exc.lineno}, column {exc.colno}: " if isinstance(exc, json.JSONDecodeError) else ""
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise error(f"{path}: {where}not valid JSON ({message}); {fix}") from None
    if not isinstance(value, dict):
        raise error(f"{path}: a {what} holds one JSON object {{...}}, not a {type(value).__name__}; {fix}")
    return value


# ---------------------------------------------------------------------------------------------- YAML


class _LimitedLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys and counts nesting depth, aliases and expanded values."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 (PyYAML's signature)
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases (*name)", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        start = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", start
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(node, start)
        return node

    def _count(self, node: yaml.Node, start: yaml.Mark) -> None:
        """Record how many values ``node`` stands for once aliases are expanded; refuse too many."""
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        size = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        if size > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"more than {MAX_YAML_NODES:,} values once aliases are expanded (aliases repeating aliases?)",
                start,
            )
        if children:
            self._sizes[id(node)] = size

    def construct_object(self, node, deep=False):  # noqa: ANN001, ANN201 (PyYAML's signature)
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # a date like 2027-13-45, an integer of 5,000 digits
            reason = str(exc).split("; use sys.set_int_max_str_digits")[0]
            raise yaml.constructor.ConstructorError(
                None, None, f"{_short(node.value)} cannot be read ({reason})", node.start_mark
            ) from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _construct_mapping(loader: _LimitedLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """Build a mapping, refusing duplicate and unhashable keys (PyYAML silently keeps the last duplicate)."""
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a list or mapping used as a key; keys must be plain text or numbers",
                key_node.start_mark,
            ) from None
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, *, label: str, what: str, error: ErrorType) -> Any:
    """Parse YAML ``text`` (from the file ``label``) with the limits of this module; every failure is one
    ``error`` naming the file and the line."""
    try:
        loader = _LimitedLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(f"{label}: {where}not valid YAML: {exc.problem or exc}.") from None
    except yaml.YAMLError as exc:
        raise error(f"{label}: not valid YAML: {exc}.") from None
    except RecursionError:
        raise error(f"{label}: nested too deeply to read; a {what} needs only a few levels.") from None


def load_yaml(path: str | Path, *, what: str, error: ErrorType, limit: int | None = None) -> Any:
    """Read and parse a YAML file under this module's policy (size, kind of file, UTF-8, YAML limits);
    ``limit`` [bytes] defaults to :data:`MAX_TEXT_BYTES`."""
    text = read_text(path, what=what, error=error, limit=MAX_TEXT_BYTES if limit is None else limit)
    return parse_yaml(text, label=str(path), what=what, error=error)


# ---------------------------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvTable:
    """A small CSV file as text cells: its header, each column's cells and each data row's line number."""

    label: str
    """How messages about the file start (the path, with the zone file and field in front when known)."""
    columns: list[str]
    """Header cells, stripped, in file order."""
    cells: dict[str, list[str]]
    """Each column's cells, stripped, one per data row."""
    lines: np.ndarray
    """Line number in the file of each data row."""

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, row: int) -> str:
        """``"<label> line N"`` for data row ``row`` (0-based)."""
        return f"{self.label} line {int(self.lines[row])}"

    def head(self, rows: int) -> CsvTable:
        """The table of its first ``rows`` data rows."""
        cells = {name: values[:rows] for name, values in self.cells.items()}
        return CsvTable(label=self.label, columns=self.columns, cells=cells, lines=self.lines[:rows])


def read_csv_table(
    path: str | Path, *, what: str, error: ErrorType, limit: int | None = None, label: str | None = None
) -> CsvTable:
    """Read a comma-separated file of a header row and data rows into text cells, under the file policy of
    this module (size: ``limit`` [bytes], default :data:`MAX_SERIES_CSV_BYTES`; kind; UTF-8).

    Lines starting with ``#`` and blank lines are skipped; every data row must have as many cells as the
    header, and header names must be unique. Numbers and times are parsed by :func:`parse_numbers` and
    :func:`parse_times`, which name the line of the first bad cell.
    """
    label = label or str(path)
    limit = MAX_SERIES_CSV_BYTES if limit is None else limit
    text = read_text(path, what=what, error=error, limit=limit, label=label)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1  # the line this row started on; the next row's
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                header = cells
                _check_header(header, label, line, what, error)
                continue
            if len(cells) != len(header):
                raise error(
                    f"{label} line {line}: {len(cells)} cells, but the header has {len(header)} "
                    f"({', '.join(header)}); write one cell per column, separated by commas."
                )
            rows.append(cells)
            lines.append(line)
    except csv.Error as exc:
        raise error(
            f'{label} line {start}: cannot be read as CSV ({exc}); is a quote (") left open?'
        ) from None
    if header is None:
        raise error(f"{label}: the {what} is empty; it needs a header row and one row per hour.")
    cells_by_column = {name: [row[j] for row in rows] for j, name in enumerate(header)}
    return CsvTable(label=label, columns=header, cells=cells_by_column, lines=np.asarray(lines, dtype=int))


def _check_header(header: list[str], label: str, line: int, what: str, error: ErrorType) -> None:
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        sep = "';'" if ";" in header[0] else "tabs"
        raise error(f"{label} line {line}: the columns are separated by {sep}; separate them by commas.")
    if any(not name for name in header):
        raise error(
            f"{label} line {line}: the header has an empty column name; name every column of the {what}."
        )
    seen = set()
    for name in header:
        if name in seen:
            raise error(
                f"{label} line {line}: column '{name}' appears twice in the header; name each column once."
            )
        seen.add(name)


def parse_numbers(table: CsvTable, column: str, *, unit: str, error: ErrorType) -> np.ndarray:
    """The cells of ``column`` as finite floats [``unit``]; an empty cell, text, ``inf`` or ``nan`` is refused
    naming its line and column, and how many such cells the column has."""
    text = pd.Series(table.cells[column], dtype=object)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raw = table.cells[column][row]
        if raw == "":
            problem = "is empty"
        elif np.isnan(numbers[row]) and raw.lower() not in ("nan", "na", "n/a", "null", "none"):
            problem = f": '{_cell(raw)}' is not a number"
        else:
            problem = f": '{_cell(raw)}' is not a finite number"
        count = int(bad.sum())
        raise error(
            f"{table.line(row)}: column '{column}'{'' if problem.startswith(':') else ' '}{problem}"
            + (f" ({count} such cells in this column)" if count > 1 else "")
            + f"; write a number in [{unit}] in every row (greenzone does not fill gaps)."
        )
    return numbers


def _cell(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


TIME_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
"""A time that ends in an explicit UTC offset (``...+04:00``, ``...Z``)."""


FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Years a time in an input file may fall in (weather records to the end of any pathway)."""


def parse_times(table: CsvTable, column: str, *, timezone: str | None, error: ErrorType) -> pd.DatetimeIndex:
    """The cells of ``column`` as timezone-naive UTC times, converted once, here.

    Times with a UTC offset (``2027-01-01 00:00+04:00``) are converted to UTC; times without one are local
    times of ``timezone`` (an IANA name), or UTC when ``timezone`` is None. All times of one file must be
    written the same way; a local time that a daylight-saving change makes ambiguous or impossible is refused,
    with the fix: write the times with their UTC offset.
    """
    text = pd.Series(table.cells[column], dtype=object)
    with_offset = text.str.contains(TIME_OFFSET).to_numpy(dtype=bool)
    if with_offset.any() and not with_offset.all():
        first_with, first_without = int(np.flatnonzero(with_offset)[0]), int(np.flatnonzero(~with_offset)[0])
        raise error(
            f"{table.line(first_with)}: '{text[first_with]}' has a UTC offset, but line "
            f"{table.lines[first_without]} ('{text[first_without]}') has none; write every time the same way."
        )
    offsets = bool(with_offset.all()) and len(text) > 0
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=offsets)
    if parsed.isna().any():  # not ISO 8601 throughout: let pandas infer one format for the column
        parsed = pd.to_datetime(text, errors="coerce", utc=offsets)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise error(
            f"{table.line(row)}: column '{column}': '{_cell(text[row])}' is not a time; write times such as "
            f"'2027-01-01 13:00' or '2027-01-01 13:00+04:00' ({int(bad.sum())} bad time(s) in all)."
        )
    years = pd.DatetimeIndex(parsed).year.to_numpy()
    outside = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise error(
            f"{table.line(row)}: column '{column}': '{_cell(text[row])}' reads as the year {years[row]}, outside "
            f"{FIRST_YEAR}–{LAST_YEAR}; write times such as '2027-01-01 13:00' or '2027-01-01 13:00+04:00'."
        )
    times = pd.DatetimeIndex(parsed)
    if offsets:
        return times.tz_convert("UTC").tz_localize(None).as_unit("ns")
    if timezone is None:
        return times.as_unit("ns")
    try:
        local = times.tz_localize(timezone, ambiguous="infer", nonexistent="raise")
    except (ValueError, TypeError) as exc:  # pandas' AmbiguousTimeError and NonExistentTimeError
        raise error(
            f"{table.label}: column '{column}': local times cannot be converted to UTC in {timezone} ({exc}); near "
            "a daylight-saving change write the times with their UTC offset, e.g. '2027-03-28 02:00+04:00'."
        ) from None
    return local.tz_convert("UTC").tz_localize(None).as_unit("ns")


def read_hourly_series(
    path: str | Path,
    *,
    timezone: str | None,
    column: str,
    unit: str,
    label: str,
    error: ErrorType,
    minimum: float | None = None,
) -> pd.Series:
    """An hourly series from a CSV with columns ``time`` and ``column`` [``unit``]: finite values (at least
    ``minimum``) on a timezone-naive UTC index, one row per hour without gaps or repeats (see
    :func:`parse_times` for local times and UTC offsets). Messages start with ``label``."""
    table = read_csv_table(path, what="CSV", error=error, limit=MAX_SERIES_CSV_BYTES, label=label)
    missing = [name for name in ("time", column) if name not in table.columns]
    if missing:
        raise error(
            f"{table.label}: needs columns 'time' ({'local time' if timezone else 'UTC'}) and '{column}' [{unit}]; "
            f"lacks {', '.join(repr(m) for m in missing)} (has {', '.join(table.columns)})."
        )
    if not len(table):
        raise error(f"{table.label}: has a header but no rows; give one row per hour.")
    utc = parse_times(table, "time", timezone=timezone, error=error)
    values = parse_numbers(table, column, unit=unit, error=error)
    if minimum is not None and (values < minimum).any():
        row = int(np.flatnonzero(values < minimum)[0])
        raise error(f"{table.line(row)}: '{column}' is {values[row]:g}; it must be >= {minimum:g} {unit}.")
    _check_hourly(table, utc, error)
    return pd.Series(values, index=utc)


def _check_hourly(table: CsvTable, utc: pd.DatetimeIndex, error: ErrorType) -> None:
    """Refuse repeated hours and steps other than one hour, naming the line."""
    if utc.has_duplicates:
        row = int(np.flatnonzero(utc.duplicated())[0])
        raise error(
            f"{table.line(row)}: {utc[row]} UTC appears twice; give each hour once (near a daylight-saving "
            "change, write the times with their UTC offset)."
        )
    steps = np.diff(utc.asi8) // 10**9 if len(utc) > 1 else np.array([], dtype=np.int64)
    if (steps != 3600).any():
        row = int(np.flatnonzero(steps != 3600)[0]) + 1
        raise error(
            f"{table.line(row)}: hourly values needed with no gaps, in time order; the step from the row before "
            f"is {steps[row - 1] / 3600:g} h, not 1 h."
        )
