"""Load test of ``greenzone serve`` on loopback: day-ahead schedules of the Karabakh zone under concurrent clients,
and how the service degrades past its rate limit.

    python benchmarks/serve.py [--clients 20] [--seconds 60] [--run-dir DIR] [--over-seconds 20]

The embedded Karabakh zone (SYNTHETIC weather) is planned hour by hour on its first 168 hours (``greenzone
run --hours 168``, unless ``--run-dir`` names a run folder) and registered in a fresh SQLite database; the
service runs as its own process (``greenzone serve``, uvicorn, one worker). Then:

1. **Load**: ``--clients`` threads, each with its own operator token, send day-ahead schedule requests (24 h
   from a random hour of the planned week: the run's own profiles times a seeded random factor per column,
   a random battery level) back to back for ``--seconds`` seconds, each with a fresh idempotency key.
   Reported: requests per second, latency percentiles of the successful requests, failures (any status other
   than 201, or no answer within 120 s), and lost requests (a 201 whose schedule the database does not hold,
   counted after the server is stopped); one served schedule is made again in this process from its stored
   inputs by ``greenzone.operate.schedule.schedule`` and compared bit for bit.
2. **Past the rate limit**: the service restarted with ``--rate 2 --burst 4`` per token; every client shares
   one token and sends cheap reads (``GET /zones/karabakh/schedules``) for ``--over-seconds`` seconds:
   how many got 200 and how many 429, the latency of each kind, and whether any timed out.

Markdown to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_helpers import Server  # noqa: E402


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _karabakh_run(folder: Path) -> Path:
    out = folder / "karabakh-run"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "greenzone.cli", "--quiet", "run", "--hours", "168", "--out", str(out)]
    subprocess.run(command, check=True, env=env)
    return out


def _forecasts(run_dir: Path, columns: list[str], count: int, seed: int = 0) -> list[str]:
    """``count`` 24-hour forecast CSVs for the zone: the run's profiles from a random hour, times a factor."""
    import pandas as pd

    from greenzone.runfolder import read_run

    run = read_run(run_dir)
    p = run.profiles
    time = pd.DatetimeIndex(p.indexes["time"])
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        start = int(rng.integers(0, len(time) - 24))
        sl = slice(start, start + 24)
        table = {"time": time[sl].strftime("%Y-%m-%d %H:%M")}
        for column in columns:
            kind, label = column.split(" ")[0].split(":", 1)
            if kind == "demand":
                values = p["demand"].sel(node=label).values[sl]
            else:
                node, tech = label.split("/")
                name = "capacity_factor" if kind == "cf" else kind
                values = p[name].sel(node=node, technology=tech).values[sl]
            factor = rng.uniform(0.85, 1.15)
            values = np.clip(values * factor, 0, 1 if kind == "cf" else None)
            table[column] = values
        out.append(pd.DataFrame(table).to_csv(index=False))
    return out


def _same_as_in_process(run_dir: Path, stored: dict) -> bool:
    """Whether a served schedule equals, bit for bit, the one ``greenzone.operate.schedule`` makes here from the
    same inputs (the function ``greenzone schedule`` calls)."""
    from greenzone.runfolder import read_run
    from greenzone.service import scheduling

    run = read_run(run_dir)
    request = scheduling.ScheduleRequest(**{"state": stored["request"]["state"],
                                            "forecast_csv": stored["request"]["forecast_csv"],
                                            "horizon": stored["request"]["horizon"]})  # fmt: skip
    levels, window = scheduling.read_request(run, request, 10**9)
    from greenzone.operate.schedule import schedule

    again = scheduling.table_record(schedule(run.zone, run.plan, window, levels))
    return scheduling.same_values(stored["schedule"], again)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _load(server: Server, tokens: list[str], forecasts: list[str], units: list[str], seconds: float) -> dict:
    results: list[tuple[int, float, int | None]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {tokens[k]}"}, timeout=120
        ) as c:
            n = 0
            while time.monotonic() < stop:
                body = {"state": {}, "forecast_csv": rng.choice(forecasts)}
                t0 = time.perf_counter()
                try:
                    r = c.post(
                        "/zones/karabakh/schedules", json=body, headers={"Idempotency-Key": f"c{k}-{n}"}
                    )
                    status, sid = r.status_code, (r.json().get("id") if r.status_code == 201 else None)
                except httpx.HTTPError:
                    status, sid = -1, None
                with lock:
                    results.append((status, time.perf_counter() - t0, sid))
                n += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = [lat for status, lat, _ in results if status == 201]
    return {
        "wall_s": wall,
        "requests": len(results),
        "ok": len(ok),
        "failed": len(results) - len(ok),
        "ids": [sid for status, _, sid in results if status == 201],
        "rps": len(ok) / wall,
        "p50": _percentile(ok, 50),
        "p95": _percentile(ok, 95),
        "p99": _percentile(ok, 99),
        "max": max(ok) if ok else float("nan"),
    }


