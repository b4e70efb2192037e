"""Peer test of the stochastic pathway: greenzone's two-stage pathway of clearance scenarios and PyPSA's
stochastic multi-investment-period optimisation (``n.set_scenarios`` with ``multi_investment_periods=True``)
reach the same expected cost and the same builds.

PyPSA's scenarios keep one capacity variable per component for all scenarios (every build is first stage,
``RE_INVARIANT_ATTRS``); only operation and costs vary by scenario. Its two-stage problem is greenzone's when
every period is built once for all. To let later periods adapt, the network written here gives each scenario
s its own copy of every build of a later period (generator and link, "…@2035[s]"), usable only in s
(``p_max_pu`` 0 in the others) and paid only in s (``capital_cost`` 0 in the others): PyPSA weights each
scenario's costs by its probability, so a copy costs π_s × its annuities, as in greenzone. First-period builds
are shared. Land by period and scenario is an ``extra_functionality`` row over the builds in service in that
period and usable in that scenario. The zones are tests/test_peer_pypsa_pathway.py's random zones with three
clearance scenarios (pace 0.5, the zone's layers, pace 2).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import yaml

pypsa = pytest.importorskip("pypsa")

from greenzone.optimize.solve import SolverOptions  # noqa: E402
from greenzone.planning.pathway import pathway  # noqa: E402
from greenzone.zone import load_zone  # noqa: E402
from greenzone.zone.scenarios import scenario_zone  # noqa: E402
from test_peer_pypsa_pathway import (  # noqa: E402
    ABS_TOL_BUILD_MW,
    REL_TOL_OBJECTIVE,
    TECHS,
    fixed_om_of_fixed_capacity,
    pypsa_pathway,
    random_case,
)

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")

SCENARIOS = [
    {"name": "slow", "probability": 0.3, "clearance_pace": 0.5},
    {"name": "expected", "probability": 0.45},
    {"name": "fast", "probability": 0.25, "clearance_pace": 2.0},
]


def stochastic_case(seed: int, tmp_path):
    """tests/test_peer_pypsa_pathway.py's random zone with the clearance scenarios above."""
    _, prof = random_case(seed, tmp_path)
    path = tmp_path / "zone.yaml"
    data = yaml.safe_load(path.read_text())
    data["pathway"]["scenarios"] = SCENARIOS
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_zone(path), prof


def copy_name(name: str, scenario: str) -> str:
    return f"{name}[{scenario}]"


def pypsa_stochastic(zone, prof):
    """The deterministic peer network with a copy per scenario of every later build, then scenarios set."""
    n, _ = pypsa_pathway(zone, prof)
    periods = list(zone.pathway.periods)
    names = [s["name"] for s in SCENARIOS]
    later = lambda df: [c for c in df.index if "@" in c and int(c.split("@")[1]) > periods[0]]  # noqa: E731
    copies: dict[str, list[str]] = {"Generator": [], "Link": []}
    for component, table, series in (
        ("Generator", n.generators, n.generators_t),
        ("Link", n.links, n.links_t),
    ):
        for name in later(table):
            for s in names:
                attrs = table.loc[name].to_dict()
                if component == "Generator" and name in series.p_max_pu:
                    attrs["p_max_pu"] = series.p_max_pu[name]
                n.add(component, copy_name(name, s), **{k: v for k, v in attrs.items() if k in KEEP})
                copies[component].append(copy_name(name, s))
            n.remove(component, name)
    n.set_scenarios({s["name"]: s["probability"] for s in SCENARIOS})
    for component, table, series in (
        ("Generator", n.generators, n.generators_t),
        ("Link", n.links, n.links_t),
    ):
        for copy in copies[component]:
            own = copy.rsplit("[", 1)[1][:-1]
            for s in names:
                if s == own:
                    continue
                table.loc[(s, copy), "capital_cost"] = 0.0
                if component == "Generator" and (s, copy) in series.p_max_pu:
                    series.p_max_pu[(s, copy)] = 0.0
                else:
                    table.loc[(s, copy), "p_max_pu"] = 0.0
    return n, land_and_ties(zone, n, names)


KEEP = {
    "bus",
    "bus0",
    "bus1",
    "p_nom_extendable",
    "build_year",
    "lifetime",
    "p_max_pu",
    "marginal_cost",
    "capital_cost",
    "efficiency",
}
"""Attributes a copy takes from the build it copies."""


def land_and_ties(zone, n, names):
    """Land by period and scenario, and each link pair's two directions tied (per copy)."""
    periods = list(zone.pathway.periods)
    lands = {s: scenario_zone(zone, s) for s in names}

    def extra(n, snapshots):
        p_nom = n.model["Generator-p_nom"]
        gens = list(p_nom.coords["name"].values)
        if "Link-p_nom" in n.model.variables:
            link_nom = n.model["Link-p_nom"]
            for fwd in [c for c in link_nom.coords["name"].values if " forward@" in c]:
                bwd = fwd.replace(" forward@", " backward@")
                n.model.add_constraints(link_nom.sel(name=fwd) == link_nom.sel(name=bwd), name=f"tie {fwd}")
        for s in names:
            for k, node in enumerate(lands[s].nodes):
                for p in periods:
                    terms = []
                    for g in gens:
                        if not g.startswith(f"{node.id}/") or "@" not in g:
                            continue
                        tech, rest = g.split("/", 1)[1].split("@")
                        year = int(rest.split("[")[0])
                        if "[" in rest and rest.split("[")[1][:-1] != s:
                            continue
                        spec = zone.technologies[tech]
                        if year <= p < year + spec.lifetime_years and spec.land_use_km2_per_mw > 0:
                            terms.append(spec.land_use_km2_per_mw * p_nom.sel(name=g))
                    if terms:
                        usable = node.usable_land_km2.at(p)
                        n.model.add_constraints(sum(terms) <= usable, name=f"land {s} {node.id} {p} {k}")

    return extra


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 6))])
def test_stochastic_pathway_equals_pypsa_scenarios(tmp_path, seed):
    zone, prof = stochastic_case(seed, tmp_path)
    ds = pathway(zone, prof, stochastic=True, options=SolverOptions(method="dual_simplex"))
    n, extra = pypsa_stochastic(zone, prof)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    logging.getLogger("pypsa").setLevel(logging.WARNING)
    status, condition = n.optimize(
        solver_name="highs",
        multi_investment_periods=True,
        extra_functionality=extra,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert (status, condition) == ("ok", "optimal")
    ours = ds.attrs["objective_usd"] - fixed_om_of_fixed_capacity(zone)
    assert ours == pytest.approx(n.objective, rel=REL_TOL_OBJECTIVE)
    periods = list(zone.pathway.periods)
    p_nom = n.generators.p_nom_opt.xs(SCENARIOS[0]["name"], level=0)
    for s in [x["name"] for x in SCENARIOS]:
        for node in zone.node_ids:
            for tech in TECHS:
                base = [f"{node}/{tech}@{p}" for p in periods]
                theirs = [p_nom[base[0]], *(p_nom[copy_name(b, s)] for b in base[1:])]
                built = ds["new_capacity"].sel(scenario=s, node=node, technology=tech).values
                np.testing.assert_allclose(built, theirs, atol=ABS_TOL_BUILD_MW, err_msg=f"{s} {node}/{tech}")
    # the scenarios differ after the first period: the case tests what it is meant to
    later = ds["new_capacity"].isel(period=slice(1, None)).sum(["node", "technology"])
    assert float(abs(later - later.isel(scenario=0)).max()) > ABS_TOL_BUILD_MW
