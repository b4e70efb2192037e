"""One sweep case: a pure function of its zone and run options (the weather seed is a zone field), run on a
Dask worker or anywhere else.

:func:`run_case` makes the zone's weather and profiles, plans (or plans the pathway) with one HiGHS thread,
and returns the key figures and the result dataset as netCDF bytes, so that the process that owns the sweep
folder writes them (a worker needs no access to it). A case the zone cannot satisfy (an infeasible zone, a
weather or zone problem, a solver that stops short of an optimum) is returned as failed with greenzone's
message: it would fail the same way every time. Any other exception propagates, so that Dask retries it.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from greenzone.errors import GreenzoneError
from greenzone.zone.schema import Zone

Kind = Literal["plan", "pathway"]


@dataclass(frozen=True)
class RunOptions:
    """What every case of a sweep runs.

    Parameters
    ----------
    kind : ``"plan"`` (:func:`greenzone.plan`) or ``"pathway"`` (:func:`greenzone.pathway`).
    hours : plan on the first N hours only, hourly, annualised; None for the whole weather.
    typical_days : plan on N typical days (each period's, for a pathway); None for every hour.
    method : HiGHS method (:class:`~greenzone.optimize.solve.SolverOptions`).
    time_limit_s : solver time limit per case [s]; None for none.
    myopic : a pathway planned period by period.
    threads : HiGHS threads per case (1: one case per core).
    """

    kind: Kind = "plan"
    hours: int | None = None
    typical_days: int | None = 16
    method: str = "ipm"
    time_limit_s: float | None = None
    myopic: bool = False
    threads: int = 1

    def record(self) -> dict[str, Any]:
        """The options as plain data (for the cache key and case.json)."""
        return asdict(self)

    @property
    def result_file(self) -> str:
        """The result dataset's file name in a case folder."""
        return "plan.nc" if self.kind == "plan" else "pathway.nc"


def run_case(zone: Zone, options: RunOptions) -> dict[str, Any]:
    """Run one case.

    Returns
    -------
    dict with ``status`` (``"done"`` or ``"failed"``), ``time_s`` (wall-clock time of the case [s]),
    ``kpis`` (the key figures, as ``greenzone.kpis`` or ``pathway_kpis`` give them) and ``netcdf`` (the plan or
    pathway dataset as netCDF-4 bytes) when done, ``error`` (greenzone's message) and ``error_type`` when failed.
    """
    start = time.perf_counter()
    try:
        result, figures = _pathway(zone, options) if options.kind == "pathway" else _plan(zone, options)
    except GreenzoneError as exc:
        return {
            "status": "failed",
            "error": str(exc),
            "error_type": type(exc).__name__,
            "time_s": time.perf_counter() - start,
        }
    data = _netcdf_bytes(result)
    return {"status": "done", "kpis": figures, "netcdf": data, "time_s": time.perf_counter() - start}


def _solver_options(options: RunOptions):
    from greenzone.optimize.solve import SolverOptions

    return SolverOptions(method=options.method, time_limit_s=options.time_limit_s, threads=options.threads)


def _plan(zone: Zone, options: RunOptions):
    """A plan of the case's zone and its key figures."""
    from greenzone.kpi import kpis
    from greenzone.planning import plan
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    prof = profiles(zone, load_weather(zone))
    if options.hours is not None:
        prof = prof.isel(time=slice(0, options.hours))
    result = plan(zone, prof, typical_days=options.typical_days, options=_solver_options(options))
    return result, kpis(result, zone)


def _pathway(zone: Zone, options: RunOptions):
    """A pathway of the case's zone and its key figures."""
    from greenzone.pathway_output import pathway_kpis
    from greenzone.pathway_planning import pathway, pathway_profiles
    from greenzone.weather import load_weather

    weather = load_weather(zone)
    if options.hours is not None:
        weather = weather.isel(time=slice(0, options.hours))
    result = pathway(
        zone,
        pathway_profiles(zone, weather),
        myopic=options.myopic,
        typical_days=options.typical_days,
        options=_solver_options(options),
    )
    result.attrs["synthetic"] = int(weather.attrs.get("synthetic", 0))
    result.attrs["weather_title"] = str(weather.attrs.get("title", ""))
    return result, pathway_kpis(result)


def _netcdf_bytes(ds) -> bytes:
    """``ds`` as netCDF-4 bytes, every numeric variable zlib-compressed (a Karabakh plan on 16 typical days,
    expanded to 8,760 hours: 31 MB plain, 1.2 MB compressed, read back identical), written to a temporary file
    since xarray writes netCDF-4 only to files."""
    import numpy as np

    encoding = {
        name: {"zlib": True, "complevel": 4}
        for name, variable in ds.data_vars.items()
        if np.issubdtype(variable.dtype, np.number)
    }
    with tempfile.TemporaryDirectory(prefix="greenzone-case-") as folder:
        path = Path(folder) / "result.nc"
        ds.to_netcdf(path, encoding=encoding)
        return path.read_bytes()
