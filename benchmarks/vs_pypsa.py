"""Benchmark: greenzone's planner beside PyPSA (pypsa + linopy + highspy) on the same SYNTHETIC zones.

Zones of 1, 5 and 10 nodes (n0..n9, sites spread over the Karabakh area; solar_fixed, wind_onshore and a
battery at every node, the gas turbine at n0, a chain of links n0-n1-..., the national grid at n0, renewable
share >= 0.8 and usable land per node) on SYNTHETIC weather (greenzone.weather.synthetic, calibrated to a
climatology whose sites copy the Karabakh ones cyclically). Both tools solve the same LP: greenzone builds it
with ``build_model`` and solves it with ``solve``; PyPSA gets the network of ``greenzone.interop.to_pypsa`` and
its extra_functionality and solves it with ``n.optimize.create_model`` and ``n.optimize.solve_model``.

Usage::

    python benchmarks/vs_pypsa.py                          # full run: 1, 5, 10 nodes x 8,760 h (hours!)
    python benchmarks/vs_pypsa.py --hours 168 --nodes 1 2  # quick check that everything works
    python benchmarks/vs_pypsa.py --methods default ipm_no_crossover ipm:threads=1 dual_simplex:io=lp

``--methods`` names HiGHS set-ups, each run by both tools on every zone:

* ``default``: greenzone with the planner's default method (``greenzone.planning.DEFAULT_METHOD``); PyPSA with no
  solver options and linopy's default io_api (None: an LP file written by linopy, read back by HiGHS);
* a greenzone method (``dual_simplex``, ``simplex``, ``primal_simplex``, ``ipm``, ``ipm_no_crossover``,
  ``pdlp``, ``choose``): the HiGHS options ``SolverOptions(method=...)`` sets, in both tools; PyPSA through
  ``io_api="direct"`` (linopy hands its matrices to highspy, no file);
* ``:key=value,...`` after either adds settings: ``threads=N``, ``presolve=off``, ``io=lp|mps|direct`` (PyPSA
  only), or any other HiGHS option by its HiGHS name (e.g. ``simplex_scale_strategy=4``).

What is measured, per zone, set-up and tool, each in a fresh process (spawned) so that its peak memory is its
own. Each process first builds and solves the zone's first 24 hours untimed, so that one-time costs (lazy
imports, first calls into xarray, pandas, linopy and HiGHS) are counted in neither tool.

* build [s]: greenzone ``build_model(zone, profiles)``; PyPSA ``n.optimize.create_model(...)`` plus the
  extra_functionality applied to ``n.model`` (what ``n.optimize()`` does before it solves; the conversion
  ``to_pypsa`` is not counted, it stands for reading a network);
* solve [s]: wall time of HiGHS's ``run()`` alone (greenzone: ``Solution.run_time_s``; PyPSA: linopy's call
  of ``run()``, timed by wrapping ``linopy.solvers._run_highs_with_keyboard_interrupt``); HiGHS's own
  ``getRunTime()`` is kept in the JSON records for PyPSA;
* hand-off [s]: everything else between the built model and the results in the tool's own result structure:
  greenzone ``solve()`` less ``run()`` (matrix assembly, ``passModel``, reading the solution) plus
  ``plan_dataset`` (the Plan); PyPSA ``solve_model()`` less ``run()`` (LP file or matrices to HiGHS, reading
  the solution, ``assign_solution``, ``assign_duals``, ``post_processing``). The table shows in brackets the
  part after the solve ("results": ``plan_dataset``, or what ``solve_model`` does after linopy's ``solve``),
  so that the hand-off into HiGHS alone can be read off too;
* total [s] = build + hand-off + solve: the time to the optimum and results;
* peak memory [MiB]: max RSS of the process, imports and inputs included (in brackets: the RSS when the
  build starts);
* model memory [MiB]: tracemalloc's peak during the build (Python and numpy allocations, both tools' models
  are numpy-backed), measured in a separate process because tracing slows the build;
* variables, constraints, nonzeros: as HiGHS received them;
* objective [USD/yr]: greenzone's, and ``greenzone_objective(n)`` for PyPSA, only for proven optima.

Both tools get the same time limit on HiGHS's run (``--peer-time-limit``; greenzone ``--time-limit``, default
the same). A run that hits it is never taken for an optimum (linopy calls a HiGHS time limit status "ok"; this
script reads HiGHS's model status itself): its times print as lower bounds ("≥") and so do the ratios built on
them. Ratios are PyPSA / greenzone, measured side by side in one run; on a shared machine compare them, not
the seconds. ``--repeat N`` runs every case N times and keeps the fastest run that reached the optimum. The
Markdown for docs/benchmarks.md goes to stdout, one JSON record per process to stderr (and to ``--json FILE``);
the processes' own output (HiGHS's banner, linopy's progress bars) is discarded.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import multiprocessing as mp
import os
import pickle
import platform
import queue
import resource
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KARABAKH_TIMEZONE = "Asia/Baku"
ZONE_YEAR = 2027
WEATHER_SEED = 0
REL_TOL_OBJECTIVE = 1e-6
"""Objectives within this (relative) count as the same optimum."""
DEMAND_PROFILES = ("mixed", "residential", "commercial", "industrial")
DEFAULT_METHODS = ("default", "ipm", "ipm_no_crossover", "dual_simplex")

# ---------------------------------------------------------------------------------------------------- zones


def zone_document(n_nodes: int, climatology_path: Path) -> dict[str, Any]:
    """The benchmark zone of ``n_nodes`` nodes as a zone-file mapping (see docs/zone-file.md)."""
    import greenzone as gz

    karabakh = gz.load_zone()
    nodes = []
    for i in range(n_nodes):
        site = karabakh.nodes[i % len(karabakh.nodes)]
        shift = 0.04 * (i // len(karabakh.nodes))  # repeats of a site sit a little further north-east
        technologies: dict[str, Any] = {
            "solar_fixed": {"max_mw": 400},
            "wind_onshore": {"max_mw": 300},
            "battery": {},
        }
        if i == 0:
            technologies["gas_turbine"] = {"max_mw": 150}
        nodes.append(
            {
                "id": f"n{i}",
                "name": f"{site.name} (site copy {i})",
                "lat": round(site.lat + shift, 4),
                "lon": round(site.lon + shift, 4),
                "elevation_m": site.elevation_m,
                "roughness_length_m": site.roughness_length_m,
                "usable_land_km2": 20,
                "demand": {
                    "annual_mwh": 40000 + 10000 * (i % 5),
                    "profile": DEMAND_PROFILES[i % len(DEMAND_PROFILES)],
                },
                "technologies": technologies,
            }
        )
    links = [
        {
            "from": f"n{i}",
            "to": f"n{i + 1}",
            "length_km": 30 + 10 * (i % 4),
            "existing_mw": 50,
            "max_mw": 1000,
            "source": "benchmark (synthetic)",
        }
        for i in range(n_nodes - 1)
    ]
    return {
        "name": f"benchmark zone, {n_nodes} node{'s' * (n_nodes > 1)} (SYNTHETIC)",
        "description": "Synthetic benchmark zone: sites copied from the Karabakh zone; not a real plan.",
        "timezone": KARABAKH_TIMEZONE,
        "year": ZONE_YEAR,
        "weather": {
            "source": "synthetic",
            "climatology": str(climatology_path),
            "years": 1,
            "seed": WEATHER_SEED,
        },
        "nodes": nodes,
        "links": links,
        "grid": {
            "node": "n0",
            "import_max_mw": 100,
            "export_max_mw": 100,
            "import_price_usd_per_mwh": 62,
            "export_price_usd_per_mwh": 40,
            "emission_factor_t_per_mwh": 0.45,
            "renewable_share": 0.07,
        },
        "policy": {"renewable_share_min": 0.8, "value_of_lost_load_usd_per_mwh": 5000},
    }


def climatology_document(n_sites: int) -> dict[str, Any]:
    """A climatology with sites n0..n{n-1} copying the Karabakh zone's sites cyclically, without rivers."""
    import greenzone as gz
    from greenzone.weather import synthetic

    karabakh = gz.load_zone()
    source = synthetic.read_climatology(synthetic.default_climatology_path())
    sites = {}
    for i in range(n_sites):
        site = karabakh.nodes[i % len(karabakh.nodes)].id
        sites[f"n{i}"] = source.sites[site].model_dump(mode="json")
    return {
        "wind_height_m": source.wind_height_m,
        "reference": "SYNTHETIC benchmark: sites copied cyclically from greenzone/data/karabakh/climate.yaml",
        "sites": sites,
        "rivers": {},
    }


