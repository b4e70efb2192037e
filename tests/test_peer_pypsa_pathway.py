"""Peer test of the pathway: greenzone's perfect-foresight pathway and PyPSA's multi-investment-period
optimisation (``n.optimize(multi_investment_periods=True)``) reach the same optimum.

Six random small zones (seeded; 2-3 periods of 2-6 years, 1-3 nodes, discount rates 0-10 %) with solar and
wind whose capex falls by year, gas, a dated gas plant that retires on the way, links with losses that may be
built, demand and weather of each period's own, and usable land that grows by period. The PyPSA network is
written here from the zone's numbers, independently of greenzone's LP: one generator (one pair of directed
links, capacities tied) per technology, node and build period (``build_year`` = the period, ``lifetime`` =
the technology's), ``investment_period_weightings`` objective = the discounted years W_p and years = the
years each period stands for, and land by period as an ``extra_functionality`` constraint over the
generators in service in that period. PyPSA leaves the fixed O&M of capacity that is not extendable out of
its objective; greenzone counts it, so that sum is taken off. Storage is not in the peer: PyPSA keeps one
state of charge per vintage, greenzone one per store (the same only when a vintage's power and energy need
not be used together).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import yaml

pypsa = pytest.importorskip("pypsa")

from greenzone.optimize.formulation.data import annuity  # noqa: E402
from greenzone.optimize.formulation.pathway import discounted_years  # noqa: E402
from greenzone.optimize.solve import SolverOptions  # noqa: E402
from greenzone.planning.pathway import pathway  # noqa: E402
from greenzone.zone import load_zone  # noqa: E402
from plan_helpers import hand_profiles  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")

REL_TOL_OBJECTIVE = 1e-6
ABS_TOL_BUILD_MW = 1e-4
HOURS = 24
TECHS = ("solar_fixed", "wind_onshore", "gas_turbine")


def random_case(seed: int, tmp_path):
    """A random zone file and each period's profiles."""
    rng = np.random.default_rng(seed)
    n_nodes, n_periods = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    spans = [int(s) for s in rng.integers(2, 7, size=n_periods)]
    periods = [2027 + int(s) for s in np.cumsum([0, *spans[:-1]])]
    nodes = []
    for i in range(n_nodes):
        land = np.cumsum(rng.uniform(0.2, 1.5, size=n_periods))
        nodes.append(
            {
                "id": f"n{i}",
                "lat": 40.0,
                "lon": 47.0 + i,
                "usable_land_km2": {p: float(v) for p, v in zip(periods, land, strict=True)},
                "technologies": {
                    "solar_fixed": {},
                    "wind_onshore": {},
                    "gas_turbine": {"existing_mw": float(rng.uniform(0, 20))},
                },
            }
        )
    retire = periods[1]  # the dated plant is in service before the second period and retires at it
    body = {
        "name": f"random pathway {seed}",
        "timezone": "UTC",
        "year": periods[0],
        "economics": {"discount_rate": float(rng.choice([0.0, rng.uniform(0.02, 0.1)]))},
        "policy": {"allow_unserved": False},
        "technologies": {"gas_turbine": {"fuel_price_usd_per_mwh_th": float(rng.uniform(20, 60))}},
        "nodes": nodes,
        "links": [
            {
                "from": f"n{i}",
                "to": f"n{i + 1}",
                "length_km": 50.0,
                "existing_mw": float(rng.uniform(5, 30)),
                "loss_per_100km": 0.02,
                "capex_usd_per_mw_km": float(rng.uniform(500, 3000)),
                "fixed_om_share": 0.02,
            }
            for i in range(n_nodes - 1)
        ],
        "pathway": {
            "periods": periods,
            "last_period_years": spans[-1],
            "capex_usd_per_kw": {
                "solar_fixed": {
                    periods[0]: float(rng.uniform(700, 900)),
                    periods[-1]: float(rng.uniform(350, 600)),
                },
                "wind_onshore": {
                    periods[0]: float(rng.uniform(1300, 1600)),
                    periods[-1]: float(rng.uniform(900, 1300)),
                },
            },
            "assets": [
                {
                    "node": "n0",
                    "technology": "gas_turbine",
                    "mw": float(rng.uniform(20, 40)),
                    "commissioned": 1990,
                    "lifetime_years": retire - 1990,
                }
            ],
        },
    }
    path = tmp_path / "zone.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    zone = load_zone(path)
    t = np.arange(HOURS)
    prof = {}
    for k, p in enumerate(periods):
        cf, demand = {}, {}
        for node in zone.node_ids:
            sun = np.clip(np.sin((t - 6) / 12 * np.pi), 0, None) * rng.uniform(0.4, 1.0, size=HOURS)
            cf[(node, "solar_fixed")] = np.round(sun, 3)
            cf[(node, "wind_onshore")] = np.round(rng.uniform(0.05, 0.9, size=HOURS), 3)
            demand[node] = rng.uniform(10, 30, size=HOURS) * (1 + 0.25 * k)
        prof[p] = hand_profiles(zone, HOURS, cf=cf, demand=demand)
    return zone, prof


