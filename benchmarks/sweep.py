"""Sweeps on Dask: parallel efficiency at 1 and 2 workers, and the scheduler's overhead per case.

    python benchmarks/sweep.py [--cases 16] [--hours 168] [--zone two-node|karabakh] [--workers 1 2] [--repeat 3]

Every run computes the same ``--cases`` cases (weather seeds 1..N of the zone, planned on the first
``--hours`` hours hour by hour; ``--hours 0``: 16 typical days of the whole year) into a fresh sweep folder on a
fresh local cluster. Efficiency at W workers is T(1) / (W x T(W)), from the wall time of each run once its
cluster is up; the overhead per case is the wall time beyond the cases' own time (sum of time_s / W) divided by
the cases, and, apart from it, the round trip of a task that does nothing (submitted 200 times). A Markdown
table goes to stdout, progress to stderr.

On a shared machine other work steals cores from one run and not the next, so every worker count is run
``--repeat`` times, interleaved (1, 2, 1, 2, ...), and each row keeps its fastest run (the one least disturbed);
the load average before and after is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

TWO_NODES = Path(__file__).resolve().parents[1] / "tests"


def _zone_file(kind: str, folder: Path) -> str | None:
    """The zone file of the benchmark (None: the embedded Karabakh zone)."""
    if kind == "karabakh":
        return None
    sys.path.insert(0, str(TWO_NODES))
    from test_report import write_two_node_zone

    return str(write_two_node_zone(folder / "zone"))


def _sweep_file(folder: Path, zone: str | None, cases: int, hours: int) -> Path:
    run = {"hours": hours, "method": "dual_simplex"} if hours else {"typical_days": 16}
    spec = {"run": run, "parameters": {"grid": {"weather.seed": list(range(1, cases + 1))}}}
    if zone is not None:
        spec["zone"] = zone
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _noop() -> None:
    return None


def _run(sweep_file: Path, out: Path, workers: int) -> dict:
    from dask.distributed import Client, LocalCluster

    from greenzone.sweep import read_sweep
    from greenzone.sweep.run import run_sweep

    sweep = read_sweep(sweep_file)
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.submit(_noop, pure=False).result()
        start = time.perf_counter()
        for _ in range(200):
            client.submit(_noop, pure=False).result()
        round_trip = (time.perf_counter() - start) / 200
        client.run(lambda: __import__("greenzone.sweep.case"))  # imports outside the timed run
        start = time.perf_counter()
        outcome = run_sweep(sweep, out, client=client)
        wall = time.perf_counter() - start
    times = [row["time_s"] for row in outcome.rows]
    return {
        "workers": workers,
        "wall": wall,
        "case_sum": sum(times),
        "round_trip": round_trip,
        "n": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=16)
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--zone", choices=("two-node", "karabakh"), default="two-node")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count; the fastest is kept")
    args = parser.parse_args()
    load_before = os.getloadavg()
    best: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="greenzone-bench-sweep-") as tmp:
        folder = Path(tmp)
        sweep_file = _sweep_file(folder, _zone_file(args.zone, folder), args.cases, args.hours)
        for attempt in range(args.repeat):
            for workers in args.workers:
                print(f"{args.cases} cases on {workers} worker(s), run {attempt + 1} ...", file=sys.stderr)
                run = _run(sweep_file, folder / f"out-{workers}-{attempt}", workers)
                print(run, file=sys.stderr)
                if workers not in best or run["wall"] < best[workers]["wall"]:
                    best[workers] = run
    results = [best[w] for w in args.workers]
    load_after = os.getloadavg()
    base = next((r for r in results if r["workers"] == 1), None)
    what = f"{args.hours} h hourly" if args.hours else "16 typical days"
    print(
        f"\n{args.cases} cases of the {args.zone} zone ({what}, one HiGHS thread each), fresh local cluster per run, "
        f"fastest of {args.repeat} runs per row; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print(
        "| workers | wall [s] | per case [s] | efficiency | overhead per case [ms] | no-op task round trip [ms] |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        efficiency = "" if base is None else f"{base['wall'] / (r['workers'] * r['wall']):.0%}"
        overhead = (r["wall"] - r["case_sum"] / r["workers"]) / r["n"] * 1000
        print(
            f"| {r['workers']} | {r['wall']:.1f} | {r['case_sum'] / r['n']:.2f} | {efficiency} | {overhead:.0f} | "
            f"{r['round_trip'] * 1000:.1f} |"
        )


if __name__ == "__main__":
    main()
