"""The stochastic pathway (clearance scenarios, two-stage): a hand optimum with VSS and EVPI, one scenario equal
to the deterministic pathway, VSS ≥ 0 and EVPI ≥ 0 on several zones, validation and the CLI.

The hand zone: one node, periods 2030 and 2035 (5 years each, no discounting), 10 MW flat demand. In 2030 the
zone may import up to 10 MW at m USD/MWh or build gas (annual cost A_g per MW, fuel and O&M f per MWh); in 2035
the import is gone. No land is cleared by 2030; by 2035 none is in the slow scenario and enough for 10 MW of
solar (capacity factor 1, cheaper than running gas) in the fast one (probability π_f = 0.4). With
8760 (m − f) = 1.25 A_g, one MW of gas built in 2030 changes the path's cost by 5 (A_g − 1.25 A_g) = −1.25 A_g
in the slow scenario (it replaces 2035's gas) and by −1.25 A_g + 5 A_g = 3.75 A_g in the fast one (it stands
idle in 2035). Stochastic optimum: build none (expected +0.75 A_g per MW). Mean-value problem (land for 4 MW
of solar in 2035): build the 6 MW its 2035 gas needs. Hence VSS = 6 × 0.75 A_g = 4.5 A_g and
EVPI = 0.6 × 10 × 1.25 A_g = 7.5 A_g (the slow scenario alone builds all 10 MW in 2030).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
import yaml

from greenzone.errors import ZoneError
from greenzone.optimize.formulation.pathway import build_pathway_model
from greenzone.planning.pathway import pathway
from greenzone.zone import load_zone
from plan_helpers import hand_profiles, write_small_zone
from test_pathway import CLI_ZONE, two_node_profiles, two_nodes

HOURS = 24
PI_FAST = 0.4
LAND_PER_MW = 0.0229  # the catalogue's solar_fixed [km^2/MW]


def hand_zone(tmp_path, scenarios=None):
    gas = {"availability": 1.0, "fuel_price_usd_per_mwh_th": 11.6, "efficiency": 0.36}
    spec = {"gas_turbine": gas, "solar_fixed": {"land_use_km2_per_mw": LAND_PER_MW}}
    a_g, f = gas_costs()
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 40.0,
                "lon": 47.0,
                "usable_land_km2": {2030: 0.0},
                "technologies": {"gas_turbine": {}, "solar_fixed": {}},
            }
        ],
        "technologies": spec,
        "grid": {"node": "a", "import_max_mw": 10, "import_price_usd_per_mwh": f + 1.25 * a_g / 8760},
        "policy": {"allow_unserved": False},
        "pathway": {
            "periods": [2030, 2035],
            "last_period_years": 5,
            "grid": {"import_max_mw": {2030: 10, 2035: 0}},
            "scenarios": scenarios
            if scenarios is not None
            else [
                {"name": "slow", "probability": 1 - PI_FAST},
                {
                    "name": "fast",
                    "probability": PI_FAST,
                    "usable_land_km2": {"a": {2030: 0.0, 2035: 10 * LAND_PER_MW}},
                },
            ],
        },
    }
    return write_small_zone(tmp_path, body)[0]


def gas_costs() -> tuple[float, float]:
    """A_g [USD/MW/yr] (annuity at rate 0 plus fixed O&M) and f [USD/MWh] of the catalogue's gas turbine."""
    capex, fom, vom, life = 700.0, 15.0, 5.0, 30.0  # catalogue gas_turbine
    return capex * 1000 / life + fom * 1000, vom + 11.6 / 0.36


def hand_profiles_of(zone):
    return hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 1.0}, demand={"a": 10.0})


def test_vss_and_evpi_equal_the_hand_calculation(tmp_path):
    zone = hand_zone(tmp_path)
    ds = pathway(zone, hand_profiles_of(zone), stochastic=True)
    a_g, _ = gas_costs()
    gas_2030 = ds["new_capacity"].sel(technology="gas_turbine", period=2030, node="a").values
    np.testing.assert_allclose(gas_2030, 0.0, atol=1e-6)  # the first period is one decision for both
    # later periods per scenario: slow builds 10 MW of gas in 2035, fast 10 MW of solar
    later = ds["new_capacity"].sel(period=2035, node="a")
    np.testing.assert_allclose(later.sel(scenario="slow", technology="gas_turbine"), 10.0, rtol=1e-6)
    np.testing.assert_allclose(later.sel(scenario="fast", technology="solar_fixed"), 10.0, rtol=1e-6)
    assert ds.attrs["vss_usd"] == pytest.approx(4.5 * a_g, rel=1e-6)
    assert ds.attrs["evpi_usd"] == pytest.approx(7.5 * a_g, rel=1e-6)
    # the expected cost is the probability-weighted cost of the scenarios' paths
    expected = float((ds["probability"] * ds["scenario_cost"]).sum())
    assert expected == pytest.approx(ds.attrs["objective_usd"], rel=1e-9)
    # wait and see: the slow scenario alone builds its gas in 2030 and saves 10 × 1.25 A_g
    slow, fast = (float(ds["wait_and_see_cost"].sel(scenario=s)) for s in ("slow", "fast"))
    assert float(ds["scenario_cost"].sel(scenario="slow")) - slow == pytest.approx(12.5 * a_g, rel=1e-6)
    assert float(ds["scenario_cost"].sel(scenario="fast")) == pytest.approx(fast, rel=1e-9)