def write_inputs(directory: Path, n_nodes: int, hours: int) -> dict[str, str]:
    """Write the zone, its climatology and its profiles (first ``hours`` hours of one synthetic year)."""
    import yaml

    import greenzone as gz
    from greenzone.weather import synthetic, zone_sites

    climatology_path = directory / f"climate_{n_nodes}.yaml"
    climatology_path.write_text(yaml.safe_dump(climatology_document(n_nodes), sort_keys=False))
    zone_path = directory / f"zone_{n_nodes}.yaml"
    zone_path.write_text(yaml.safe_dump(zone_document(n_nodes, climatology_path), sort_keys=False))
    zone = gz.load_zone(zone_path)
    weather = synthetic.generate(
        sites=zone_sites(zone),
        climatology=synthetic.read_climatology(climatology_path),
        years=1,
        start_year=ZONE_YEAR,
        seed=WEATHER_SEED,
        timezone=zone.timezone,
    )
    prof = gz.profiles(zone, weather)
    if hours > prof.sizes["time"]:
        raise SystemExit(f"--hours {hours}: one synthetic year has only {prof.sizes['time']} hours")
    prof = prof.isel(time=slice(0, hours)).load()
    profiles_path = directory / f"profiles_{n_nodes}_{hours}.pkl"
    profiles_path.write_bytes(pickle.dumps(prof))
    return {"zone": str(zone_path), "profiles": str(profiles_path)}