def _over(server: Server, token: str, clients: int, seconds: float) -> dict:
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    status = c.get("/zones/karabakh/schedules", params={"limit": 5}).status_code
                except httpx.HTTPError:
                    status = -1
                with lock:
                    results.append((status, time.perf_counter() - t0))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    by = {}
    for status, lat in results:
        by.setdefault(status, []).append(lat)
    return by


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--over-seconds", type=float, default=20.0)
    parser.add_argument("--run-dir", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from greenzone.service import auth, db, zones

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_dir = args.run_dir
        if run_dir is None:
            _log("planning the Karabakh zone's first 168 hours (greenzone run --hours 168)")
            run_dir = _karabakh_run(folder)
        path = folder / "bench.db"
        engine = db.connect(path)
        zones.add_zone(engine, "karabakh", run_dir)
        tokens = []
        for k in range(args.clients):
            tokens.append(auth.create_token(engine, f"client-{k}"))
            auth.grant(engine, f"client-{k}", "karabakh", "operator")
        shared = auth.create_token(engine, "shared")
        auth.grant(engine, "shared", "karabakh", "viewer")
        engine.dispose()
        with Server(path, "--rate", "1000", "--burst", "1000") as server:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens[0]}"}) as c:
                info = c.get("/zones/karabakh").json()
            forecasts = _forecasts(run_dir, info["forecast_columns"], 50)
            _log(f"load: {args.clients} clients for {args.seconds:g} s")
            load = _load(server, tokens, forecasts, info["storage_units"], args.seconds)
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens[0]}"}) as c:
                sample = c.get(
                    f"/zones/karabakh/schedules/{load['ids'][0]}", params={"inputs": "true"}
                ).json()
        identical = _same_as_in_process(run_dir, sample)
        con = sqlite3.connect(path)
        stored = {row[0] for row in con.execute("select id from schedules")}
        con.close()
        lost = sum(1 for sid in load["ids"] if sid not in stored)
        with Server(path, "--rate", "2", "--burst", "4") as server:
            _log(
                f"past the rate limit: {args.clients} clients on one token (2/s, burst 4) for {args.over_seconds:g} s"
            )
            over = _over(server, shared, args.clients, args.over_seconds)

    print(f"## greenzone serve: {args.clients} clients, day-ahead (24 h) schedules of the Karabakh zone\n")
    print(f"machine: {os.cpu_count()} cores (shared), Python {sys.version.split()[0]}")
    print(
        f"a served schedule equals greenzone.operate.schedule's on the same inputs bit for bit: {identical}\n"
    )
    print("| requests | ok (201) | failed | lost | requests/s | p50 [s] | p95 [s] | p99 [s] | max [s] |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {load['requests']} | {load['ok']} | {load['failed']} | {lost} | {load['rps']:.2f} | {load['p50']:.3f} | "
        f"{load['p95']:.3f} | {load['p99']:.3f} | {load['max']:.3f} |"
    )
    print(
        f"\n## past the rate limit: {args.clients} clients on one token limited to 2/s (burst 4), {args.over_seconds:g} s\n"
    )
    print("| status | answers | p50 [s] | max [s] |")
    print("| --- | ---: | ---: | ---: |")
    for status in sorted(over):
        lat = over[status]
        label = {-1: "no answer (timeout or error)"}.get(status, str(status))
        print(f"| {label} | {len(lat)} | {statistics.median(lat):.4f} | {max(lat):.4f} |")


if __name__ == "__main__":
    main()