def pypsa_pathway(zone, prof):
    """The PyPSA multi-investment-period network of a random zone, with land by period."""
    pw = zone.pathway
    periods, years = list(pw.periods), pw.years
    rate = zone.economics.discount_rate
    n = pypsa.Network()
    n.set_snapshots(pd.MultiIndex.from_product([periods, range(HOURS)], names=["period", "timestep"]))
    n.investment_periods = periods
    n.investment_period_weightings.loc[:, "objective"] = discounted_years(rate, periods, years)
    n.investment_period_weightings.loc[:, "years"] = years
    alpha = 8760.0 / HOURS
    n.snapshot_weightings.loc[:, "objective"] = alpha
    n.snapshot_weightings.loc[:, "generators"] = alpha
    n.snapshot_weightings.loc[:, "stores"] = 1.0

    def series(values_by_period):
        return pd.Series(np.concatenate(values_by_period), index=n.snapshots)

    land = {}  # (node) -> list of (generator, km^2 per MW)
    for node in zone.nodes:
        n.add("Bus", node.id)
        n.add(
            "Load",
            f"{node.id} load",
            bus=node.id,
            p_set=series([prof[p]["demand"].sel(node=node.id).values for p in periods]),
        )
        for tech in TECHS:
            spec = zone.technologies[tech]
            marginal = spec.variable_om_usd_per_mwh + getattr(
                spec, "fuel_price_usd_per_mwh_th", 0.0
            ) / getattr(spec, "efficiency", 1.0)
            cf = series(
                [prof[p]["capacity_factor"].sel(node=node.id, technology=tech).values for p in periods]
            )
            for b in periods:
                capex = (
                    pw.capex_usd_per_kw[tech].interpolated(b)
                    if tech in pw.capex_usd_per_kw
                    else spec.capex_usd_per_kw
                )
                name = f"{node.id}/{tech}@{b}"
                n.add(
                    "Generator",
                    name,
                    bus=node.id,
                    p_nom_extendable=True,
                    build_year=b,
                    lifetime=spec.lifetime_years,
                    p_max_pu=cf,
                    marginal_cost=marginal,
                    capital_cost=annuity(rate, spec.lifetime_years) * capex * 1e3
                    + spec.fixed_om_usd_per_kw_year * 1e3,
                )
                land.setdefault(node.id, []).append((name, spec.land_use_km2_per_mw, b, spec.lifetime_years))
        existing = node.technologies["gas_turbine"].existing_mw
        gas = zone.technologies["gas_turbine"]
        marginal = gas.variable_om_usd_per_mwh + gas.fuel_price_usd_per_mwh_th / gas.efficiency
        n.add(
            "Generator",
            f"{node.id}/gas existing",
            bus=node.id,
            p_nom=existing,
            build_year=periods[0],
            lifetime=np.inf,
            p_max_pu=gas.availability,
            marginal_cost=marginal,
        )
    for asset in pw.assets:
        spec = zone.technologies[asset.technology]
        marginal = spec.variable_om_usd_per_mwh + spec.fuel_price_usd_per_mwh_th / spec.efficiency
        n.add(
            "Generator",
            f"{asset.node}/asset",
            bus=asset.node,
            p_nom=asset.mw,
            build_year=asset.commissioned,
            lifetime=asset.lifetime_years,
            p_max_pu=spec.availability,
            marginal_cost=marginal,
        )
    # each direction its own PyPSA link (greenzone's f+ <= F and f- <= F, lossy both ways): the existing
    # capacity fixed, a pair per build period whose capacities are tied; the pair's cost on "forward" only
    pairs = []
    for link in zone.links:
        ends = {"forward": (link.from_node, link.to_node), "backward": (link.to_node, link.from_node)}
        per_mw = link.capex_usd_per_mw_km * link.length_km
        for way, (a, b) in ends.items():
            n.add(
                "Link", f"{link.name} {way}", bus0=a, bus1=b, p_nom=link.existing_mw, efficiency=1 - link.loss
            )
            for y in periods:
                cost = annuity(rate, link.lifetime_years) * per_mw + link.fixed_om_share * per_mw
                n.add(
                    "Link",
                    f"{link.name} {way}@{y}",
                    bus0=a,
                    bus1=b,
                    p_nom_extendable=True,
                    build_year=y,
                    lifetime=link.lifetime_years,
                    efficiency=1 - link.loss,
                    capital_cost=cost if way == "forward" else 0.0,
                )
        pairs += [(f"{link.name} forward@{y}", f"{link.name} backward@{y}") for y in periods]

    def land_by_period(n, snapshots):
        if pairs:
            link_nom = n.model["Link-p_nom"]
            for fwd, bwd in pairs:
                n.model.add_constraints(link_nom.sel(name=fwd) == link_nom.sel(name=bwd), name=f"tie {fwd}")
        p_nom = n.model["Generator-p_nom"]
        for node in zone.nodes:
            for p in periods:
                usable = node.usable_land_km2.at(p)
                alive = [(g, use) for g, use, b, life in land[node.id] if b <= p < b + life and use > 0]
                lhs = sum(use * p_nom.sel(name=g) for g, use in alive)
                n.model.add_constraints(lhs <= usable, name=f"land {node.id} {p}")

    return n, land_by_period


