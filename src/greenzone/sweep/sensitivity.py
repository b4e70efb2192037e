"""Which assumption moves which answer: a sweep's catalog turned into a tornado and rank correlations.

- :func:`tornado`: for one key figure, each parameter's main effect, the mean of the key figure over the
  cases at each of the parameter's values (the other parameters averaged over), from its lowest to its
  highest mean; the parameters sorted by that swing, the largest first. Meant for grid sweeps, where every
  value meets every other; for sampled sweeps (every value distinct) use the rank correlations.
- :func:`rank_correlations`: Spearman's rank correlation [-] of every parameter with every key figure over
  the cases that are done (+1: the figure rises with the parameter in every case, 0: no monotone relation).

Both read the catalog (:mod:`greenzone.sweep.catalog`), whose ``attrs["parameters"]`` names the parameter
columns; failed and pending cases are left out.
"""

from __future__ import annotations

import pandas as pd

DEFAULT_KPIS = (
    "total_cost_usd_per_year",
    "lcoe_usd_per_mwh",
    "renewable_share",
    "grid_export_mwh",
    "unserved_energy_mwh",
    "land_used_km2",
)
"""Key figures the sensitivity shows unless asked for others."""


def _done(catalog: pd.DataFrame) -> pd.DataFrame:
    return catalog[catalog["status"] == "done"]


def parameter_columns(catalog: pd.DataFrame) -> list[str]:
    """The catalog's parameter columns (as the sweep named them)."""
    return [c for c in catalog.attrs.get("parameters", []) if c in catalog.columns]


def tornado(catalog: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Each parameter's swing of ``kpi``: columns ``low_value``, ``low`` (the smallest mean of ``kpi`` over the
    cases at one value), ``high_value``, ``high`` (the largest mean), ``swing`` (high - low), in ``kpi``'s unit,
    sorted by swing, largest first; one row per parameter that takes more than one value."""
    done = _done(catalog)
    rows = []
    for name in parameter_columns(catalog):
        means = done.groupby(name)[kpi].mean()
        if len(means) < 2:
            continue
        rows.append(
            {
                "parameter": name,
                "low_value": means.idxmin(),
                "low": float(means.min()),
                "high_value": means.idxmax(),
                "high": float(means.max()),
                "swing": float(means.max() - means.min()),
            }
        )
    frame = pd.DataFrame(rows, columns=["parameter", "low_value", "low", "high_value", "high", "swing"])
    return frame.sort_values("swing", ascending=False, kind="stable").set_index("parameter")


def rank_correlations(
    catalog: pd.DataFrame, kpis: list[str] | tuple[str, ...] = DEFAULT_KPIS
) -> pd.DataFrame:
    """Spearman's rank correlation [-] of each parameter (rows) with each key figure (columns) over the done
    cases; NaN where either does not vary."""
    done = _done(catalog)
    names = [n for n in parameter_columns(catalog) if pd.api.types.is_numeric_dtype(done[n])]
    figures = [k for k in kpis if k in done.columns and pd.api.types.is_numeric_dtype(done[k])]
    table = pd.DataFrame(index=pd.Index(names, name="parameter"), columns=figures, dtype=float)
    for name in names:
        for kpi in figures:
            pair = done[[name, kpi]].dropna()
            if pair[name].nunique() > 1 and pair[kpi].nunique() > 1:
                table.loc[name, kpi] = float(pair[name].rank().corr(pair[kpi].rank()))
    return table