def _load_inputs(inputs: dict[str, str]):
    import greenzone as gz

    zone = gz.load_zone(inputs["zone"])
    prof = pickle.loads(Path(inputs["profiles"]).read_bytes())
    return zone, prof


# ---------------------------------------------------------------------------------------------- set-ups


@dataclass(frozen=True)
class Setup:
    """One HiGHS set-up, as given to --methods: a method and its settings."""

    text: str
    method: str  # "default" or a greenzone method
    threads: int | None = None
    presolve: bool = True
    io_api: str | None = None  # PyPSA only; None: linopy's default (default) or "direct" (a method)
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Setup:
        from greenzone.optimize.solve import METHODS

        method, _, rest = text.partition(":")
        if method != "default" and method not in METHODS:
            raise SystemExit(f"--methods: unknown method {method!r}; use 'default' or one of {METHODS}")
        threads, presolve, io_api, extra = None, True, (None if method == "default" else "direct"), []
        for item in filter(None, rest.split(",")):
            key, sep, raw = item.partition("=")
            if not sep:
                raise SystemExit(f"--methods: {item!r} in {text!r} is not key=value")
            value = _parse_value(raw)
            if key == "threads":
                threads = int(value)
            elif key == "presolve":
                presolve = value not in ("off", False, 0)
            elif key == "io":
                io_api = None if raw == "default" else raw
            else:
                extra.append((key, value))
        return cls(text, method, threads, presolve, io_api, tuple(extra))

    def greenzone_options(self, time_limit: float | None):
        from greenzone.optimize.solve import SolverOptions
        from greenzone.planning.year import DEFAULT_METHOD

        return SolverOptions(
            method=DEFAULT_METHOD if self.method == "default" else self.method,
            threads=self.threads,
            presolve=self.presolve,
            time_limit_s=time_limit,
            extra=dict(self.extra),
        )

    def greenzone_key(self) -> str:
        """A label of what greenzone runs; set-ups with the same key are run once."""
        options = self.greenzone_options(None)
        parts = [f"threads={self.threads}"] if self.threads else []
        parts += [] if self.presolve else ["presolve=off"]
        parts += [f"{k}={v}" for k, v in self.extra]
        return options.method + (":" + ",".join(parts) if parts else "")

    def pypsa_options(self, time_limit: float | None) -> dict[str, Any]:
        """HiGHS options for linopy's solve (the method's own, then the settings)."""
        options: dict[str, Any] = {}
        if self.method != "default":
            own = self.greenzone_options(None).highs_options()
            options.update({k: own[k] for k in ("solver", "simplex_strategy", "run_crossover") if k in own})
        if self.threads is not None:
            options["threads"] = self.threads
        if not self.presolve:
            options["presolve"] = "off"
        options.update(dict(self.extra))
        if time_limit is not None:
            options["time_limit"] = float(time_limit)
        return options

    def pypsa_label(self) -> str:
        io = self.io_api or "lp file (linopy default)"
        body = (
            ", ".join(f"{k}={v}" for k, v in self.pypsa_options(None).items()) or "no options (HiGHS chooses)"
        )
        return f"{body}; io {io}"


