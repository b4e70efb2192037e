"""Measure a zone's typical-day error against its true hourly optimum and record it for its reports.

Plans the zone over every hour with HiGHS's interior point (``ipm``: HiPO where highspy-extras is installed)
and on each N typical days (Kotzur storage linking), then writes one record per N into the aggregation
records (``greenzone/data/aggregation_errors.yaml`` by default, :mod:`greenzone.planning.aggregation_errors`), keyed
by the zone's fingerprint, weather seed and years, hours planned and N: cost error against the hourly
optimum, capacity-mix error, both wall times and the speed-up, the date, greenzone's version and the machine.
A plan of the same zone on the same weather, hours and N then states that error in its report.

Usage::

    python benchmarks/aggregation_record.py [ZONE] [--days 16 32] [--hours H] [--seed S] [--record PATH]
        [--time-limit SECONDS]

ZONE defaults to the embedded Karabakh zone (a full hourly year of it takes 8 minutes or more of both cores
on a 2-core machine: run it once, after the zone's last change). ``--hours`` plans only the first H hours
(a whole number of days), for a quick record of a small case; such a record matches only plans of the same
hours. Prints each record as it is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path


def machine() -> str:
    """The machine in words: processor, cores, operating system and HiGHS's version."""
    import highspy

    try:
        highs = highspy.Highs().version()
    except AttributeError:  # older highspy
        highs = "?"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, HiGHS {highs}"


def measure(zone, profiles, days: list[int], *, time_limit: float | None, seed, label: str) -> list[dict]:
    """Plan ``profiles`` hourly and on each N of ``days``; one record per N."""
    import pandas as pd

    import greenzone
    from greenzone.optimize.solve import SolverOptions
    from greenzone.planning.aggregation_errors import capacity_mix_error
    from greenzone.planning.year import plan

    options = SolverOptions(method="ipm", time_limit_s=time_limit)
    t0 = time.perf_counter()
    hourly = plan(zone, profiles, options=options)
    hourly_s = time.perf_counter() - t0
    reference = hourly.attrs["objective_usd_per_year"]
    print(
        f"hourly ({profiles.sizes['time']:,} h): {hourly_s:.1f} s, {reference / 1e6:.3f} MUSD/yr", flush=True
    )
    hours = int(profiles.sizes["time"])
    years = len(set(pd.DatetimeIndex(profiles.indexes["time"]).year))
    built_hourly = _new_mw(hourly)
    records = []
    for n in days:
        t0 = time.perf_counter()
        typical = plan(zone, profiles, typical_days=n, options=options)
        wall = time.perf_counter() - t0
        cost = typical.attrs["objective_usd_per_year"]
        error = (cost - reference) / abs(reference)
        record = {
            "zone": zone.name,
            "zone_fingerprint": hourly.attrs["zone_fingerprint"],
            "weather": label,
            "weather_seed": seed,
            "weather_years": years,
            "hours": hours,
            "typical_days": n,
            "linking": True,
            "reference": (
                f"the true hourly optimum (HiGHS ipm over all {hours:,} h: {reference / 1e6:.3f} MUSD/yr); "
                f"the plan on {n} typical days: {cost / 1e6:.3f} MUSD/yr"
            ),
            "hourly_optimum_usd_per_year": round(float(reference), 1),
            "cost_error": round(error, 6),
            "cost_error_musd_per_year": round((cost - reference) / 1e6, 3),
            "capacity_mix_error": round(capacity_mix_error(typical, hourly), 6),
            "new_mw_hourly": dict(built_hourly),
            "new_mw_typical_days": _new_mw(typical),
            "hourly_s": round(hourly_s, 1),
            "typical_days_s": round(wall, 1),
            "speed_up": round(hourly_s / wall, 1),
            "measured_on": f"{dt.datetime.now(dt.UTC).date().isoformat()}, benchmarks/aggregation_record.py",
            "greenzone_version": greenzone.__version__,
            "machine": machine(),
        }
        print(
            f"{n} typical days: {wall:.1f} s, {cost / 1e6:.3f} MUSD/yr, cost error {error:+.2%}, "
            f"capacity-mix error {record['capacity_mix_error']:.1%}",
            flush=True,
        )
        records.append(record)
    return records


def _new_mw(plan) -> dict[str, float]:
    """New capacity per technology, storage power included [MW], rounded to 0.1 MW; only what is built."""
    gen = (plan["capacity"] - plan["capacity_existing"]).sum("node")
    sto = (plan["storage_discharge_capacity"] - plan["storage_discharge_capacity_existing"]).sum("node")
    new = {str(k): float(v) for k, v in gen.to_series().items()}
    new |= {f"{k} (power)": float(v) for k, v in sto.to_series().items()}
    return {k: round(v, 1) for k, v in new.items() if v >= 0.05}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zone", nargs="?", type=Path, help="zone file; default the embedded Karabakh zone")
    parser.add_argument("--days", type=int, nargs="+", default=[16, 32], help="typical days to measure")
    parser.add_argument("--hours", type=int, help="plan only the first H hours (a whole number of days)")
    parser.add_argument("--seed", type=int, help="synthetic weather seed; default the zone's")
    parser.add_argument(
        "--record", type=Path, help="records file; default greenzone/data/aggregation_errors.yaml"
    )
    parser.add_argument("--time-limit", type=float, help="[s] for each solve")
    args = parser.parse_args(argv)

    import greenzone as gz
    from greenzone.errors import GreenzoneError
    from greenzone.planning.aggregation_errors import records_path, update_records

    try:
        zone = gz.load_zone(args.zone) if args.zone else gz.load_zone()
        weather = gz.load_weather(zone, seed=args.seed)
        profiles = gz.profiles(zone, weather)
        if args.hours is not None:
            if args.hours % 24 or not 24 * max(args.days) <= args.hours <= profiles.sizes["time"]:
                parser.error(
                    f"--hours {args.hours}: give whole days, at least {24 * max(args.days)} (the most typical "
                    f"days asked) and at most {profiles.sizes['time']}"
                )
            profiles = profiles.isel(time=slice(0, args.hours))
        seed = weather.attrs.get("seed", "")
        years = len(set(profiles.indexes["time"].year))
        label = (
            f"synthetic, {years} year{'s' if years > 1 else ''}, seed {seed}"
            if int(weather.attrs.get("synthetic", 0))
            else str(weather.attrs.get("source", "weather"))
        )
        if args.hours is not None:
            label += f", first {args.hours:,} hours"
        records = measure(
            zone, profiles, sorted(set(args.days)), time_limit=args.time_limit, seed=seed, label=label
        )
        path = update_records(records, args.record or records_path())
    except GreenzoneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {len(records)} record(s) for zone {records[0]['zone_fingerprint']} into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
