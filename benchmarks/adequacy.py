"""Benchmark: adequacy of the embedded Karabakh plan over many weather years, serial against parallel.

The embedded zone (``greenzone.load_zone()``, SYNTHETIC weather, seed of the zone) is planned as ``make run``
plans it (16 typical days with storage linking); ``greenzone.adequacy.assess`` then dispatches the plan's
fleet over ``--years`` synthetic weather years (the first is the plan's own), once in this process
(``workers=1``) and once on ``--workers`` processes (spawned; each makes its own weather years), with the same
seed, so both runs give the same figures (checked). With ``--outages`` the units, link circuits and grid
circuits fail at random (two-state Markov per unit, the zone's forced-outage rates and repair times).

Reported: LOLE [h/yr], EUE [MWh/yr], LOLP [-] and their spread, the wall time of each run, the speed-up
(serial / parallel) and the parallel efficiency (speed-up / processes). There is no peer: PyPSA, Calliope and
oemof have no adequacy loop; the dispatch engine itself is compared with PyPSA's rolling horizon in
benchmarks/operate.py. Markdown goes to stdout, a JSON record to stderr.

Usage::

    python benchmarks/adequacy.py                         # 30 years, no outages, serial and on 2 processes
    python benchmarks/adequacy.py --outages --years 30
    python benchmarks/adequacy.py --years 4               # quick check (about 1 min)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=30, help="weather years (default 30)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="processes of the parallel run"
    )
    parser.add_argument("--outages", action="store_true", help="draw random forced outages")
    parser.add_argument("--skip-serial", action="store_true", help="only the parallel run")
    args = parser.parse_args()

    import numpy as np

    import greenzone
    from greenzone.adequacy import assess, synthetic_years

    zone = greenzone.load_zone()
    t0 = time.perf_counter()
    weather = greenzone.load_weather(zone)
    profiles = greenzone.profiles(zone, weather)
    planned = greenzone.plan(zone, profiles, typical_days=16)
    plan_s = time.perf_counter() - t0
    years = synthetic_years(zone, args.years)
    runs = {}
    for workers in ([] if args.skip_serial else [1]) + [args.workers]:
        start = time.perf_counter()
        result = assess(zone, planned, years, outages=args.outages, seed=0, workers=workers)
        runs[workers] = (time.perf_counter() - start, result)
        print(f"{workers} process(es): {runs[workers][0]:.1f} s", file=sys.stderr)
    parallel_s, result = runs[args.workers]
    s = result.summary
    record = {
        "benchmark": "adequacy",
        "zone": zone.name,
        "years": args.years,
        "outages": args.outages,
        "workers": args.workers,
        "plan_s": plan_s,
        "parallel_s": parallel_s,
        "lole_h_per_year": s["lole_h_per_year"],
        "eue_mwh_per_year": s["eue_mwh_per_year"],
        "lolp": s["lolp"],
        "lole_max_year_h": s["lole_spread"]["max"],
        "years_with_loss_of_load": s["years_with_loss_of_load"],
        "mean_outage_mw": float(np.mean([y.mean_outage_mw for y in result.years])),
        "year_time_s": s["year_time_s"],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    if 1 in runs and args.workers != 1:
        serial_s, serial = runs[1]
        same = all(
            np.array_equal(a.shortfall, b.shortfall) for a, b in zip(serial.years, result.years, strict=True)
        )
        record.update(
            serial_s=serial_s,
            speed_up=serial_s / parallel_s,
            parallel_efficiency=serial_s / parallel_s / args.workers,
            same_results=bool(same),
        )
    print(json.dumps(record), file=sys.stderr)

    print(
        f"### Adequacy of the embedded plan over {args.years} weather years"
        + (" with outages" if args.outages else "")
    )
    print()
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| LOLE [h/yr] | {s['lole_h_per_year']:.2f} ± {s['lole_spread']['standard_error']:.2f} |")
    print(f"| worst year [h] | {s['lole_spread']['max']:.0f} |")
    print(f"| EUE [MWh/yr] | {s['eue_mwh_per_year']:.1f} |")
    print(f"| LOLP [-] | {s['lolp']:.2e} |")
    print(f"| years with loss of load | {s['years_with_loss_of_load']} of {args.years} |")
    print(f"| mean capacity on forced outage [MW] | {record['mean_outage_mw']:.1f} |")
    print(f"| plan (16 typical days) [s] | {plan_s:.1f} |")
    if "serial_s" in record:
        print(
            f"| 1 process [s] | {record['serial_s']:.1f} ({record['serial_s'] / args.years:.2f} s per year) |"
        )
    print(f"| {args.workers} processes [s] | {parallel_s:.1f} |")
    if "serial_s" in record:
        print(f"| speed-up | {record['speed_up']:.2f}× |")
        print(f"| parallel efficiency | {record['parallel_efficiency']:.0%} |")
        print(f"| same figures serial and parallel | {record['same_results']} |")
    print()
    print(f"Machine: {record['machine']}.")


if __name__ == "__main__":
    main()