def _parse_value(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


# ------------------------------------------------------------------------------------------ measurements


def _quiet() -> None:
    warnings.simplefilter("ignore")
    for name in ("linopy", "pypsa", "highspy"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _rss_mib() -> float:
    """Peak resident set of this process so far [MiB]."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    """Resident set of this process now [MiB] (Linux; elsewhere the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return _rss_mib()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


WARM_UP_HOURS = 24


def _warm_up(prof):
    """The first hours of the profiles: each process solves them untimed first, so that one-time costs (lazy
    imports, first calls into xarray, pandas and HiGHS) are counted in neither tool."""
    return prof.isel(time=slice(0, min(WARM_UP_HOURS, prof.sizes["time"])))


def greenzone_case(inputs: dict[str, str], setup: Setup, time_limit: float | None) -> dict:
    """Build, solve and make the Plan with greenzone; times, sizes and the objective."""
    _quiet()
    from greenzone.optimize.formulation import build_model
    from greenzone.optimize.solve import Status, solve
    from greenzone.planning.year import plan_dataset

    zone, prof = _load_inputs(inputs)
    options = setup.greenzone_options(time_limit)
    warm = _warm_up(prof)
    model = build_model(zone, warm)
    plan_dataset(model, solve(model.lp, setup.greenzone_options(None)), warm)
    del model, warm
    rss_before = _current_rss_mib()
    t0 = time.perf_counter()
    model = build_model(zone, prof)
    t1 = time.perf_counter()
    solution = solve(model.lp, options)
    t2 = time.perf_counter()
    optimal = solution.status is Status.OPTIMAL
    results_s = 0.0
    if optimal:
        plan_dataset(model, solution, prof)
        results_s = time.perf_counter() - t2
    lp = model.lp
    return {
        "variables": lp.num_variables,
        "constraints": lp.num_constraints,
        "nonzeros": lp.num_nonzeros,
        "build_s": t1 - t0,
        "solve_s": solution.run_time_s,
        "handoff_s": (t2 - t1 - solution.run_time_s) + results_s,
        "results_s": results_s,
        "optimal": optimal,
        "status": solution.status.value,
        "message": solution.message,
        "objective": solution.objective if optimal else None,
        "iterations": asdict(solution.iterations),
        "highs_options": {k: v for k, v in options.highs_options().items() if k not in ("output_flag",)},
        "rss_before_build_mib": rss_before,
    }


def pypsa_case(inputs: dict[str, str], setup: Setup, time_limit: float | None) -> dict:
    """Build and solve with PyPSA (create_model + extra_functionality, solve_model); times, sizes, objective."""
    _quiet()
    import highspy
    import linopy
    import linopy.solvers

    from greenzone.interop import greenzone_objective, to_pypsa

    zone, prof = _load_inputs(inputs)
    kwargs: dict[str, Any] = {} if setup.io_api is None else {"io_api": setup.io_api}
    warm, warm_extra = to_pypsa(zone, _warm_up(prof))
    warm.optimize.create_model(include_objective_constant=False)
    warm_extra(warm, warm.snapshots)
    warm.optimize.solve_model(
        solver_name="highs", solver_options=setup.pypsa_options(None), log_to_console=False, **kwargs
    )
    del warm, warm_extra

    run_times: list[float] = []
    original_run = linopy.solvers._run_highs_with_keyboard_interrupt

    def timed_run(h):
        start = time.perf_counter()
        try:
            return original_run(h)
        finally:
            run_times.append(time.perf_counter() - start)

    linopy.solvers._run_highs_with_keyboard_interrupt = timed_run

    t_convert = time.perf_counter()
    n, extra = to_pypsa(zone, prof)
    convert_s = time.perf_counter() - t_convert
    rss_before = _current_rss_mib()
    t0 = time.perf_counter()
    n.optimize.create_model(include_objective_constant=False)
    extra(n, n.snapshots)
    t1 = time.perf_counter()
    linopy_solve = linopy.Model.solve
    linopy_times: list[float] = []

    def timed_solve(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return linopy_solve(self, *args, **kwargs)
        finally:
            linopy_times.append(time.perf_counter() - start)

    # solve_model calls n.model.solve (to HiGHS and back), then writes the results into the network
    linopy.Model.solve = timed_solve
    error = None
    try:
        status, condition = n.optimize.solve_model(
            solver_name="highs",
            solver_options=setup.pypsa_options(time_limit),
            log_to_console=False,
            **kwargs,
        )
    except Exception as exc:  # a time-limited point PyPSA cannot write back, for instance
        status, condition, error = "error", "error", f"{type(exc).__name__}: {exc}"
    t2 = time.perf_counter()
    h = getattr(n.model, "solver_model", None)
    highs_status = h.modelStatusToString(h.getModelStatus()) if h is not None else "none"
    optimal = h is not None and h.getModelStatus() == highspy.HighsModelStatus.kOptimal and error is None
    optimal = optimal and condition == "optimal"
    solve_s = sum(run_times) if run_times else float("nan")
    record = {
        "variables": int(h.getNumCol()) if h is not None else None,
        "constraints": int(h.getNumRow()) if h is not None else None,
        "nonzeros": int(h.getNumNz()) if h is not None else None,
        "linopy_nvars": int(n.model.nvars),
        "linopy_ncons": int(n.model.ncons),
        "convert_s": convert_s,
        "build_s": t1 - t0,
        "solve_s": solve_s,
        "highs_run_time_s": float(h.getRunTime()) if h is not None else None,
        "handoff_s": (t2 - t1) - solve_s,
        "results_s": (t2 - t1) - sum(linopy_times),
        "optimal": optimal,
        "status": f"{status}/{condition} (HiGHS: {highs_status})",
        "message": error or highs_status,
        "objective": greenzone_objective(n) if optimal else None,
        "highs_options": setup.pypsa_options(time_limit),
        "io_api": setup.io_api or "default (lp file)",
        "rss_before_build_mib": rss_before,
    }
    if h is not None:
        info = h.getInfo()
        record["iterations"] = {
            "simplex": int(info.simplex_iteration_count),
            "ipm": int(info.ipm_iteration_count),
            "crossover": int(info.crossover_iteration_count),
        }
    return record


def memory_case(inputs: dict[str, str], tool: str) -> dict:
    """tracemalloc's peak while the model is built (Python and numpy allocations), and what the model keeps."""
    _quiet()
    import tracemalloc

    zone, prof = _load_inputs(inputs)
    if tool == "greenzone":
        from greenzone.optimize.formulation import build_model

        build_model(zone, _warm_up(prof))
        tracemalloc.start()
        model = build_model(zone, prof)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lp = model.lp
        arrays = sum(a.nbytes for t in lp._triplets for a in t) + sum(
            a.nbytes for a in (lp.col_lower, lp.col_upper, lp.col_cost, lp.row_lower, lp.row_upper)
        )
        return {
            "model_peak_mib": peak / 2**20,
            "model_kept_mib": current / 2**20,
            "lp_arrays_mib": arrays / 2**20,
        }
    from greenzone.interop import to_pypsa

    warm, warm_extra = to_pypsa(zone, _warm_up(prof))
    warm.optimize.create_model(include_objective_constant=False)
    warm_extra(warm, warm.snapshots)
    del warm, warm_extra
    n, extra = to_pypsa(zone, prof)
    tracemalloc.start()
    n.optimize.create_model(include_objective_constant=False)
    extra(n, n.snapshots)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"model_peak_mib": peak / 2**20, "model_kept_mib": current / 2**20}


def _child(target, args, results) -> None:
    # HiGHS's banner, linopy's progress bars and library warnings stay out of the Markdown and the JSON records
    # (an exception is caught into the record)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
        os.dup2(devnull.fileno(), sys.stderr.fileno())
    try:
        record = target(*args)
        record["peak_rss_mib"] = _rss_mib()
    except Exception as exc:
        record = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:],
            "peak_rss_mib": _rss_mib(),
        }
    results.put(record)


def in_fresh_process(target, *args, timeout_s: float) -> dict:
    """Run ``target(*args)`` in a spawned process; its record gets the process's peak RSS."""
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, results))
    process.start()
    deadline = time.monotonic() + timeout_s
    record = None
    while record is None:
        try:
            record = results.get(timeout=2.0)
        except queue.Empty:
            if not process.is_alive():
                record = {"error": f"the process ended (exit code {process.exitcode}) without a result"}
            elif time.monotonic() > deadline:
                process.kill()
                record = {"error": f"killed after {timeout_s:.0f} s (--case-timeout)"}
    process.join()
    return record