def test_the_lp_names_its_blocks_by_scenario_and_shares_the_first_period(tmp_path):
    from greenzone.optimize.formulation.pathway import Branch
    from greenzone.zone.scenarios import scenario_zone

    zone = hand_zone(tmp_path)
    prof = hand_profiles_of(zone)
    branches = [Branch(s.name, s.probability, scenario_zone(zone, s.name)) for s in zone.pathway.scenarios]
    model = build_pathway_model(
        zone, {2030: prof, 2035: prof}, periods=[2030, 2035], years=[5, 5], scenarios=branches
    )
    names = set(model.lp.variables)
    assert {"2030/dispatch", "slow/2035/dispatch", "fast/2035/dispatch", "build_generator"} <= names
    assert "slow/build_generator" in names and "2035/dispatch" not in names
    assert model.model(2030, "slow") is model.model(2030, "fast")
    first = model.build_columns["slow"]["generator"][:, 0]
    np.testing.assert_array_equal(first, model.build_columns["fast"]["generator"][:, 0])


def test_one_scenario_equals_the_deterministic_pathway(tmp_path):
    section = {"periods": [2030, 2035, 2040], "last_period_years": 5}
    zone = two_nodes(tmp_path, section)
    (tmp_path / "one").mkdir()
    alone = two_nodes(tmp_path / "one", {**section, "scenarios": [{"name": "only", "probability": 1.0}]})
    prof = two_node_profiles(zone, 4)
    ref = pathway(zone, prof, typical_days=3)
    ds = pathway(alone, prof, typical_days=3, stochastic=True)
    assert ds.attrs["objective_usd"] == pytest.approx(ref.attrs["objective_usd"], rel=1e-9)
    np.testing.assert_allclose(ds["new_capacity"].sel(scenario="only"), ref["new_capacity"], atol=1e-5)
    np.testing.assert_allclose(ds["cost"].sel(scenario="only"), ref["cost"], rtol=1e-6, atol=1e-3)
    assert ds.attrs["vss_usd"] == pytest.approx(0.0, abs=1e-6 * ref.attrs["objective_usd"])
    assert ds.attrs["evpi_usd"] == pytest.approx(0.0, abs=1e-6 * ref.attrs["objective_usd"])


SCENARIO_SETS = [
    [
        {"name": "slow", "probability": 0.3, "clearance_pace": 0.5},
        {"name": "expected", "probability": 0.5},
        {"name": "fast", "probability": 0.2, "clearance_pace": 2.0},
    ],
    [
        {"name": "stuck", "probability": 0.5, "usable_land_km2": {"a": {2030: 0.5}}},
        {"name": "open", "probability": 0.5, "usable_land_km2": {"a": {2030: 0.5, 2035: 4.0}}},
    ],
    [
        {"name": "late", "probability": 0.7, "usable_land_km2": {"a": {2030: 0.5, 2040: 2.0}}},
        {"name": "early", "probability": 0.3, "clearance_pace": 3.0},
    ],
]


@pytest.mark.parametrize("scenarios", SCENARIO_SETS, ids=["pace", "layers", "mixed"])
def test_vss_and_evpi_are_not_negative(tmp_path, scenarios):
    section = {"periods": [2030, 2035, 2040], "last_period_years": 5, "scenarios": scenarios}
    zone = dated_land(tmp_path, section, {2030: 0.5, 2035: 1.5, 2040: 3.0})
    ds = pathway(zone, two_node_profiles(zone, 4), typical_days=3, stochastic=True)
    tol = 1e-7 * ds.attrs["objective_usd"]
    assert ds.attrs["vss_usd"] >= -tol
    assert ds.attrs["evpi_usd"] >= -tol
    assert ds.attrs["eev_usd"] >= ds.attrs["objective_usd"] - tol >= ds.attrs["wait_and_see_usd"] - 2 * tol
    # the first period is one decision: its builds are the same in every scenario
    first = ds["new_capacity"].sel(period=2030)
    np.testing.assert_allclose(first.values, first.isel(scenario=0).values[None].repeat(len(scenarios), 0))
    # land used never exceeds the scenario's land cleared
    used, cleared = ds["land_used"].sel(node="a"), ds["land_cleared"].sel(node="a")
    assert (used <= cleared + 1e-6).all()


