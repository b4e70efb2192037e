"""Temporal decomposition of the hourly planning LP: regularised Benders with capacities, store levels at
subperiod boundaries and shares of the annual limits in a small master, one dispatch subproblem per week
(and weather year) solved warm on Dask (docs/decomposition.md)."""

from greenzone.optimize.decompose.driver import (
    Decomposition,
    DecompositionResult,
    Progress,
    decompose,
    start_points,
)
from greenzone.optimize.decompose.layout import CAPACITY_BLOCKS, Layout, layout, subperiods
from greenzone.optimize.decompose.master import Master

__all__ = [
    "CAPACITY_BLOCKS",
    "Decomposition",
    "DecompositionResult",
    "Layout",
    "Master",
    "Progress",
    "decompose",
    "layout",
    "start_points",
    "subperiods",
]