def run_case(
    target, inputs, setup: Setup, limit: float, *, context: dict, repeat: int, timeout_s: float, log
) -> dict:
    """Run a case ``repeat`` times, each in a fresh process; keep the fastest run that reached the optimum."""
    runs = []
    for k in range(repeat):
        record = in_fresh_process(target, inputs, setup, limit, timeout_s=timeout_s)
        log({**context, "setup": setup.text, "run": k, **record})
        runs.append(record)
        if "error" in record or not record.get("optimal"):
            break  # a failure or a time limit will not get better by repeating
    solved = [r for r in runs if r.get("optimal")]
    best = min(solved, key=lambda r: r["build_s"] + r["handoff_s"] + r["solve_s"]) if solved else runs[-1]
    return {**best, "runs": len(runs)}


# ------------------------------------------------------------------------------------------------ report


@dataclass
class Row:
    nodes: int
    tool: str  # "greenzone" or "PyPSA"
    label: str
    setups: list[str]
    record: dict
    memory: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.record.get("optimal"))

    @property
    def failed(self) -> bool:
        return "error" in self.record or not math.isfinite(self.record.get("solve_s", math.nan))

    @property
    def total(self) -> float:
        r = self.record
        return r["build_s"] + r["handoff_s"] + r["solve_s"]

    @property
    def build_handoff(self) -> float:
        return self.record["build_s"] + self.record["handoff_s"]


