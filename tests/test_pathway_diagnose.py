"""Diagnosis by period: an infeasible pathway names the period (and scenario), the cause in zone terms and
when the zone's layers clear enough land (greenzone.optimize.diagnose_pathway)."""

from __future__ import annotations

import pytest

from greenzone.errors import InfeasibleError
from greenzone.planning.pathway import pathway
from plan_helpers import hand_profiles
from test_pathway import HOURS, one_node

SOLAR_KM2_PER_MW = 0.0229  # the catalogue's solar_fixed
NEED_KM2 = 10.0 / 0.5 * SOLAR_KM2_PER_MW  # 10 MW of demand on solar at a capacity factor of 0.5


def solar_only(tmp_path, **pathway_section):
    zone = one_node(
        tmp_path,
        {"solar_fixed": {}},
        land={2030: 0, 2035: 5.0},
        pathway_section={"periods": [2030, 2035], **pathway_section},
    )
    return zone, hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 10.0})


@pytest.mark.parametrize("myopic", [False, True])
def test_land_short_in_a_period_is_named_with_when_enough_is_cleared(tmp_path, myopic):
    zone, prof = solar_only(tmp_path)
    with pytest.raises(InfeasibleError) as err:
        pathway(zone, prof, myopic=myopic)
    text = str(err.value)
    assert (
        f"2030, node a: the solar_fixed needed takes {NEED_KM2:.3g} km^2, more than the 0 km^2 cleared by then; "
        "enough is cleared by 2035; raise nodes[0].usable_land_km2 for 2030" in text
    )
    assert "\n  2035," not in text  # 2035 has land enough


def test_land_of_one_technology_kind_short_in_a_period_is_named_by_its_field(tmp_path):
    """Land usable for solar only (usable_land_by_kind_km2) short in 2030: the period and the field."""
    zone = one_node(
        tmp_path,
        {"solar_fixed": {}},
        node_fields={"usable_land_by_kind_km2": {"solar": {2030: 0, 2035: 5.0}}},
        pathway_section={"periods": [2030, 2035]},
    )
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 10.0})
    with pytest.raises(InfeasibleError) as err:
        pathway(zone, prof)
    text = str(err.value)
    assert "2030" in text and "nodes[0].usable_land_by_kind_km2.solar" in text and "usable for solar" in text
    assert f"needs {NEED_KM2:.3g} km^2 for the solar_fixed" in text


def test_a_stochastic_pathway_names_the_scenario_and_when_each_clears_enough(tmp_path):
    scenarios = [
        {"name": "slow", "probability": 0.5, "clearance_pace": 0.5},  # the 2035 layer cleared by 2040
        {"name": "fast", "probability": 0.5, "usable_land_km2": {"a": {2030: 0, 2032: 0.3, 2033: 1.0}}},
    ]
    zone, prof = solar_only(tmp_path, scenarios=scenarios)
    with pytest.raises(InfeasibleError) as err:
        pathway(zone, prof, stochastic=True)
    text = str(err.value)
    assert (
        "2030, node a:" in text
        and "enough is cleared by 2040 in scenario slow, by 2033 in scenario fast" in text
    )
    assert (
        "2035, scenario slow, node a: the solar_fixed needed takes "
        f"{NEED_KM2:.3g} km^2, more than the 0 km^2 cleared by then; enough is cleared by 2040 "
        "(by 2033 in scenario fast)" in text
    )
    assert "2035, scenario fast" not in text  # 1 km^2 by 2033 is enough


def test_supply_short_in_a_later_period_is_named_there(tmp_path):
    zone = one_node(
        tmp_path,
        {"gas_turbine": {"max_mw": 12}},
        pathway_section={"periods": [2030, 2035]},
        tech_specs={"gas_turbine": {"availability": 1.0}},
    )
    low = hand_profiles(zone, HOURS, demand={"a": 10.0})
    high = hand_profiles(zone, HOURS, demand={"a": 15.0})  # 2035's demand: 3 MW more than gas can give
    with pytest.raises(InfeasibleError) as err:
        pathway(zone, {2030: low, 2035: high})
    text = str(err.value)
    assert "2035, node a, " in text and "demand exceeds the most that can be supplied by 3 MW" in text
    assert "nodes[0].technologies.gas_turbine.max_mw" in text
    assert "\n  2030," not in text


def test_a_single_year_plan_names_the_land_new_plants_need(tmp_path):
    """Before: 'existing plants alone take 0.00 km^2 (none)', though no plant stood there; now the land the
    solar that would serve the load needs."""
    from greenzone.planning.year import plan
    from plan_helpers import write_small_zone

    node = {"id": "a", "lat": 40.0, "lon": 47.0, "usable_land_km2": 0.1, "technologies": {"solar_fixed": {}}}
    zone, _ = write_small_zone(tmp_path, {"nodes": [node], "policy": {"allow_unserved": False}})
    with pytest.raises(InfeasibleError) as err:
        plan(zone, hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 10.0}))
    assert (
        f"nodes[0].usable_land_km2: node a needs {NEED_KM2:.3g} km^2 for the solar_fixed that would serve its "
        "load, more than the 0.1 km^2 usable in 2027" in str(err.value)
    )
