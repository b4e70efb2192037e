"""Benchmark: a Karabakh-like pathway (6 periods, typical days each) in greenzone and in PyPSA's
multi-investment-period optimisation (``multi_investment_periods=True``) on the same LP.

The zone: the embedded Karabakh zone's nine nodes (sites, dated demand and dated usable land) and ten links
(existing and largest capacity, losses, cost), with only what PyPSA's multi-period network can be given
as the same LP: solar_fixed, wind_onshore and the gas turbine where the embedded zone has them (existing and
largest capacity as there; the gas turbine at aghdam up to 1,000 MW, est., so that every period is feasible
without the grid), capex falling by year (est.), periods 2027, 2030, 2035, 2040, 2045, 2050 (the last
standing for 5 years), the zone's 8 % discount rate, no unserved load. Left out (not the same LP in PyPSA or
not expressible there without a formulation of its own): hydro, storage, the national grid, the renewable
share. Weather: SYNTHETIC (greenzone.weather.synthetic, seed 0), each period's profiles its own year's demand
on it, clustered into N typical days per period (greenzone.planning.typical_days.typical_days) once, in the parent
process; both tools get the same typical days and weights.

Per tool, in a fresh spawned process (its peak memory its own), after an untimed warm-up (a one-period,
one-day build and solve):

* build [s]: greenzone ``build_pathway_model``; PyPSA ``n.optimize.create_model(multi_investment_periods=True)``
  plus the extra_functionality (land, largest capacity and the link pairs' ties, by period);
* solve [s]: HiGHS's ``run()`` alone (greenzone ``Solution.run_time_s``; PyPSA linopy's call of it, timed);
* hand-off [s]: the rest up to the results in the tool's own structure (greenzone: ``solve`` less ``run``
  plus the Pathway dataset; PyPSA: ``solve_model`` less ``run``, io_api ``direct``);
* peak memory [MiB]: max RSS of the process.

Both solve with HiGHS's interior point and crossover (``SolverOptions(method="ipm")``; the same options to
linopy). The objectives must agree (PyPSA's plus the fixed O&M of existing capacity, which it leaves out).
Ratios are PyPSA / greenzone from one run. Usage::

    python benchmarks/pathway.py --days 16          # the issue's 16 typical days per period
    python benchmarks/pathway.py --days 4           # quick check
    python benchmarks/pathway.py --days 8 --stochastic   # greenzone alone: three clearance scenarios
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vs_pypsa import _current_rss_mib, _quiet, in_fresh_process, versions  # noqa: E402

PERIODS = [2027, 2030, 2035, 2040, 2045, 2050]
TECHS = ("solar_fixed", "wind_onshore", "gas_turbine")
CAPEX = {  # [USD/kW] by year, est. (learning)
    "solar_fixed": {2027: 850, 2050: 450},
    "wind_onshore": {2027: 1500, 2050: 1100},
}
METHOD = "ipm"


def zone_document() -> dict:
    """The benchmark zone (this module's docstring) from the embedded Karabakh zone."""
    from greenzone import load_zone

    base = load_zone()
    nodes = []
    for node in base.nodes:
        techs = {
            t: {
                "existing_mw": spec.existing_mw,
                **({"max_mw": spec.max_mw} if spec.max_mw is not None else {}),
            }
            for t, spec in node.technologies.items()
            if t in TECHS
        }
        if node.id == "aghdam":
            techs["gas_turbine"]["max_mw"] = 1000.0
        doc = {"id": node.id, "lat": node.lat, "lon": node.lon, "elevation_m": node.elevation_m}
        doc["technologies"] = techs
        if node.usable_land_km2 is not None:
            doc["usable_land_km2"] = node.usable_land_km2.to_yaml()
        if node.demand is not None:
            doc["demand"] = {"annual_mwh": node.demand.annual_mwh.to_yaml(), "profile": node.demand.profile}
        nodes.append(doc)
    links = [
        link.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
        for link in base.links
    ]
    return {
        "name": "karabakh-like pathway (benchmark; SYNTHETIC weather)",
        "timezone": base.timezone,
        "year": PERIODS[0],
        "economics": {"discount_rate": base.economics.discount_rate},
        "policy": {"allow_unserved": False},
        "weather": {"source": "synthetic", "seed": 0},
        "nodes": nodes,
        "links": links,
        "pathway": {"periods": PERIODS, "last_period_years": 5, "capex_usd_per_kw": CAPEX},
    }


def write_inputs(directory: Path, days: int) -> dict:
    """Zone file, and each period's typical days (profiles and day order), clustered once."""
    import yaml

    from greenzone import load_weather, load_zone, pathway_profiles
    from greenzone.planning.typical_days import typical_days

    path = directory / "zone.yaml"
    path.write_text(yaml.safe_dump(zone_document(), sort_keys=False))
    zone = load_zone(path)
    profiles = pathway_profiles(zone, load_weather(zone))
    renewables = [t for t in ("solar_fixed", "wind_onshore") if t in zone.generator_ids]
    for p, prof in profiles.items():
        agg = typical_days(prof, days, renewables=renewables)
        agg.profiles.to_netcdf(directory / f"{p}.nc")
        np.save(directory / f"{p}.npy", agg.day_cluster)
    return {"zone": str(path), "dir": str(directory)}


def _load(inputs: dict):
    import xarray as xr

    from greenzone.optimize.formulation.data import Periods
    from greenzone.zone import load_zone

    zone = load_zone(inputs["zone"])
    profiles, typical = {}, {}
    for p in PERIODS:
        profiles[p] = xr.load_dataset(Path(inputs["dir"]) / f"{p}.nc")
        typical[p] = Periods(n_hours=24, order=np.load(Path(inputs["dir"]) / f"{p}.npy"), linking=True)
    return zone, profiles, typical


def greenzone_case(inputs: dict) -> dict:
    _quiet()
    from greenzone.optimize.formulation.pathway import build_pathway_model
    from greenzone.optimize.solve import SolverOptions, solve
    from greenzone.planning.pathway import horizon
    from greenzone.planning.pathway_output import PeriodResult, pathway_dataset

    zone, profiles, typical = _load(inputs)
    options = SolverOptions(method=METHOD)
    p0 = PERIODS[0]
    warm = build_pathway_model(zone, {p0: profiles[p0].isel(time=slice(0, 24))}, periods=[p0], years=[1])
    solve(warm.lp, options)
    hz = horizon(zone)
    rss = _current_rss_mib()
    t0 = time.perf_counter()
    model = build_pathway_model(zone, profiles, periods=hz.periods, years=hz.years, typical=typical)
    t1 = time.perf_counter()
    solution = solve(model.lp, options)
    results = [PeriodResult.of(model, solution, p) for p in hz.periods]
    ds = pathway_dataset(zone, hz, results, mode="perfect_foresight")
    t2 = time.perf_counter()
    return {
        "tool": "greenzone",
        "build_s": t1 - t0,
        "solve_s": solution.run_time_s,
        "handoff_s": (t2 - t1) - solution.run_time_s,
        "objective": float(solution.objective) * model.cost_scale,
        "optimal": solution.ok,
        "variables": model.lp.num_variables,
        "constraints": model.lp.num_constraints,
        "new_capacity_mw": float(ds["new_capacity"].sum()),
        "rss_before_build_mib": rss,
    }


def pypsa_network(zone, profiles, weights):
    """The PyPSA multi-investment-period network of the zone (this module's docstring) and its
    extra_functionality; the fixed O&M of existing capacity, which PyPSA leaves out of its objective [USD].
    ``weights``: each period's hours' weights (the days each typical day stands for)."""
    import pandas as pd
    import pypsa

    from greenzone.optimize.formulation.data import annuity
    from greenzone.optimize.formulation.pathway import discounted_years

    pw = zone.pathway
    periods, years, rate = list(pw.periods), pw.years, zone.economics.discount_rate
    w_p = discounted_years(rate, periods, years)
    n = pypsa.Network()
    hours = {p: profiles[p].sizes["time"] for p in periods}
    n.set_snapshots(
        pd.MultiIndex.from_tuples([(p, t) for p in periods for t in range(hours[p])], names=["period", "t"])
    )
    n.investment_periods = periods
    n.investment_period_weightings.loc[:, "objective"] = w_p
    n.investment_period_weightings.loc[:, "years"] = years
    weight = np.concatenate([weights[p] * 8760.0 / weights[p].sum() for p in periods])
    for column in ("objective", "generators"):
        n.snapshot_weightings.loc[:, column] = weight
    series = lambda arrays: pd.Series(np.concatenate(arrays), index=n.snapshots)  # noqa: E731
    fixed_om = 0.0
    caps = []  # (node, tech or link, existing [MW], max [MW], [(name, build year, lifetime)], land use)
    for node in zone.nodes:
        n.add("Bus", node.id)
        if node.demand is not None:
            n.add(
                "Load",
                node.id,
                bus=node.id,
                p_set=series([profiles[p]["demand"].sel(node=node.id) for p in periods]),
            )
        for tech, own in node.technologies.items():
            spec = zone.technologies[tech]
            fuel = getattr(spec, "fuel_price_usd_per_mwh_th", 0.0) / getattr(spec, "efficiency", 1.0)
            cf = series([profiles[p]["capacity_factor"].sel(node=node.id, technology=tech) for p in periods])
            common = {"bus": node.id, "p_max_pu": cf, "marginal_cost": spec.variable_om_usd_per_mwh + fuel}
            if own.existing_mw > 0:
                n.add("Generator", f"{node.id}/{tech} existing", p_nom=own.existing_mw, build_year=periods[0],
                      lifetime=np.inf, **common)  # fmt: skip
                fixed_om += w_p.sum() * spec.fixed_om_usd_per_kw_year * 1e3 * own.existing_mw
            builds = []
            for b in periods:
                dated = tech in pw.capex_usd_per_kw
                per_kw = pw.capex_usd_per_kw[tech].interpolated(b) if dated else spec.capex_usd_per_kw
                name = f"{node.id}/{tech}@{b}"
                cost = annuity(rate, spec.lifetime_years) * per_kw * 1e3 + spec.fixed_om_usd_per_kw_year * 1e3
                n.add("Generator", name, p_nom_extendable=True, build_year=b, lifetime=spec.lifetime_years,
                      capital_cost=cost, **common)  # fmt: skip
                builds.append((name, b, spec.lifetime_years))
            use = spec.land_use_km2_per_mw
            caps.append((node, "Generator", own.existing_mw, own.max_mw, builds, use))
    ties = []
    for link in zone.links:
        per_mw = link.capex_usd_per_mw_km * link.length_km
        fixed_om += w_p.sum() * link.fixed_om_share * per_mw * link.existing_mw
        builds = []
        for way, (a, b) in {
            "fwd": (link.from_node, link.to_node),
            "bwd": (link.to_node, link.from_node),
        }.items():
            n.add(
                "Link", f"{link.name} {way}", bus0=a, bus1=b, p_nom=link.existing_mw, efficiency=1 - link.loss
            )
            for y in periods:
                cost = (annuity(rate, link.lifetime_years) + link.fixed_om_share) * per_mw
                n.add("Link", f"{link.name} {way}@{y}", bus0=a, bus1=b, p_nom_extendable=True, build_year=y,
                      lifetime=link.lifetime_years, efficiency=1 - link.loss,
                      capital_cost=cost if way == "fwd" else 0.0)  # fmt: skip
                if way == "fwd":
                    builds.append((f"{link.name} fwd@{y}", y, link.lifetime_years))
                    ties.append((f"{link.name} fwd@{y}", f"{link.name} bwd@{y}"))
        caps.append((None, "Link", link.existing_mw, link.max_mw, builds, 0.0))

    def extra(n, snapshots):
        nom = {c: n.model[f"{c}-p_nom"] for c in ("Generator", "Link")}
        for fwd, bwd in ties:
            n.model.add_constraints(nom["Link"].sel(name=fwd) == nom["Link"].sel(name=bwd), name=f"tie {fwd}")
        for p in periods:
            land: dict[str, list] = {}
            for node, component, existing, largest, builds, use in caps:
                alive = [nom[component].sel(name=g) for g, b, life in builds if b <= p < b + life]
                if largest is not None and np.isfinite(largest) and alive:
                    n.model.add_constraints(sum(alive) <= largest - existing, name=f"max {builds[0][0]} {p}")
                if node is not None and use > 0 and node.usable_land_km2 is not None:
                    land.setdefault(node.id, [0.0, []])
                    land[node.id][0] += use * existing
                    land[node.id][1] += [use * v for v in alive]
            for node in zone.nodes:
                if node.id in land and land[node.id][1]:
                    rhs = node.usable_land_km2.at(p) - land[node.id][0]
                    n.model.add_constraints(sum(land[node.id][1]) <= rhs, name=f"land {node.id} {p}")

    return n, extra, fixed_om


def pypsa_case(inputs: dict) -> dict:
    _quiet()
    import linopy.solvers

    from greenzone.optimize.solve import SolverOptions

    zone, profiles, typical = _load(inputs)
    own = SolverOptions(method=METHOD).highs_options()
    options = {k: own[k] for k in ("solver", "simplex_strategy", "run_crossover") if k in own}
    day = {p: profiles[p].isel(time=slice(0, 24)) for p in PERIODS}
    warm, warm_extra, _ = pypsa_network(zone, day, {p: np.ones(24) for p in PERIODS})
    warm.optimize(solver_name="highs", multi_investment_periods=True, extra_functionality=warm_extra,
                  io_api="direct", log_to_console=False, solver_options=options)  # fmt: skip
    del warm
    run_times: list[float] = []
    original = linopy.solvers._run_highs_with_keyboard_interrupt

    def timed(h):
        start = time.perf_counter()
        try:
            return original(h)
        finally:
            run_times.append(time.perf_counter() - start)

    linopy.solvers._run_highs_with_keyboard_interrupt = timed
    n, extra, fixed_om = pypsa_network(zone, profiles, {p: typical[p].weights() for p in PERIODS})
    rss = _current_rss_mib()
    t0 = time.perf_counter()
    n.optimize.create_model(multi_investment_periods=True, include_objective_constant=False)
    extra(n, n.snapshots)
    t1 = time.perf_counter()
    status, condition = n.optimize.solve_model(
        solver_name="highs", io_api="direct", log_to_console=False, solver_options=options
    )
    t2 = time.perf_counter()
    solve_s = sum(run_times)
    h = n.model.solver_model
    return {
        "tool": "pypsa",
        "build_s": t1 - t0,
        "solve_s": solve_s,
        "handoff_s": (t2 - t1) - solve_s,
        "objective": float(n.objective) + fixed_om,
        "optimal": condition == "optimal",
        "variables": int(h.getNumCol()),
        "constraints": int(h.getNumRow()),
        "new_capacity_mw": float(n.generators.p_nom_opt[n.generators.p_nom_extendable].sum()),
        "rss_before_build_mib": rss,
    }


SCENARIOS = [  # est.: demining at half, the same and twice the pace of the zone's own dated land
    {"name": "slow", "probability": 0.3, "clearance_pace": 0.5},
    {"name": "expected", "probability": 0.5},
    {"name": "fast", "probability": 0.2, "clearance_pace": 2.0},
]


def stochastic_run(days: int) -> None:
    """greenzone alone: the same zone with three clearance scenarios, two-stage (``stochastic=True``), its
    time, the size of its LP and VSS and EVPI (PyPSA's scenarios would need a copy of every later build per
    scenario: tests/test_peer_pypsa_stochastic.py)."""
    import yaml

    from greenzone import load_weather, load_zone, pathway, pathway_profiles

    with tempfile.TemporaryDirectory() as tmp:
        doc = zone_document()
        doc["pathway"]["scenarios"] = SCENARIOS
        path = Path(tmp) / "zone.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        zone = load_zone(path)
        profiles = pathway_profiles(zone, load_weather(zone))
        sizes = []
        start = time.perf_counter()
        ds = pathway(
            zone,
            profiles,
            stochastic=True,
            typical_days=days,
            method=METHOD,
            on_solve=lambda m: sizes.append((m.lp.num_variables, m.lp.num_constraints)),
        )
        wall = time.perf_counter() - start
    print(
        f"Stochastic, {len(SCENARIOS)} clearance scenarios (pace 0.5, 1, 2; est.), {len(PERIODS)} periods × {days} "
        f"typical days, HiGHS {METHOD}: {wall:.1f} s for {len(sizes)} solves (clustering included); the "
        f"two-stage LP {sizes[0][0]:,} columns × {sizes[0][1]:,} rows, each scenario's {sizes[-1][0]:,} × "
        f"{sizes[-1][1]:,}. Expected cost {ds.attrs['objective_usd']:,.0f} USD; VSS {ds.attrs['vss_usd']:,.0f} "
        f"USD; EVPI {ds.attrs['evpi_usd']:,.0f} USD; first-period new capacity "
        f"{float(ds['new_capacity'].isel(scenario=0, period=0).sum()):,.1f} MW."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=16, help="typical days per period")
    parser.add_argument("--case-timeout", type=float, default=540.0, help="seconds per tool's process")
    parser.add_argument(
        "--stochastic", action="store_true", help="greenzone alone: the two-stage pathway of three scenarios"
    )
    args = parser.parse_args(argv)
    if args.stochastic:
        stochastic_run(args.days)
        return
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = write_inputs(Path(tmp), args.days)
        rows = [
            in_fresh_process(case, inputs, timeout_s=args.case_timeout)
            for case in (greenzone_case, pypsa_case)
        ]
    for row in rows:
        print(json.dumps(row), file=sys.stderr)
    ours, theirs = rows
    if "error" in ours or "error" in theirs:
        raise SystemExit(f"a case failed: {ours.get('error')} {theirs.get('error')}")
    gap = abs(ours["objective"] - theirs["objective"]) / abs(theirs["objective"])
    print(f"Karabakh-like pathway, {len(PERIODS)} periods × {args.days} typical days, HiGHS {METHOD}; "
          f"{versions()}; whole run {(time.perf_counter() - start) / 60:.1f} min.\n")  # fmt: skip
    print(
        "| tool | variables | constraints | build [s] | hand-off [s] | solve [s] | total [s] | peak memory [MiB] |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        total = r["build_s"] + r["handoff_s"] + r["solve_s"]
        print(f"| {r['tool']} | {r['variables']:,} | {r['constraints']:,} | {r['build_s']:.2f} | "
              f"{r['handoff_s']:.2f} | {r['solve_s']:.2f} | {total:.2f} | {r['peak_rss_mib']:,.0f} |")  # fmt: skip
    ratio = lambda key: theirs[key] / ours[key]  # noqa: E731
    build_handoff = (theirs["build_s"] + theirs["handoff_s"]) / (ours["build_s"] + ours["handoff_s"])
    total = sum(theirs[k] for k in ("build_s", "handoff_s", "solve_s")) / sum(
        ours[k] for k in ("build_s", "handoff_s", "solve_s")
    )
    print(f"\nPyPSA / greenzone: build + hand-off {build_handoff:.1f}×, solve {ratio('solve_s'):.2f}×, "
          f"time to the same optimum {total:.1f}×, peak memory {ratio('peak_rss_mib'):.1f}×. "
          f"Objectives {ours['objective']:,.0f} and {theirs['objective']:,.0f} USD (relative gap {gap:.1e}); "
          f"new capacity {ours['new_capacity_mw']:,.1f} and {theirs['new_capacity_mw']:,.1f} MW.")  # fmt: skip


if __name__ == "__main__":
    main()
