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
    adequacy_years : after a plan, dispatch its fleet over this many weather years
        (:func:`greenzone.adequacy.assess`, in the case's own process; synthetic years of the case's zone, or
        the whole years of its weather file); None for no adequacy study.
    outages : the adequacy study draws random forced outages.
    outage_seed : seed of those outages.
    report : render the case's own report.html (a plan's or a pathway's page; its plotly.js shared from the
        sweep folder); a presentation option, not part of the case's hash.
    """

    kind: Kind = "plan"
    hours: int | None = None
    typical_days: int | None = 16
    method: str = "ipm"
    time_limit_s: float | None = None
    myopic: bool = False
    threads: int = 1
    adequacy_years: int | None = None
    outages: bool = False
    outage_seed: int = 0
    report: bool = True

    def record(self) -> dict[str, Any]:
        """The options that make the result, as plain data (for the cache key and case.json); the adequacy
        options only when there is an adequacy study, so that plans cached before they existed keep their
        hash."""
        record = asdict(self)
        del record["report"]
        if self.adequacy_years is None:
            for name in ("adequacy_years", "outages", "outage_seed"):
                del record[name]
        return record

    @property
    def result_file(self) -> str:
        """The result dataset's file name in a case folder."""
        return "plan.nc" if self.kind == "plan" else "pathway.nc"


PLOTLY_FILE = "plotly.min.js"
"""The copy of plotly.js in a sweep folder that every case's report.html loads (``cases/<hash>/report.html``)."""


def run_case(zone: Zone, options: RunOptions) -> dict[str, Any]:
    """Run one case.

    Returns
    -------
    dict with ``status`` (``"done"`` or ``"failed"``), ``time_s`` (wall-clock time of the case [s]),
    ``kpis`` (the key figures, as ``greenzone.kpis`` or ``pathway_kpis`` give them, with an ``adequacy`` entry
    after an adequacy study) and ``netcdf`` (the plan or pathway dataset as netCDF-4 bytes) and ``files``
    (further files of the case folder by name: ``adequacy.json``, ``adequacy.nc``, ``report.html``) when done;
    ``error`` (greenzone's message) and ``error_type`` when failed.
    """
    start = time.perf_counter()
    files: dict[str, bytes] = {}
    try:
        if options.kind == "pathway":
            result, figures = _pathway(zone, options)
            if options.report:
                files["report.html"] = _pathway_report(zone, result, figures).encode("utf-8")
        else:
            result, figures = _plan(zone, options)
            adequacy = None
            if options.adequacy_years:
                study = _adequacy(zone, result, options)
                figures["adequacy"] = adequacy_figures(study.summary)
                written, adequacy = _adequacy_files(study)
                files.update(written)
            if options.report:
                files["report.html"] = _report(zone, result, figures, adequacy).encode("utf-8")
    except GreenzoneError as exc:
        return {
            "status": "failed",
            "error": str(exc),
            "error_type": type(exc).__name__,
            "time_s": time.perf_counter() - start,
        }
    data = _netcdf_bytes(result)
    return {
        "status": "done",
        "kpis": figures,
        "netcdf": data,
        "files": files,
        "time_s": time.perf_counter() - start,
    }


ADEQUACY_TIMING = ("run_time_s", "year_time_s", "workers", "parallel_efficiency")
"""Adequacy figures that describe the machine, not the case (left out of the case's key figures)."""


def adequacy_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The numbers of an adequacy summary (LOLE [h/yr], EUE [MWh/yr], LOLP [-], years with loss of load, the
    spreads), for a case's key figures and the catalog's ``adequacy.*`` columns (adequacy.json has the rest)."""
    out: dict[str, Any] = {}
    for name, value in summary.items():
        if name in ADEQUACY_TIMING:
            continue
        if isinstance(value, dict) and value and all(_number(v) for v in value.values()):
            out[name] = dict(value)
        elif _number(value):
            out[name] = value
    return out


def _number(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float))


def _adequacy(zone: Zone, planned, options: RunOptions):
    """The plan's fleet over the case's weather years, in this process (a case is one task)."""
    from greenzone.adequacy import assess, zone_years

    years, _ = zone_years(zone, options.adequacy_years)
    return assess(zone, planned, years, outages=options.outages, seed=options.outage_seed, workers=1)


def _adequacy_files(study):
    """adequacy.json and adequacy.nc as :func:`greenzone.adequacy.write_adequacy` writes them (name → bytes),
    and the two read back as the report reads an adequacy folder."""
    from greenzone.adequacy import write_adequacy
    from greenzone.report.adequacy import read_adequacy_folder

    with tempfile.TemporaryDirectory(prefix="greenzone-case-") as folder:
        paths = write_adequacy(study, folder)
        return {path.name: path.read_bytes() for path in paths}, read_adequacy_folder(folder)


def _report(zone: Zone, planned, figures: dict[str, Any], adequacy) -> str:
    """The case's report.html, as `greenzone run` writes it (with the Adequacy section after a study), loading
    the sweep folder's shared plotly.js."""
    from greenzone.report import render_report

    return render_report(planned, figures, zone, adequacy=adequacy, plotly_src=f"../../{PLOTLY_FILE}")


def _pathway_report(zone: Zone, result, figures: dict[str, Any]) -> str:
    """The case's report.html, the page `greenzone pathway` writes, loading the sweep folder's plotly.js."""
    from greenzone.report.pathway_page import pathway_page

    return pathway_page(result, figures, zone, plotly_src=f"../../{PLOTLY_FILE}")


def _solver_options(options: RunOptions):
    from greenzone.optimize.solve import SolverOptions

    return SolverOptions(method=options.method, time_limit_s=options.time_limit_s, threads=options.threads)


def _plan(zone: Zone, options: RunOptions):
    """A plan of the case's zone and its key figures."""
    from greenzone.kpi import kpis
    from greenzone.planning.year import plan
    from greenzone.resources import profiles
    from greenzone.weather import load_weather

    prof = profiles(zone, load_weather(zone))
    if options.hours is not None:
        prof = prof.isel(time=slice(0, options.hours))
    result = plan(zone, prof, typical_days=options.typical_days, options=_solver_options(options))
    return result, kpis(result, zone)


def _pathway(zone: Zone, options: RunOptions):
    """A pathway of the case's zone and its key figures."""
    from greenzone.planning.pathway import (
        first_hours,
        pathway,
        pathway_profiles,
        pathway_weather,
        weather_title,
    )
    from greenzone.planning.pathway_output import pathway_kpis

    by_period = first_hours(pathway_weather(zone), options.hours)
    weather = next(iter(by_period.values()))
    result = pathway(
        zone,
        pathway_profiles(zone, by_period),
        myopic=options.myopic,
        typical_days=options.typical_days,
        options=_solver_options(options),
    )
    result.attrs["synthetic"] = int(weather.attrs.get("synthetic", 0))
    result.attrs["weather_title"] = weather_title(by_period)
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