def _fmt_time(value: float, lower_bound: bool = False) -> str:
    text = f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return f"≥ {text}" if lower_bound else text


def _fmt_int(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _fmt_ratio(value: float, bound: str = "") -> str:
    if not math.isfinite(value):
        return "n/a"
    text = f"{value:.1f}×" if value >= 1 else f"{value:.2f}×"
    return f"{bound} {text}".strip()


def _fmt_mib(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "?"
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def table_rows(rows: list[Row], hours: int) -> list[str]:
    out = [
        "| nodes × hours | tool | HiGHS set-up | variables | constraints | build [s] | hand-off [s] (results) "
        "| build + hand-off [s] | solve [s] | total [s] | peak memory [MiB] (before build) | model memory [MiB] "
        "| objective [USD/yr] |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    reference = {r.nodes: r.record["objective"] for r in rows if r.tool == "greenzone" and r.ok}
    order = {"greenzone": 0, "PyPSA": 1}
    for r in sorted(rows, key=lambda r: (r.nodes, order[r.tool])):
        rec = r.record
        where = f"{r.nodes} × {hours:,}"
        setup = f"{r.label} [{', '.join(r.setups)}]"
        memory = _fmt_mib(r.memory.get("model_peak_mib"))
        peak = f"{_fmt_mib(rec.get('peak_rss_mib'))} ({_fmt_mib(rec.get('rss_before_build_mib'))})"
        if r.failed:
            reason = rec.get("error") or rec.get("message", "failed")
            out.append(
                f"| {where} | {r.tool} | {setup} | {_fmt_int(rec.get('variables'))} | "
                f"{_fmt_int(rec.get('constraints'))} | — | — | — | — | — | {peak} | {memory} | failed: {reason} |"
            )
            continue
        limited = not r.ok
        if r.ok:
            objective = f"{rec['objective']:,.0f}"
            ref = reference.get(r.nodes)
            if r.tool == "PyPSA" and ref:
                diff = abs(rec["objective"] - ref) / abs(ref)
                flag = "" if diff <= REL_TOL_OBJECTIVE else " **differs**"
                objective += f" (rel. diff. {diff:.0e}{flag})"
        else:
            objective = f"— ({rec['status']}: not an optimum)"
        out.append(
            f"| {where} | {r.tool} | {setup} | {_fmt_int(rec['variables'])} | {_fmt_int(rec['constraints'])} | "
            f"{_fmt_time(rec['build_s'])} | {_fmt_time(rec['handoff_s'])} ({_fmt_time(rec['results_s'])}) | "
            f"{_fmt_time(r.build_handoff)} | {_fmt_time(rec['solve_s'], limited)} | "
            f"{_fmt_time(r.total, limited)} | {peak} | {memory} | {objective} |"
        )
    return out


def _time_ratio(peer: Row | list[Row], ours: Row) -> str:
    """PyPSA time to the optimum / greenzone's, as a bound where either hit its limit."""
    peers = peer if isinstance(peer, list) else [peer]
    peers = [p for p in peers if not p.failed]
    if ours.failed or not peers:
        return "n/a"
    solved = [p for p in peers if p.ok]
    if ours.ok and solved:
        best = min(solved, key=lambda p: p.total)
        same = abs(best.record["objective"] - ours.record["objective"]) <= REL_TOL_OBJECTIVE * abs(
            ours.record["objective"]
        )
        text = _fmt_ratio(best.total / ours.total)
        return text if same else text + " (objectives differ)"
    if ours.ok:  # every peer hit its limit: the best of them took at least its smallest elapsed time
        return _fmt_ratio(min(p.total for p in peers) / ours.total, "≥")
    if solved:
        return _fmt_ratio(min(p.total for p in solved) / ours.total, "≤")
    return "n/a (both hit the limit)"


def ratio_rows(rows: list[Row], default_setup: str) -> list[str]:
    out = [
        "| nodes | PyPSA / greenzone | build + hand-off | model memory | time to the same optimum |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for nodes in sorted({r.nodes for r in rows}):
        ours_all = [r for r in rows if r.nodes == nodes and r.tool == "greenzone"]
        peers = [r for r in rows if r.nodes == nodes and r.tool == "PyPSA"]
        if not ours_all or not peers:
            continue
        ours = next((r for r in ours_all if default_setup in r.setups), ours_all[0])
        ours_best = min((r for r in ours_all if r.ok), key=lambda r: r.total, default=ours)
        peer_default = next((r for r in peers if default_setup in r.setups), None)
        solved = [p for p in peers if p.ok]
        peer_best = min(solved, key=lambda p: p.total) if solved else None
        mem_ours = ours.memory.get("model_peak_mib")
        mem_peer = peers[0].memory.get("model_peak_mib")
        memory = _fmt_ratio(mem_peer / mem_ours) if mem_ours and mem_peer else "n/a"

        def handoff(peer: Row | None, mine: Row) -> str:
            if peer is None or peer.failed or mine.failed:
                return "n/a"
            return _fmt_ratio(peer.build_handoff / mine.build_handoff)

        pairs = []
        if peer_default is not None:
            pairs.append((f"default ({peer_default.label}) / {ours.label}", peer_default, ours))
        best_label = f"best ({peer_best.label})" if peer_best else "best (none reached the optimum)"
        if peer_best is None or peer_best is not peer_default:
            pairs.append((f"{best_label} / {ours.label}", peers, ours))
        if ours_best is not ours:
            pairs.append((f"{best_label} / best ({ours_best.label})", peers, ours_best))
        for text, peer, mine in pairs:
            one = peer_best if isinstance(peer, list) else peer
            out.append(f"| {nodes} | {text} | {handoff(one, mine)} | {memory} | {_time_ratio(peer, mine)} |")
    return out


def versions() -> str:
    from importlib.metadata import version

    names = ("greenzone", "pypsa", "linopy", "highspy")
    text = ", ".join(f"{name} {version(name)}" for name in names)
    return f"{text}, Python {platform.python_version()}, {os.cpu_count()} CPUs"


# -------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="greenzone beside PyPSA on the same SYNTHETIC zones; Markdown for docs/benchmarks.md.",
        epilog=(
            "quick check: --hours 168 --nodes 1 2. --methods: 'default' or a greenzone method (dual_simplex, "
            "ipm, ipm_no_crossover, simplex, primal_simplex, pdlp, choose), each optionally followed by "
            ":key=value,... (threads=N, presolve=off, io=lp|mps|direct for PyPSA, or a HiGHS option), "
            "e.g. dual_simplex:parallel=on. Details: the module docstring and benchmarks/README.md."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 5, 10], help="zone sizes (1 to 10 nodes)")
    parser.add_argument("--hours", type=int, default=8760, help="hours from 1 January (at most 8,760)")
    parser.add_argument(
        "--methods", nargs="+", default=list(DEFAULT_METHODS), help="HiGHS set-ups (see the module docstring)"
    )
    parser.add_argument(
        "--peer-time-limit", type=float, default=600.0, help="limit on PyPSA's HiGHS run per case [s]"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="limit on greenzone's HiGHS run [s]; default: the peer's",
    )
    parser.add_argument("--tools", nargs="+", choices=("greenzone", "pypsa"), default=["greenzone", "pypsa"])
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc model-memory runs")
    parser.add_argument(
        "--case-timeout",
        type=float,
        default=None,
        help="kill a case after this [s]; default 2 x limit + 1,800",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per case; the fastest that reached the optimum is reported",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every record to this JSON file")
    args = parser.parse_args(argv)
    if any(not 1 <= n <= 10 for n in args.nodes):
        parser.error("--nodes: each zone has 1 to 10 nodes")
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    if not 1 <= args.hours <= 8760:
        parser.error("--hours: 1 to 8,760")
    setups = [Setup.parse(text) for text in args.methods]
    for setup in setups:
        try:
            setup.greenzone_options(None)  # HiGHS checks option names and values here, not in the processes
        except ValueError as exc:
            parser.error(f"--methods {setup.text}: {exc}")
    ours_limit = args.peer_time_limit if args.time_limit is None else args.time_limit
    case_timeout = args.case_timeout or 2 * max(args.peer_time_limit, ours_limit) + 1800

    records: list[dict] = []

    def log(record: dict) -> None:
        records.append(record)
        print(json.dumps(record, default=str), file=sys.stderr, flush=True)

    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="greenzone-vs-pypsa-") as tmp:
        for nodes in args.nodes:
            inputs = write_inputs(Path(tmp), nodes, args.hours)
            memory: dict[str, dict] = {}
            if not args.no_memory:
                for tool in args.tools:
                    name = "greenzone" if tool == "greenzone" else "PyPSA"
                    memory[name] = in_fresh_process(memory_case, inputs, tool, timeout_s=case_timeout)
                    log(
                        {
                            "nodes": nodes,
                            "hours": args.hours,
                            "tool": name,
                            "kind": "model memory",
                            **memory[name],
                        }
                    )

            where = {"nodes": nodes, "hours": args.hours}
            measure = functools.partial(run_case, repeat=args.repeat, timeout_s=case_timeout, log=log)
            done: dict[str, Row] = {}
            for setup in setups:  # greenzone then PyPSA, set-up by set-up: side by side in time
                if "greenzone" in args.tools:
                    key = setup.greenzone_key()
                    if key in done:
                        done[key].setups.append(setup.text)
                    else:
                        record = measure(
                            greenzone_case, inputs, setup, ours_limit, context={**where, "tool": "greenzone"}
                        )
                        done[key] = Row(
                            nodes, "greenzone", key, [setup.text], record, memory.get("greenzone", {})
                        )
                        rows.append(done[key])
                if "pypsa" in args.tools:
                    record = measure(
                        pypsa_case, inputs, setup, args.peer_time_limit, context={**where, "tool": "PyPSA"}
                    )
                    label = setup.pypsa_label()
                    rows.append(Row(nodes, "PyPSA", label, [setup.text], record, memory.get("PyPSA", {})))
    elapsed = time.perf_counter() - started
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, default=str))

    print(
        f"### greenzone and PyPSA on SYNTHETIC zones: {', '.join(map(str, args.nodes))} node(s) × {args.hours:,} hours\n"
    )
    print(
        "Synthetic benchmark zones (benchmarks/vs_pypsa.py): nodes n0..n9 on sites copied from the Karabakh zone, "
        "each with solar_fixed, wind_onshore and a battery, the gas turbine and the national grid at n0, a chain of "
        "links, renewable share ≥ 0.8; SYNTHETIC weather (seed 0) from a climatology copying the Karabakh sites. "
        f"{versions()}. Time limits on HiGHS's run: PyPSA {args.peer_time_limit:g} s, greenzone {ours_limit:g} s; "
        '"≥" marks a run that hit it (not an optimum). Each case ran in a fresh process. Whole run '
        f"{elapsed / 60:.1f} min.\n"
    )
    print("\n".join(table_rows(rows, args.hours)))
    print(
        "\nbuild: greenzone `build_model`; PyPSA `create_model` + extra_functionality. hand-off: the rest of the "
        "way to results, less HiGHS's run: greenzone `solve` (matrix, `passModel`, reading the solution) + "
        "`plan_dataset`; PyPSA `solve_model` (LP file or direct matrices, reading the solution) + its write-back "
        "(`assign_solution`, `assign_duals`, `post_processing`); (results) is the part after the solve, "
        "`plan_dataset` or PyPSA's write-back. solve: wall time of HiGHS's `run()`. peak memory: max RSS of the "
        "process, imports and inputs included (before build: the RSS when the build starts). model memory: "
        "tracemalloc's peak during the build (Python and numpy allocations). Each process first solved the "
        f"first {WARM_UP_HOURS} hours untimed (one-time import costs counted in neither tool). Set-ups in "
        "brackets are the --methods names that ran it.\n"
    )
    default_name = next((s.text for s in setups if s.method == "default"), setups[0].text)
    print("\n".join(ratio_rows(rows, default_name)))
    print(
        "\nRatios are PyPSA / greenzone from this one run: above 1× greenzone is faster or smaller. "
        '"best" is the PyPSA set-up (or greenzone set-up) with the shortest total time that reached the optimum; '
        '"≥" is a lower bound where PyPSA hit its time limit.'
    )


if __name__ == "__main__":
    main()
