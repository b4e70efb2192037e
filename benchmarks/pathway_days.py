"""How many typical days per period the Karabakh pathway needs: time and error against more days.

    python benchmarks/pathway_days.py [--days 4 6 8 16] [--method ipm] [--myopic]

Plans the embedded zone's pathway (6 periods, synthetic weather, seed 0) on each number of typical days and
prints, per run, the wall time of the whole call (clustering, build, solve, results), the discounted cost and
the new capacity by period and technology; the last line compares each run with the one on the most days (the
reference): the relative error of the discounted cost and the largest difference in new capacity of a period
[MW]. Measured figures go into docs/benchmarks.md with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import greenzone
from greenzone.optimize.solve import SolverOptions
from greenzone.planning.pathway import pathway, pathway_profiles


def run(days: int, method: str, myopic: bool) -> dict:
    zone = greenzone.load_zone()
    weather = greenzone.load_weather(zone)
    profiles = pathway_profiles(zone, weather)
    start = time.perf_counter()
    ds = pathway(zone, profiles, typical_days=days, myopic=myopic, options=SolverOptions(method=method))
    wall = time.perf_counter() - start
    new = ds["new_capacity"].sum("node")
    return {
        "typical_days": days,
        "method": method,
        "myopic": myopic,
        "wall_s": round(wall, 1),
        "total_cost_usd": float(ds.attrs["total_cost_usd"]),
        "new_mw": {
            str(int(p)): {
                str(t): round(float(new.sel(period=p, technology=t)), 1)
                for t in ds["technology"].values
                if float(new.sel(period=p, technology=t)) > 0.5
            }
            for p in ds["period"].values
        },
        "new_total_mw": [round(float(v), 1) for v in new.sum("technology").values],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--method", default="ipm")
    parser.add_argument("--myopic", action="store_true")
    args = parser.parse_args()
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)
    results = []
    for days in sorted(args.days):
        results.append(run(days, args.method, args.myopic))
        print(json.dumps(results[-1]), flush=True)
    ref = results[-1]
    for r in results[:-1]:
        diff = max(abs(a - b) for a, b in zip(r["new_total_mw"], ref["new_total_mw"], strict=True))
        error = r["total_cost_usd"] / ref["total_cost_usd"] - 1
        print(
            json.dumps(
                {
                    "typical_days": r["typical_days"],
                    "against_days": ref["typical_days"],
                    "cost_error": error,
                    "largest_new_mw_difference": diff,
                    "speedup": ref["wall_s"] / r["wall_s"],
                }
            ),
            flush=True,
        )
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
