"""The renewable share and CO2 cap over rolling windows: each window's allowance of the year's limit.

:func:`greenzone.operate.operate` with ``hold_limits=True`` keeps the zone's renewable share and CO2 cap over
the operated hours as it keeps fuel budgets: what the year may use of each limit (fossil output,
non-renewable imports and (1 − R) × unserved load [MWh] under the share; cap·T/8760 [t CO2] under the cap) is
handed to the windows pro rata to the plan's own use of it in their hours, and what a window's committed
hours used is taken off. The window LP (:class:`greenzone.operate.window.OperationModel`) takes the allowance
as its limit rows' right-hand sides, with a priced excess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from greenzone.operate.window import unit_series
from greenzone.optimize.formulation.policy import FOSSIL_KINDS
from greenzone.zone.schema import Zone

__all__ = ["LimitGuidance"]


@dataclass
class LimitGuidance:
    """The renewable share and CO2 cap handed to the windows pro rata to the plan's use of each (module
    docstring): ``use`` (limit, hour) the plan's use [MWh, t CO2], ``left`` what the year may still
    use, ``excess`` what windows used beyond their allowance."""

    rows: list[str]
    weights: dict[str, tuple[np.ndarray, float, float]]
    use: np.ndarray
    left: np.ndarray
    excess: dict[str, float]

    @classmethod
    def of(cls, zone: Zone, dispatch, capacities, profiles, d, hold: bool) -> LimitGuidance:
        """The limits ``zone`` sets (none unless ``hold``) for model data ``d``; the plan's use from its
        hourly ``dispatch`` (time, node, technology) [MW] where ``capacities`` is a Plan on the profiles'
        hours, else (``dispatch`` None) uniform."""
        time = pd.DatetimeIndex(profiles.indexes["time"])
        n_t, policy = len(time), zone.policy
        fossil = np.array([k in FOSSIL_KINDS for k in d.gen_kind], dtype=float)
        weights, budgets = {}, []
        if hold and policy.renewable_share_min is not None:
            share = float(policy.renewable_share_min)
            weights["renewable_share"] = (fossil, 1.0 - d.import_renewable_share, 1.0 - share)
            budgets.append((1.0 - share) * float(profiles["demand"].sum()))
        if hold and policy.co2_cap_t is not None:
            weights["co2_cap"] = (np.asarray(d.gen_emission, dtype=float), float(d.import_emission), 0.0)
            budgets.append(float(policy.co2_cap_t) * n_t / 8760.0)
        rows = list(weights)
        use = np.ones((len(rows), n_t))
        if rows and dispatch is not None:
            planned = {
                "dispatch": unit_series(dispatch, d.gen_labels, "technology"),
                "grid_import": capacities["grid_import"].values
                if "grid_import" in capacities
                else np.zeros(n_t),
                "unserved": capacities["unserved"].transpose("node", "time").values,
            }
            use = np.stack([_limit_use(weights[row], planned, slice(None)) for row in rows])
        return cls(rows, weights, use, np.array(budgets), dict.fromkeys(rows, 0.0))

    def allowance(self, start: int, horizon: int) -> dict[str, float] | None:
        """What the window from ``start`` may use of each limit: what is left times the plan's use in the
        window's hours over its use in all hours still to come."""
        if not self.rows:
            return None
        rest = self.use[:, start:].sum(axis=1)
        in_window = self.use[:, start : start + horizon].sum(axis=1)
        share = np.divide(in_window, rest, out=np.ones_like(rest), where=rest > 0)
        allowed = np.maximum(self.left, 0.0) * np.minimum(share, 1.0)
        return dict(zip(self.rows, allowed.tolist(), strict=True))

    def spend(self, rec: dict[str, np.ndarray], hours: slice, excess: dict[str, float]) -> None:
        """Take the settled use of the committed ``hours`` off what is left; add the window's ``excess``
        over its allowance [MWh, t CO2] of each limit held."""
        for k, row in enumerate(self.rows):
            self.left[k] -= _limit_use(self.weights[row], rec, hours).sum()
            self.excess[row] += excess.get(row, 0.0)

    def attrs(self) -> dict[str, float]:
        """The Operation's record: ``limit_excess_<row>`` [MWh, t CO2 over the operated hours]."""
        return {f"limit_excess_{row}": float(value) for row, value in self.excess.items()}


def _limit_use(weights, rec: dict[str, np.ndarray], hours: slice) -> np.ndarray:
    """Hourly use of one limit [MWh/h or t CO2/h]: generator weights · dispatch + import weight · imports +
    unserved weight · Σ_nodes unserved."""
    gen, imports, unserved = weights
    out = gen @ rec["dispatch"][:, hours] + imports * np.asarray(rec["grid_import"])[hours]
    return out + unserved * rec["unserved"][:, hours].sum(axis=0)
