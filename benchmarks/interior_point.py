"""Benchmark: HiGHS's interior points on the embedded Karabakh zone, hourly, side by side in one process.

Plans the embedded zone hour by hour over its first ``--hours`` hours (SYNTHETIC weather, seed of the zone) with
``greenzone.plan`` three ways, the same LP each time:

- ``ipm``: HiPO (highspy 1.15.1 with highspy-extras, as pyproject pins them) with crossover to a basic solution,
  greenzone's choice for a plan whose prices go into the report;
- ``ipm_no_crossover``: HiPO without crossover, the choice where an interior optimum serves (adequacy, sweeps);
- ``ipx``: HiGHS's older interior point IPX with crossover (what ``ipm`` ran before HiPO).

Reported: objective, solve time, iterations, and each time as a ratio to HiPO with crossover. Every method
uses every core (``SolverOptions.threads`` default for the interior points). Timings on a shared 2-core
machine are noisy: compare the ratios of one run.

Usage::

    python benchmarks/interior_point.py [--hours 720 2160] [--methods ipm ipm_no_crossover ipx]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, nargs="+", default=[720, 2160])
    parser.add_argument("--methods", nargs="+", default=["ipm", "ipm_no_crossover", "ipx"])
    args = parser.parse_args(argv)

    import highspy

    from greenzone import __version__
    from greenzone.optimize.solve import SolverOptions, available_cores, interior_point
    from greenzone.planning.year import plan
    from greenzone.resources import profiles
    from greenzone.weather import load_weather
    from greenzone.zone import load_zone

    zone = load_zone()
    full = profiles(zone, load_weather(zone))
    rows = []
    for hours in args.hours:
        p = full.isel(time=slice(0, hours))
        times: dict[str, float] = {}
        for method in args.methods:
            start = time.perf_counter()
            result = plan(zone, p, options=SolverOptions(method=method))
            wall = time.perf_counter() - start
            times[method] = float(result.attrs["solver_time_s"])
            rows.append(
                (
                    hours,
                    method,
                    result.attrs["solver_interior_point"],
                    float(result.attrs["objective_usd_per_year"]),
                    times[method],
                    wall,
                    int(result.attrs["solver_iterations"]),
                    int(result.attrs["num_variables"]),
                )
            )
            print(f"{hours} h {method}: {times[method]:.1f} s", file=sys.stderr, flush=True)
    base = {h: next(r[4] for r in rows if r[0] == h and r[1] == args.methods[0]) for h in args.hours}
    print(
        f"Interior points on the embedded Karabakh zone, hourly (SYNTHETIC weather), greenzone {__version__}, "
        f"highspy {getattr(highspy, '__version__', '?')} ({interior_point()} available), Python "
        f"{platform.python_version()}, {available_cores()} cores.\n"
    )
    print(
        "| hours | method | interior point | objective [USD/yr] | solve [s] | vs first | iterations | columns |"
    )
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for hours, method, ipm, objective, solve_s, _wall, iterations, columns in rows:
        print(
            f"| {hours:,} | {method} | {ipm.upper()} | {objective:,.0f} | {solve_s:.1f} | "
            f"{solve_s / base[hours]:.2f}× | {iterations:,} | {columns:,} |"
        )


if __name__ == "__main__":
    main()
