"""Benchmark: typical days against the true hourly optimum, on variants of the embedded zone that build.

The embedded Karabakh zone of its base year builds nothing new (its capacity-mix error is trivially 0), so
this measures variants that do: ``2040-export65`` (``year: 2040``, ``grid.export_price_usd_per_mwh: 65``)
and ``2040-export65-demand150`` (the same with every node's use per resident ×1.5). For each variant it plans
every hour (HiGHS interior point: HiPO where highspy-extras is installed; the true hourly optimum) and on each
N typical days (Kotzur storage linking), and reports per N: the cost error against the hourly optimum
((cost_N − cost_hourly) / |cost_hourly|), the capacity-mix error (Σ over technologies of |ΔMW| / hourly total
MW, generators and storage power summed over nodes), the new-build error (Σ |Δ new MW| / hourly new MW), both
wall times, and the fewest N whose |cost error| ≤ 1%.

With ``--check windows year`` the fleet of each N in ``--check-days`` (default all) is also dispatched over
every hour by ``greenzone run --check`` (:func:`greenzone.planning.hourly_check.check_aggregation`, every annual
limit kept) in each of its two ways: rolling windows with the limits handed out pro rata to the plan, or
the whole year as one fixed-fleet LP. Its cost is what that fleet really costs at full resolution and can be
no lower than the hourly optimum ("vs hourly"); the renewable share it reaches is shown beside.

Usage::

    python benchmarks/typical_periods.py [--variants 2040-export65 ...] [--days 8 16 32 64]
        [--check windows year] [--check-days 16] [--cache DIR] [--hours H]

``--hours H`` plans only the first H hours (whole days; a quick run, not the measurement). ``--cache DIR`` keeps each variant's hourly plan as DIR/<variant>-<fingerprint>.nc and reuses it (an hourly
year takes 6 minutes or more of both cores here). Writes a Markdown table per variant to stdout. Timings on
a shared 2-core machine are noisy: compare the ratios, and quote the load average printed with them.
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
from pathlib import Path

VARIANTS = {
    "2040-export65": "year 2040, export price 65 USD/MWh",
    "2040-export65-demand150": "year 2040, export price 65 USD/MWh, use per resident ×1.5 at every node",
}
"""The zones measured: variants of the embedded zone that build new plants."""


def variant_zone(name: str):
    """The embedded zone changed as :data:`VARIANTS` says."""
    from greenzone.zone.load import embedded_zone_path, read_zone_data, zone_from_data

    path = embedded_zone_path()
    raw = copy.deepcopy(read_zone_data(path))
    raw["year"] = 2040
    raw["grid"]["export_price_usd_per_mwh"] = 65
    if name.endswith("-demand150"):
        for node in raw["nodes"]:
            demand = node.get("demand") or {}
            for key in ("use_mwh_per_person", "annual_mwh"):
                if isinstance(demand.get(key), int | float):
                    demand[key] = 1.5 * demand[key]
                elif isinstance(demand.get(key), dict):
                    demand[key] = {y: 1.5 * v for y, v in demand[key].items()}
    return zone_from_data(raw, path)


def new_mw(plan) -> dict[str, float]:
    """New capacity per technology, storage power included [MW]."""
    gen = (plan["capacity"] - plan["capacity_existing"]).sum("node")
    sto = (plan["storage_discharge_capacity"] - plan["storage_discharge_capacity_existing"]).sum("node")
    out = {str(k): float(v) for k, v in gen.to_series().items()}
    return out | {f"{k} (power)": float(v) for k, v in sto.to_series().items()}


def new_build_error(plan, reference) -> float:
    """Σ_technologies |new MW − new MW_ref| / Σ new MW_ref [-] (nan when the reference builds nothing)."""
    a, b = new_mw(plan), new_mw(reference)
    total = sum(max(v, 0.0) for v in b.values())
    return sum(abs(a[k] - b[k]) for k in b) / total if total > 0.5 else float("nan")


def hourly_reference(zone, prof, variant: str, cache: Path | None):
    """The hourly plan of ``zone`` and its wall time [s], from ``cache`` when it holds it."""
    import xarray as xr

    from greenzone.output import write_netcdf
    from greenzone.planning.year import plan
    from greenzone.zone.fingerprint import zone_fingerprint

    path = cache / f"{variant}-{zone_fingerprint(zone)}-{prof.sizes['time']}h.nc" if cache else None
    if path is not None and path.exists():
        with xr.open_dataset(path) as ds:
            ref = ds.load()
        return ref, float(ref.attrs["benchmark_wall_s"]), True
    t0 = time.perf_counter()
    ref = plan(zone, prof)
    wall = time.perf_counter() - t0
    ref.attrs["benchmark_wall_s"] = wall
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_netcdf(ref, path)
    return ref, wall, False


def measure_variant(
    variant: str,
    days: list[int],
    *,
    checks: list[str],
    check_days: list[int] | None,
    cache: Path | None,
    hours: int | None = None,
) -> None:
    """Print one variant's table."""
    import greenzone as gz
    from greenzone.planning.aggregation_errors import capacity_mix_error
    from greenzone.planning.year import plan

    zone = variant_zone(variant)
    prof = gz.profiles(zone, gz.load_weather(zone))
    if hours is not None:
        prof = prof.isel(time=slice(0, hours))
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    ref, ref_wall, cached = hourly_reference(zone, prof, variant, cache)
    ref_cost = ref.attrs["objective_usd_per_year"]
    print(
        f"# {variant}: hourly {ref_wall:.0f} s{' (cached)' if cached else ''}, {ref_cost / 1e6:.3f} MUSD/yr",
        file=sys.stderr,
        flush=True,
    )
    rows = []
    for n in days:
        t0 = time.perf_counter()
        typical = plan(zone, prof, typical_days=n)
        wall = time.perf_counter() - t0
        row = {"n": n, "plan": typical, "wall": wall, "check": {}}
        for method in checks if check_days is None or n in check_days else ():
            from greenzone.planning.hourly_check import check_aggregation

            t0 = time.perf_counter()
            figures, _ = check_aggregation(zone, typical, prof, method=method)
            row["check"][method] = (figures, time.perf_counter() - t0)
            print(
                f"# {variant} N={n} check {method}: {row['check'][method][1]:.1f} s, "
                f"{figures['aggregation_check_cost_usd_per_year'] / 1e6:.3f} MUSD/yr",
                file=sys.stderr,
                flush=True,
            )
        cost = typical.attrs["objective_usd_per_year"]
        print(
            f"# {variant} N={n}: {wall:.1f} s, {cost / 1e6:.3f} MUSD/yr, "
            f"{(cost - ref_cost) / abs(ref_cost):+.2%}",
            file=sys.stderr,
            flush=True,
        )
        rows.append(row)
    load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []

    print(f"### {variant}: {VARIANTS[variant]} ({prof.sizes['time']:,} h)\n")
    print(
        f"Reference: the true hourly optimum, {ref_cost / 1e6:.3f} MUSD/yr, {ref.attrs['num_variables']:,} "
        f"columns, {ref_wall:.0f} s wall (HiGHS {ref.attrs.get('solver_method', '')} {ref.attrs.get('solver_interior_point', '')}). "
        f"New build hourly [MW]: "
        + (", ".join(f"{k} {v:,.0f}" for k, v in new_mw(ref).items() if v >= 0.5) or "none")
        + f". Load average before / after: {' '.join(load_before)} / {' '.join(load_after)}.\n"
    )
    head = "| N | wall [s] | speed-up | cost [MUSD/yr] | cost error | capacity-mix error | new-build error |"
    rule = "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for method in checks:
        head += f" check {method} [MUSD/yr] | vs hourly | renewable share | [s] |"
        rule += " ---: | ---: | ---: | ---: |"
    print(head)
    print(rule)
    enough = None
    for row in rows:
        typical, cost = row["plan"], row["plan"].attrs["objective_usd_per_year"]
        error = (cost - ref_cost) / abs(ref_cost)
        if enough is None and abs(error) <= 0.01:
            enough = row["n"]
        built = ", ".join(f"{k} {v:,.0f}" for k, v in new_mw(typical).items() if v >= 0.5) or "none"
        line = (
            f"| {row['n']} | {row['wall']:.1f} | {ref_wall / row['wall']:.0f}× | {cost / 1e6:.3f} | {error:+.2%} "
            f"| {capacity_mix_error(typical, ref):.2%} | {new_build_error(typical, ref):.1%} ({built}) |"
        )
        for method in checks:
            if method not in row["check"]:
                line += " | | | |"
                continue
            figures, check_s = row["check"][method]
            checked = figures["aggregation_check_cost_usd_per_year"]
            line += (
                f" {checked / 1e6:.3f} | {(checked - ref_cost) / abs(ref_cost):+.2%} "
                f"| {figures['aggregation_check_renewable_share']:.3f} | {check_s:.1f} |"
            )
        print(line)
    print()
    print(
        f"Fewest typical days with |cost error| ≤ 1%: {enough if enough is not None else f'none up to {days[-1]}'}"
        ".\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--days", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument(
        "--check", nargs="*", choices=["windows", "year"], default=[], help="also run --check this way"
    )
    parser.add_argument("--check-days", type=int, nargs="+", help="the N whose fleets are checked")
    parser.add_argument("--cache", type=Path, help="folder keeping the hourly plans between runs")
    parser.add_argument("--hours", type=int, help="plan only the first H hours (whole days): a quick run")
    args = parser.parse_args(argv)
    if args.hours is not None and (args.hours % 24 or args.hours < 24 * max(args.days)):
        parser.error(
            f"--hours {args.hours}: give whole days, at least {24 * max(args.days)} (the most days asked)"
        )
    print(f"## Typical days against the true hourly optimum ({platform.processor() or platform.machine()})\n")
    for variant in args.variants:
        measure_variant(
            variant,
            sorted(set(args.days)),
            checks=args.check,
            check_days=args.check_days,
            cache=args.cache,
            hours=args.hours,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
