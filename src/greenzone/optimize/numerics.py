"""Coefficient ranges of a linear program, and the blocks that stretch them.

HiGHS's simplex and (even more) interior-point solvers slow down or stall when the magnitudes in an LP span
many orders. greenzone keeps every magnitude within about 1e-3 … 1e6 by its choice of units (MW, MWh, USD or
kUSD); :func:`check_numerics` measures the ranges of an LP's matrix coefficients, bounds, right-hand sides and
costs, and names the block (constraint family or variable family) behind each value outside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from greenzone.optimize.lp import LinearProgram

__all__ = ["NumericsReport", "ValueRange", "check_numerics", "clean_small_coefficients"]

#: HiGHS treats bounds and right-hand sides at or beyond this magnitude as infinite (option ``infinite_bound``)
#: and costs at or beyond it as infinite (``infinite_cost``).
HIGHS_INFINITE = 1e20


@dataclass(frozen=True)
class ValueRange:
    """Smallest and largest magnitude of one kind of value, and where each comes from.

    Attributes
    ----------
    low, high : float
        Smallest and largest absolute value (zeros and infinities left out).
    low_block, high_block : str
        The block holding each: a variable or constraint block name, or ``"constraint × variable"`` for
        matrix coefficients.
    count_low, count_high : int
        How many values lie below / above the thresholds :func:`check_numerics` was given.
    """

    low: float
    high: float
    low_block: str
    high_block: str
    count_low: int = 0
    count_high: int = 0

    @property
    def ratio(self) -> float:
        """``high / low``: how many orders of magnitude the values span, as a factor."""
        return self.high / self.low


@dataclass(frozen=True)
class NumericsReport:
    """Ranges of an LP's magnitudes, overall and per block, with warnings for values out of range.

    Attributes
    ----------
    matrix, bounds, rhs, costs : ValueRange or None
        Overall range of |matrix coefficients|, |finite column bounds|, |finite right-hand sides| and
        |costs| (non-zero values only); ``None`` when there are none.
    by_block : dict of str to dict of str to ValueRange
        The same for each quantity (``"matrix"``, ``"bounds"``, ``"rhs"``, ``"costs"``) and block: matrix
        ranges are per constraint block.
    warnings : tuple of str
        One line per block and quantity outside the thresholds, naming the block and how to fix it.
    low, high : float
        The thresholds used.
    """

    matrix: ValueRange | None
    bounds: ValueRange | None
    rhs: ValueRange | None
    costs: ValueRange | None
    by_block: dict[str, dict[str, ValueRange]]
    warnings: tuple[str, ...]
    low: float
    high: float

    @property
    def ok(self) -> bool:
        """True when every magnitude lies within the thresholds."""
        return not self.warnings

    def __str__(self) -> str:
        lines = ["Coefficient ranges (|value|, non-zero, finite):"]
        for name in ("matrix", "bounds", "rhs", "costs"):
            rng = getattr(self, name)
            if rng is None:
                lines.append(f"  {name:<7} none")
            else:
                lines.append(
                    f"  {name:<7} [{rng.low:.1e}, {rng.high:.1e}]  smallest in {rng.low_block}, "
                    f"largest in {rng.high_block}"
                )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


_HINT_SMALL = {
    "matrix": "drop tiny coefficients with clean_small_coefficients (e.g. capacity factors) or change the "
    "unit of one side",
    "bounds": "set such bounds to 0 or change the variable's unit",
    "rhs": "set such right-hand sides to 0 or change the row's unit",
    "costs": "drop costs this small or change the cost unit",
}
_HINT_LARGE = {
    "matrix": "change units so the row and its variables have similar magnitudes (e.g. GW, GWh)",
    "bounds": "use numpy.inf for 'no bound' rather than a big number, or change the variable's unit",
    "rhs": "use numpy.inf for an inactive row, or change the row's unit",
    "costs": "express costs in kUSD or MUSD rather than USD",
}


def check_numerics(lp: LinearProgram, *, low: float = 1e-3, high: float = 1e6) -> NumericsReport:
    """Measure the magnitudes of an LP's coefficients and name the blocks outside ``[low, high]``.

    Parameters
    ----------
    lp : LinearProgram
        The problem.
    low, high : float
        Smallest and largest magnitude considered well scaled (default 1e-3 and 1e6).

    Returns
    -------
    NumericsReport
        Overall and per-block ranges, and one warning per block and quantity out of range.
    """
    if not 0 < low < high:
        raise ValueError(f"thresholds must satisfy 0 < low < high, got low={low}, high={high}")
    by_block: dict[str, dict[str, ValueRange]] = {"matrix": {}, "bounds": {}, "rhs": {}, "costs": {}}

    matrix = lp.matrix
    column_blocks = list(lp.variables.values())
    column_starts = np.array([b.offset for b in column_blocks], dtype=np.int64)
    for block in lp.constraints.values():
        start, stop = matrix.indptr[block.offset], matrix.indptr[block.offset + block.size]
        values = np.abs(matrix.data[start:stop])
        columns = matrix.indices[start:stop]
        keep = values > 0
        if not keep.any():
            continue
        values, columns = values[keep], columns[keep]
        i_low, i_high = int(np.argmin(values)), int(np.argmax(values))
        owner = np.searchsorted(column_starts, columns[[i_low, i_high]], side="right") - 1
        by_block["matrix"][block.name] = ValueRange(
            float(values[i_low]),
            float(values[i_high]),
            f"{block.name} × {column_blocks[int(owner[0])].name}",
            f"{block.name} × {column_blocks[int(owner[1])].name}",
            int((values < low).sum()),
            int((values > high).sum()),
        )

    for block in lp.variables.values():
        sl = slice(block.offset, block.offset + block.size)
        _add(by_block["bounds"], block.name, (lp.col_lower[sl], lp.col_upper[sl]), low, high)
        _add(by_block["costs"], block.name, (lp.col_cost[sl],), low, high)
    for block in lp.constraints.values():
        sl = slice(block.offset, block.offset + block.size)
        _add(by_block["rhs"], block.name, (lp.row_lower[sl], lp.row_upper[sl]), low, high)

    overall = {name: _overall(ranges.values()) for name, ranges in by_block.items()}
    warnings = []
    for name, ranges in by_block.items():
        what = {
            "matrix": "matrix coefficients",
            "bounds": "bounds",
            "rhs": "right-hand sides",
            "costs": "costs",
        }[name]
        kind = "constraint block" if name in ("matrix", "rhs") else "variable block"
        for block_name, rng in ranges.items():
            if rng.count_low:
                where = rng.low_block if name == "matrix" else block_name
                warnings.append(
                    f"{what} as small as {rng.low:.2g} in {kind} {block_name!r} ({rng.count_low} below "
                    f"{low:.0e}; smallest at {where}): {_HINT_SMALL[name]}"
                )
            if rng.count_high:
                where = rng.high_block if name == "matrix" else block_name
                note = ""
                if name != "matrix" and rng.high >= HIGHS_INFINITE:
                    note = f"; HiGHS treats values of {HIGHS_INFINITE:.0e} or more as infinite"
                warnings.append(
                    f"{what} as large as {rng.high:.2g} in {kind} {block_name!r} ({rng.count_high} above "
                    f"{high:.0e}; largest at {where}){note}: {_HINT_LARGE[name]}"
                )
    return NumericsReport(
        matrix=overall["matrix"],
        bounds=overall["bounds"],
        rhs=overall["rhs"],
        costs=overall["costs"],
        by_block=by_block,
        warnings=tuple(warnings),
        low=low,
        high=high,
    )


def _add(
    ranges: dict[str, ValueRange], name: str, arrays: tuple[np.ndarray, ...], low: float, high: float
) -> None:
    values = np.abs(np.concatenate(arrays))
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        ranges[name] = ValueRange(
            float(values.min()),
            float(values.max()),
            name,
            name,
            int((values < low).sum()),
            int((values > high).sum()),
        )


def _overall(ranges: Iterable[ValueRange]) -> ValueRange | None:
    ranges = list(ranges)
    if not ranges:
        return None
    smallest = min(ranges, key=lambda r: r.low)
    largest = max(ranges, key=lambda r: r.high)
    return ValueRange(
        smallest.low,
        largest.high,
        smallest.low_block,
        largest.high_block,
        sum(r.count_low for r in ranges),
        sum(r.count_high for r in ranges),
    )


def clean_small_coefficients(array, threshold: float = 1e-3):
    """Set values whose magnitude is below ``threshold`` to 0.

    Used for capacity factors before they enter availability rows ``p ≤ cf · P``: a capacity factor of
    1e-5 [-] makes a matrix coefficient five orders of magnitude below its neighbours, which slows HiGHS down,
    while setting it to 0 forgoes at most ``threshold · P`` [MW] of output in that hour.

    Parameters
    ----------
    array : numpy.ndarray or xarray.DataArray
        Values (e.g. capacity factors [-]); NaN stays NaN.
    threshold : float
        Magnitude below which a value becomes 0 (default 1e-3).

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        A new array of the same type, shape (and labels); the input is not changed.
    """
    if not threshold >= 0:
        raise ValueError(f"threshold must be a non-negative number, got {threshold!r}")
    values = np.asarray(array, dtype=float)
    cleaned = np.where(np.abs(values) < threshold, 0.0, values)
    if hasattr(array, "dims") and hasattr(array, "copy"):  # xarray keeps its labels
        return array.copy(data=cleaned)
    return cleaned
