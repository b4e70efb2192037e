"""Benchmark: greenzone's rolling-horizon operation beside PyPSA's ``optimize_with_rolling_horizon``.

The embedded Karabakh zone (``greenzone.load_zone()``, ``load_weather``, ``profiles``; SYNTHETIC weather), at
the zone's EXISTING capacities (``greenzone.operate.existing_capacities``; the zone's 16-typical-day plan builds
nothing new, see docs/benchmarks.md "Typical days", so these are also the planned capacities), perfect
forecasts, 48-hour windows every 24 hours over the first ``--days`` days of the year (default 365: 365 windows).

* greenzone: ``greenzone.operate(zone, capacities, profiles, forecast="perfect", horizon=48, step=24,
  terminal="none")``: one window LP built once and kept in HiGHS (dual simplex, warm-started), and after every
  window the committed 24 hours are settled hour by hour against the actual weather (a one-hour LP each). The
  time is the whole call; the per-window solve and settlement times come from its ``window_solve_s`` and
  ``window_settle_s``.
* PyPSA: ``n.optimize.optimize_with_rolling_horizon(horizon=48, overlap=24, solver_name="highs")`` on the
  network of ``greenzone.interop.to_pypsa`` with every capacity fixed at the existing one
  (``p_nom_extendable``/``e_nom_extendable`` False, ``p_nom``/``e_nom`` = the existing ``*_min``), stores not
  cyclic and starting half full (greenzone's default initial state for existing capacities), HiGHS defaults,
  no ``extra_functionality`` (the recipe of the peer test in tests/test_operate.py). PyPSA rebuilds the linopy
  model and hands it to a new HiGHS instance in every window; its last window is 24 hours long (greenzone's
  keeps 48, reading past the end cyclically).

Each tool runs in a fresh spawned process, which first loads the zone, weather and profiles and does one
untimed 48-hour warm-up (lazy imports); its peak memory is that process's max RSS (``resource.getrusage``).
``--peer-time-limit S`` stops PyPSA after the window in which S seconds are passed: its figures are then for
the windows done, and the ratios are marked as from a partial run. Markdown goes to stdout, progress and
JSON records to stderr; the processes' own stdout (HiGHS's log) is discarded.

Usage::

    python benchmarks/operate.py               # the full year: 365 windows
    python benchmarks/operate.py --days 14     # quick check (about 1 min)
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import traceback
import warnings
from typing import Any

HORIZON = 48
STEP = 24


def _peak_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)


def _inputs(days: int):
    import greenzone as gz
    from greenzone.operate.rolling import existing_capacities

    zone = gz.load_zone()
    weather = gz.load_weather(zone)
    profiles = gz.profiles(zone, weather)
    profiles = profiles.isel(time=slice(0, days * 24))
    return zone, profiles, existing_capacities(zone)


def _run_greenzone(days: int) -> dict[str, Any]:
    from greenzone.operate.rolling import operate

    zone, profiles, capacities = _inputs(days)
    kwargs = {"forecast": "perfect", "horizon": HORIZON, "step": STEP, "terminal": "none"}
    operate(zone, capacities, profiles.isel(time=slice(0, HORIZON)), **kwargs)  # warm-up, untimed
    t0 = time.perf_counter()
    op = operate(zone, capacities, profiles, **kwargs)
    total = time.perf_counter() - t0
    solve = float(op["window_solve_s"].sum())
    settle = float(op["window_settle_s"].sum())
    return {
        "tool": "greenzone",
        "windows": int(op.attrs["windows"]),
        "windows_planned": int(op.attrs["windows"]),
        "total_s": total,
        "solve_s": solve,
        "settle_s": settle,
        "iterations": int(op["window_iterations"].sum()),
        "iterations_first": int(op["window_iterations"][0]),
        "iterations_median_rest": float(op["window_iterations"][1:].median())
        if op.sizes["window"] > 1
        else 0,
        "operating_cost_usd": float(op.attrs["operating_cost_usd"]),
        "peak_mib": _peak_mib(),
    }


class _Stop(Exception):
    pass


def _pypsa_network(zone, profiles):
    from greenzone.interop import to_pypsa

    n, _ = to_pypsa(zone, profiles)
    for component, attr in (("generators", "p_nom"), ("links", "p_nom"), ("stores", "e_nom")):
        df = getattr(n, component)
        df[attr] = df[f"{attr}_min"].where(df[f"{attr}_extendable"], df[attr])
        df[f"{attr}_extendable"] = False
    n.stores["e_cyclic"] = False
    n.stores["e_initial"] = 0.5 * n.stores["e_nom"]
    return n


def _run_pypsa(days: int, time_limit: float | None) -> dict[str, Any]:
    logging.getLogger("pypsa").setLevel(logging.ERROR)
    logging.getLogger("linopy").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    zone, profiles, _ = _inputs(days)
    warm = _pypsa_network(zone, profiles.isel(time=slice(0, HORIZON)))
    warm.optimize(solver_name="highs")  # warm-up, untimed
    n = _pypsa_network(zone, profiles)
    accessor = type(n.optimize)
    original = accessor.__call__
    record: dict[str, Any] = {"windows": 0, "statuses": [], "objective": 0.0}
    t0 = time.perf_counter()

    def timed(self, snapshots=None, **kwargs):
        result = original(self, snapshots, **kwargs)
        record["windows"] += 1
        record["statuses"].append(str(result[0]))
        print(f"  pypsa window {record['windows']}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise _Stop
        return result

    accessor.__call__ = timed
    try:
        n.optimize.optimize_with_rolling_horizon(horizon=HORIZON, overlap=HORIZON - STEP, solver_name="highs")
    except _Stop:
        pass
    finally:
        accessor.__call__ = original
    total = time.perf_counter() - t0
    return {
        "tool": "pypsa",
        "windows": record["windows"],
        "windows_planned": len(range(0, len(n.snapshots), STEP)),
        "total_s": total,
        "not_ok": sum(s != "ok" for s in record["statuses"]),
        "peak_mib": _peak_mib(),
    }


def _child(target, args, out) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # HiGHS's and linopy's own output: the Markdown on stdout stays clean
    try:
        out.put(target(*args))
    except BaseException:
        out.put({"error": traceback.format_exc()})


def _spawn(target, *args) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, out))
    proc.start()
    result = out.get()
    proc.join()
    print(json.dumps(result), file=sys.stderr)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="days of the year to operate (default 365)")
    parser.add_argument(
        "--peer-time-limit", type=float, default=None, help="[s] stop PyPSA after the window passing this"
    )
    parser.add_argument("--tools", nargs="+", default=["greenzone", "pypsa"], choices=["greenzone", "pypsa"])
    args = parser.parse_args(argv)
    results = {}
    if "greenzone" in args.tools:
        print(f"greenzone: {args.days} days ...", file=sys.stderr)
        results["greenzone"] = _spawn(_run_greenzone, args.days)
    if "pypsa" in args.tools:
        print(f"pypsa: {args.days} days ...", file=sys.stderr)
        results["pypsa"] = _spawn(_run_pypsa, args.days, args.peer_time_limit)

    print(
        f"\nEmbedded zone, existing capacities, perfect forecasts, {HORIZON} h windows every {STEP} h, "
        f"{args.days} days; {platform.node()}, python {platform.python_version()}.\n"
    )
    print("| tool | windows | total [s] | per window [s] | peak memory [MiB] |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for tool, r in results.items():
        done = (
            f"{r['windows']}"
            if r["windows"] == r["windows_planned"]
            else f"{r['windows']} of {r['windows_planned']}"
        )
        print(
            f"| {tool} | {done} | {r['total_s']:.1f} | {r['total_s'] / r['windows']:.3f} | {r['peak_mib']:.0f} |"
        )
    if len(results) == 2:
        g, p = results["greenzone"], results["pypsa"]
        partial = "" if p["windows"] == p["windows_planned"] else " (PyPSA partial run)"
        if p["windows"] == p["windows_planned"]:
            print(f"\nPyPSA / greenzone, total time: {p['total_s'] / g['total_s']:.1f}x")
        per = (p["total_s"] / p["windows"]) / (g["total_s"] / g["windows"])
        print(f"PyPSA / greenzone, time per window: {per:.1f}x{partial}")
    if "greenzone" in results:
        g = results["greenzone"]
        print(
            f"\ngreenzone: window solves {g['solve_s']:.1f} s, hour-by-hour settlement {g['settle_s']:.1f} s "
            f"({100 * g['settle_s'] / g['total_s']:.0f}% of its total); simplex iterations: first window "
            f"{g['iterations_first']}, median of the rest {g['iterations_median_rest']:.0f}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
