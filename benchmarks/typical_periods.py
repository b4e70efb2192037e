"""Benchmark: typical days against the full hourly plan of the embedded Karabakh zone.

For N typical days (default 8, 16, 32, 64; Kotzur storage linking) this plans the embedded zone on its
synthetic weather and compares each plan with a reference: the full hourly plan if it solves within
``--hourly-time-limit`` seconds, otherwise the plan on ``--fallback-days`` typical days (the output then says
so). Reported per N: wall time of ``greenzone.plan`` (clustering, build, solve, expansion) and of the solve
alone, speed-up against the reference's wall time, cost error (objective against the reference's) and
capacity-mix error (Σ over technologies of |ΔMW| / reference total MW, generators and storage power summed
over nodes). The cost error is divided by the reference's |objective| (which is negative when export revenue
exceeds the zone's costs); Δ cost gives it in MUSD/yr.

Against full hourly resolution even when the hourly plan cannot be solved: every plan's fleet is also
dispatched over all 8,760 hours (``greenzone.planning.hourly_check.check_aggregation``, what ``greenzone run
--check`` does: capacities fixed, perfect foresight in 48-hour windows, storage aiming at the plan's levels).
"hourly check" is the aggregated objective's error against that hourly cost of its own fleet; "vs best hourly"
is its error against the lowest hourly cost found for any N (an upper bound of the hourly optimum when the
fleets agree, as they do on the embedded zone).

Usage::

    python benchmarks/typical_periods.py [--days 8 16 32 64] [--hourly-time-limit 1200] [--fallback-days 182]
        [--naive] [--skip-hourly]

Writes a Markdown table to stdout (``>> docs/benchmarks.md`` records it). Timings on a shared 2-core
machine are noisy: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time


def _run(zone, prof, *, days, linking=True, time_limit=None):
    from greenzone.planning.year import plan

    t0 = time.perf_counter()
    result = plan(zone, prof, typical_days=days, linking=linking, time_limit=time_limit)
    return result, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument(
        "--hourly-time-limit", type=float, default=1200.0, help="[s] for the full hourly plan"
    )
    parser.add_argument("--fallback-days", type=int, default=182, help="reference if the hourly plan fails")
    parser.add_argument("--skip-hourly", action="store_true", help="use the fallback reference directly")
    parser.add_argument("--naive", action="store_true", help="also plan each N without storage linking")
    args = parser.parse_args(argv)

    import greenzone as gz
    from greenzone.errors import SolverError

    zone = gz.load_zone()
    weather = gz.load_weather(zone)
    prof = gz.profiles(zone, weather)
    n_days = prof.sizes["time"] // 24

    from greenzone.planning.aggregation_errors import capacity_mix, capacity_mix_error
    from greenzone.planning.hourly_check import check_aggregation

    rows = []
    checks = {}
    for days in args.days:
        for linking in (True, False) if args.naive else (True,):
            result, wall = _run(zone, prof, days=days, linking=linking)
            t0 = time.perf_counter()
            check, _ = check_aggregation(zone, result, prof)
            checks[(days, linking)] = (check, time.perf_counter() - t0)
            rows.append((days, linking, result, wall))
            print(
                f"# N={days} linking={linking}: {wall:.1f} s, {result.attrs['objective_usd_per_year']:.6e} USD/yr",
                file=sys.stderr,
                flush=True,
            )

    reference = None
    note = ""
    if not args.skip_hourly:
        try:
            reference, ref_wall = _run(zone, prof, days=None, time_limit=args.hourly_time_limit)
            note = f"Reference: the full hourly plan ({n_days * 24} hours), solved in {ref_wall:.0f} s."
        except SolverError as err:
            note = (
                f"The full hourly plan did not solve within {args.hourly_time_limit:.0f} s ({err}); the reference "
                f"is therefore the plan on {args.fallback_days} typical days with linking, NOT the hourly plan."
            )
            print(f"# {note}", file=sys.stderr, flush=True)
    if reference is None:
        reference, ref_wall = _run(zone, prof, days=args.fallback_days)
        if not note:
            note = (
                f"Reference: the plan on {args.fallback_days} typical days with linking (hourly plan skipped), "
                "NOT the hourly plan."
            )
    ref_cost = reference.attrs["objective_usd_per_year"]
    hourly_failed = "NOT the hourly plan" in note

    print(f"## Typical days on the embedded zone ({platform.processor() or platform.machine()}, HiGHS ipm)\n")
    print(note + "\n")
    print(
        "| typical days | linking | LP columns | LP rows | wall [s] | solve [s] | speed-up | cost [MUSD/yr] "
        "| Δ cost [MUSD/yr] | cost error | capacity-mix error | hourly check | vs best hourly | check [s] |"
    )
    print(
        "| ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    best = min(c["aggregation_check_cost_usd_per_year"] for c, _ in checks.values())
    for days, linking, result, wall in rows:
        cost = result.attrs["objective_usd_per_year"]
        check, check_s = checks[(days, linking)]
        print(
            f"| {days} | {'yes' if linking else 'no'} | {result.attrs['num_variables']:,} "
            f"| {result.attrs['num_constraints']:,} | {wall:.1f} | {result.attrs['solver_time_s']:.1f} "
            f"| {ref_wall / wall:.1f}× | {cost / 1e6:.3f} | {(cost - ref_cost) / 1e6:+.3f} "
            f"| {(cost - ref_cost) / abs(ref_cost):+.2%} "
            f"| {capacity_mix_error(result, reference):.2%} | {check['aggregation_cost_error']:+.2%} "
            f"| {(cost - best) / abs(best):+.2%} | {check_s:.1f} |"
        )
    label = f"{args.fallback_days} (reference)" if hourly_failed or args.skip_hourly else "hourly (reference)"
    print(
        f"| {label} | yes | {reference.attrs['num_variables']:,} | {reference.attrs['num_constraints']:,} "
        f"| {ref_wall:.1f} | {reference.attrs['solver_time_s']:.1f} | 1.0× | {ref_cost / 1e6:.3f} | 0 | 0 | 0 "
        f"| | {(ref_cost - best) / abs(best):+.2%} | |"
    )
    print()
    print(f"Best hourly dispatch cost found: {best / 1e6:.3f} MUSD/yr.\n")
    mix = capacity_mix(reference)
    print("Reference capacity mix [MW]: " + ", ".join(f"{k} {v:,.0f}" for k, v in mix.items() if v > 0.5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
