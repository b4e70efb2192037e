"""A tiny LP with a known optimum, shared by the LP-layer tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from greenzone.optimize.lp import LinearProgram

TIME = pd.date_range("2030-01-01", periods=3, freq="h")


def dispatch_lp() -> LinearProgram:
    """Solar (capacity to build) and gas meeting 10 MW in each of 3 hours; optimum 2100 (see test_solve)."""
    lp = LinearProgram()
    capacity = lp.add_variables("capacity", coords={"tech": ["solar"]}, cost=60.0)
    dispatch = lp.add_variables(
        "dispatch",
        coords={"tech": ["solar", "gas"], "time": TIME},
        upper=np.array([[np.inf] * 3, [20.0] * 3]),
        cost=np.array([[0.0] * 3, [100.0] * 3]),
    )
    lp.add_constraints(
        "balance", coords={"time": TIME}, terms=[(1.0, dispatch.index.T)], sense="==", rhs=10.0
    )
    cf = np.array([[1.0, 0.5, 0.0]])
    lp.add_constraints(
        "availability",
        coords={"tech": ["solar"], "time": TIME},
        terms=[(1.0, dispatch.index[[0], :]), (-cf, np.broadcast_to(capacity.index[:, None], (1, 3)))],
        sense="<=",
        rhs=0.0,
    )
    return lp
