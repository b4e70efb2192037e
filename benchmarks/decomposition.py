"""Benchmark: the hourly plan by temporal decomposition against the monolithic HiPO solve, on the embedded
Karabakh zone (SYNTHETIC weather, the zone's seed), and decomposed over several synthetic weather years.

For each ``--years`` value (weather years of the zone's synthetic weather, planned as one horizon) and the
first ``--hours`` hours of it (default all), plans hourly:

- ``decomposed``: ``plan(..., decomposition=Decomposition(gap=...))``, its subperiods on a local Dask
  cluster of ``--workers`` single-threaded processes (or in this process with ``--workers 0``);
- ``monolithic``: the same LP in one HiPO solve with crossover (``--monolithic``, for the smallest case only).

Reported: objective (the decomposition's upper bound: a real hourly plan), lower bound, gap, iterations, wall
time with the time per stage (subproblems, master, level set), the subproblems' own solve time, the typical-day
start, and peak resident memory of this process (the master) and of the busiest worker. From the measured
per-subproblem and master times it estimates the time on 64 workers: iterations × (master + level set +
subproblem time per iteration / 64) (est.). Timings on a shared 2-core machine are noisy: compare ratios of
one run.

Usage::

    python benchmarks/decomposition.py [--years 1] [--hours 8760] [--monolithic] [--workers 2] [--gap 0.001]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time


def _peak_mib() -> float:
    """Peak resident memory of this process [MiB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1])
    parser.add_argument("--hours", type=int, default=None, help="first hours of each horizon (default all)")
    parser.add_argument(
        "--monolithic", action="store_true", help="also solve the first case in one HiPO solve"
    )
    parser.add_argument("--workers", type=int, default=2, help="local Dask workers; 0: in this process")
    parser.add_argument("--gap", type=float, default=1e-3)
    parser.add_argument("--hours-per-subperiod", type=int, default=168)
    args = parser.parse_args(argv)

    import logging

    import highspy

    from greenzone import __version__
    from greenzone.optimize.decompose import Decomposition
    from greenzone.optimize.solve import SolverOptions, available_cores
    from greenzone.parallel import dask_client
    from greenzone.planning.year import plan
    from greenzone.resources import profiles
    from greenzone.weather import load_weather
    from greenzone.zone import load_zone

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    zone = load_zone()
    rows, mono = [], None
    with dask_client(workers=args.workers or 1) as client:
        for years in args.years:
            weather = load_weather(zone, years=years)
            p = profiles(zone, weather)
            if args.hours is not None:
                p = p.isel(time=slice(0, args.hours))
            hours = p.sizes["time"]
            if args.monolithic and mono is None:
                start = time.perf_counter()
                result = plan(zone, p, options=SolverOptions(method="ipm"))
                mono = (hours, float(result.attrs["objective_usd_per_year"]), time.perf_counter() - start)
                mono += (float(result.attrs["solver_time_s"]), _peak_mib())
                print(f"monolithic {hours} h: {mono[2]:.1f} s", file=sys.stderr, flush=True)
            options = Decomposition(
                gap=args.gap,
                hours=args.hours_per_subperiod,
                parallel=args.workers > 0,
                client=client if args.workers > 0 else None,
            )
            start = time.perf_counter()
            result = plan(
                zone,
                p,
                decomposition=options,
                on_progress=lambda pr: print(pr.line(), file=sys.stderr, flush=True),
            )
            wall = time.perf_counter() - start
            workers_mib = 0.0
            if args.workers > 0:
                peaks = client.run(_peak_mib)
                workers_mib = max(peaks.values())
            a = result.attrs
            rows.append((years, hours, a, wall, _peak_mib(), workers_mib))
            print(f"decomposed {years} y: {wall:.1f} s", file=sys.stderr, flush=True)
    print(
        f"Temporal decomposition on the embedded Karabakh zone (SYNTHETIC weather), greenzone {__version__}, "
        f"highspy {getattr(highspy, '__version__', '?')}, Python {platform.python_version()}, "
        f"{available_cores()} cores, {args.workers} Dask workers, gap {args.gap:.2%}.\n"
    )
    if mono is not None:
        print(
            f"Monolithic HiPO ({mono[0]:,} h): objective {mono[1]:,.0f} USD/yr, {mono[2]:.1f} s wall "
            f"({mono[3]:.1f} s in HiGHS), peak memory of this process so far {mono[4]:,.0f} MiB.\n"
        )
    print(
        "| years | hours | subperiods | objective (UB) [USD/yr] | LB [USD/yr] | gap | iterations | wall [s] | "
        "start [s] | subproblems [s] | in HiGHS [s] | master [s] | level set [s] | master MiB | worker MiB | "
        "64 workers [s] (est.) |"
    )
    print(
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for years, hours, a, wall, master_mib, worker_mib in rows:
        iterations = a["decomposition_iterations"]
        start_s = wall - a["decomposition_total_s"]
        est = start_s + a["decomposition_master_s"] + a["decomposition_level_set_s"]
        est += a["decomposition_subproblem_solve_s"] / 64
        print(
            f"| {years} | {hours:,} | {a['decomposition_subperiods']} | {a['objective_usd_per_year']:,.0f} | "
            f"{a['decomposition_lower_usd_per_year']:,.0f} | {a['decomposition_gap']:.3%} | {iterations} | "
            f"{wall:.1f} | {start_s:.1f} | {a['decomposition_subproblems_s']:.1f} | "
            f"{a['decomposition_subproblem_solve_s']:.1f} | {a['decomposition_master_s']:.1f} | "
            f"{a['decomposition_level_set_s']:.1f} | {master_mib:,.0f} | {worker_mib:,.0f} | {est:.0f} |"
        )
        if mono is not None and hours == mono[0]:
            print(
                f"\nAgainst monolithic HiPO on the same {hours:,} h: wall {mono[2] / wall:.2f}× faster, "
                f"objective {(a['objective_usd_per_year'] - mono[1]) / abs(mono[1]):+.4%}."
            )


if __name__ == "__main__":
    main()