def fixed_om_of_fixed_capacity(zone) -> float:
    """Σ_p W_p fom × capacity that is not extendable in service in p [USD]: in greenzone's objective, not
    PyPSA's."""
    pw = zone.pathway
    w = discounted_years(zone.economics.discount_rate, pw.periods, pw.years)
    fom = zone.technologies["gas_turbine"].fixed_om_usd_per_kw_year * 1e3
    total = 0.0
    for k, p in enumerate(pw.periods):
        mw = sum(node.technologies["gas_turbine"].existing_mw for node in zone.nodes)
        mw += sum(a.mw for a in pw.assets if a.commissioned <= p < a.commissioned + a.lifetime_years)
        total += w[k] * fom * mw
        total += w[k] * sum(
            k_.fixed_om_share * k_.capex_usd_per_mw_km * k_.length_km * k_.existing_mw for k_ in zone.links
        )
    return total


# about 4 s each on an idle 2-core machine: two in the default suite, all in make test-slow
SLOW = pytest.mark.slow


@pytest.mark.parametrize("seed", [0, 1, *(pytest.param(s, marks=SLOW) for s in range(2, 6))])
def test_pathway_equals_pypsa_multi_investment_periods(tmp_path, seed):
    zone, prof = random_case(seed, tmp_path)
    ds = pathway(zone, prof, options=SolverOptions(method="dual_simplex"))
    n, land = pypsa_pathway(zone, prof)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    logging.getLogger("pypsa").setLevel(logging.WARNING)
    status, condition = n.optimize(
        solver_name="highs",
        multi_investment_periods=True,
        extra_functionality=land,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert (status, condition) == ("ok", "optimal")
    ours = ds.attrs["objective_usd"] - fixed_om_of_fixed_capacity(zone)
    assert ours == pytest.approx(n.objective, rel=REL_TOL_OBJECTIVE)
    for node in zone.node_ids:
        for tech in TECHS:
            theirs = [n.generators.p_nom_opt[f"{node}/{tech}@{p}"] for p in zone.pathway.periods]
            built = ds["new_capacity"].sel(node=node, technology=tech).values
            np.testing.assert_allclose(built, theirs, atol=ABS_TOL_BUILD_MW, err_msg=f"{node}/{tech}")
    for link in zone.links:
        theirs = [n.links.p_nom_opt[f"{link.name} forward@{p}"] for p in zone.pathway.periods]
        built = ds["new_link_capacity"].sel(link=link.name).values
        np.testing.assert_allclose(built, theirs, atol=ABS_TOL_BUILD_MW, err_msg=link.name)
    # every case exercises what it is meant to: a retirement, land that binds somewhere, builds in a later period
    assert float(ds["retired_capacity"].sum()) > 0
    assert np.isclose(ds["land_used"].values, ds["land_cleared"].values, rtol=1e-6).any()
    assert float(ds["new_capacity"].isel(period=slice(1, None)).sum()) > 0
