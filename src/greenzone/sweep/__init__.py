"""Scenario sweeps: the same zone under many assumptions, each case a Dask task, results cached by content.

``read_sweep(sweep.yaml)`` expands a sweep file into cases (:mod:`greenzone.sweep.spec`), ``run_sweep``
computes what the cache lacks on a Dask cluster (:mod:`greenzone.sweep.run`) and writes the catalog, one
Parquet table of every case (:mod:`greenzone.sweep.catalog`)::

    sweep = read_sweep("sweep.yaml")
    outcome = run_sweep(sweep, "out/sweep")           # a local cluster: one worker per core
    table = pandas.read_parquet("out/sweep/catalog.parquet")
"""

from greenzone.sweep.case import RunOptions, run_case
from greenzone.sweep.catalog import read_catalog
from greenzone.sweep.run import SweepOutcome, run_sweep
from greenzone.sweep.spec import Case, Sweep, SweepError, read_sweep

__all__ = [
    "Case",
    "RunOptions",
    "Sweep",
    "SweepError",
    "SweepOutcome",
    "read_catalog",
    "read_sweep",
    "run_case",
    "run_sweep",
]