def dated_land(tmp_path, section, land):
    """tests/test_pathway.py's two-node zone with dated usable land at node a [km^2]."""
    two_nodes(tmp_path, {k: v for k, v in section.items() if k != "scenarios"})
    path = tmp_path / "zone.yaml"
    data = yaml.safe_load(path.read_text())
    data["nodes"][0]["usable_land_km2"] = land
    data["pathway"]["scenarios"] = section["scenarios"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_zone(path)


def test_a_zone_without_scenarios_is_refused_for_stochastic(tmp_path):
    zone = two_nodes(tmp_path, {"periods": [2030, 2035]})
    with pytest.raises(ZoneError, match="pathway.scenarios"):
        pathway(zone, two_node_profiles(zone, 2), stochastic=True)


@pytest.mark.parametrize(
    "scenarios, words",
    [
        ([{"name": "x", "probability": 0.5}], "sum to 0.5"),
        ([{"name": "x", "probability": 0.5}, {"name": "x", "probability": 0.5}], "unique"),
        (
            [{"name": "x", "probability": 1.0, "usable_land_km2": {"a": {2030: 1.0}}}],
            "the same in every scenario",
        ),
        (
            [{"name": "x", "probability": 1.0, "usable_land_km2": {"a": {2030: 0.0, 2035: 2.0, 2040: 1.0}}}],
            "shrinks",
        ),
        ([{"name": "x", "probability": 1.0, "usable_land_km2": {"zz": 1.0}}], "unknown node 'zz'"),
    ],
)
def test_validation_names_the_field_and_the_fix(tmp_path, scenarios, words):
    with pytest.raises(ZoneError, match="pathway.scenarios") as err:
        hand_zone(tmp_path, scenarios)
    assert words in str(err.value)


CLI_SCENARIOS = """\
  scenarios:
    - {name: slow, probability: 0.5, clearance_pace: 0.5}   # the 2030 layer cleared by 2033
    - {name: fast, probability: 0.5}
"""


def test_cli_writes_the_scenario_dimension(tmp_path, monkeypatch, capsys):
    from cli_helpers import cli_main

    zone_file = tmp_path / "zone.yaml"
    zone_file.write_text(CLI_ZONE + CLI_SCENARIOS)
    out = tmp_path / "out"
    args = ["pathway", str(zone_file), "--out", str(out), "--stochastic", "--hours", "48"]
    code, stdout, stderr = cli_main(monkeypatch, capsys, *args)
    assert code == 0, stderr
    ds = xr.open_dataset(out / "pathway.nc")
    assert list(ds["scenario"].values) == ["slow", "fast"]
    np.testing.assert_allclose(ds["land_cleared"].sel(node="jabrayil", period=2030), [1.0, 4.0])
    figures = json.loads((out / "kpis.json").read_text())
    assert set(figures["scenarios"]) == {"slow", "fast"}
    tol = 1e-7 * figures["path"]["expected_cost_discounted_usd"]  # both are differences of optima
    assert figures["path"]["vss_usd"] >= -tol and figures["path"]["evpi_usd"] >= -tol
    assert "VSS" in stdout
    page = (out / "report.html").read_text()  # the scenarios side by side, the first period shared
    assert 'id="scenario-table"' in page and 'data-scenario="slow"' in page and 'data-scenario="fast"' in page
    for name in ("slow", "fast"):
        assert f'id="scenario-{name}"' in page and f'id="period-table-{name}"' in page
        assert f'id="fig-pathway-capacity-{name}"' in page
    assert "decided once, the same under every clearance scenario" in page


def test_pace_moves_the_layers_and_the_mean_value_zone_averages_by_period(tmp_path):
    from greenzone.zone.scenarios import mean_value_zone, paced, scenario_zone
    from greenzone.zone.schema import YearValue

    layers = YearValue({2025: 1.0, 2030: 2.0, 2035: 5.0})
    # from 2030 (the first period): the 2035 layer by 2030 + 5 / 2 = 2032.5, rounded up; before it unchanged
    assert paced(layers, 2.0, 2030) == YearValue({2025: 1.0, 2030: 2.0, 2033: 5.0})
    assert paced(layers, 0.5, 2030) == YearValue({2025: 1.0, 2030: 2.0, 2040: 5.0})
    section = {
        "periods": [2030, 2035, 2040],
        "last_period_years": 5,
        "scenarios": [
            {"name": "slow", "probability": 0.25, "clearance_pace": 0.5},
            {"name": "fast", "probability": 0.75, "usable_land_km2": {"a": {2030: 0.5, 2035: 3.0}}},
        ],
    }
    zone = dated_land(tmp_path, section, {2030: 0.5, 2035: 1.5, 2040: 3.0})
    slow = scenario_zone(zone, "slow").nodes[0].usable_land_km2
    assert [slow.at(p) for p in (2030, 2035, 2040)] == [0.5, 0.5, 1.5]
    mean = mean_value_zone(zone).nodes[0].usable_land_km2
    assert [mean.at(p) for p in (2030, 2035, 2040)] == pytest.approx([0.5, 2.375, 2.625])
    assert mean_value_zone(zone).nodes[1].usable_land_km2 is None  # no limit stays no limit
