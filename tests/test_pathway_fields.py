"""Zone-file fields a pathway needs: demand as population × use per person, usable land by technology kind,
dated link capacity; each with hand figures and validation that names the field and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from greenzone.errors import InfeasibleError, ZoneError
from greenzone.planning.pathway import pathway
from greenzone.planning.year import plan
from greenzone.resources.demand import demand_profiles
from greenzone.zone import load_zone
from plan_helpers import hand_profiles, write_small_zone

HOURS = 24
REL = 1e-6


def flat_weather(zone, hours: int = 8760) -> xr.Dataset:
    """A weather dataset of 15 degC everywhere (no heating or cooling load), enough for demand profiles."""
    time = pd.date_range(f"{zone.year}-01-01", periods=hours, freq="h")
    temp = np.full((hours, len(zone.nodes)), 15.0)
    return xr.Dataset({"temp_air": (("time", "site"), temp)}, coords={"time": time, "site": zone.node_ids})


def demand_zone(tmp_path, demand: dict):
    tmp_path.mkdir(exist_ok=True)
    node = {"id": "a", "lat": 40.0, "lon": 47.0, "demand": demand, "technologies": {"gas_turbine": {}}}
    return write_small_zone(tmp_path, {"nodes": [node], "pathway": {"periods": [2027, 2035]}})[0]


def test_demand_is_population_times_use_per_person_each_interpolated(tmp_path):
    zone = demand_zone(
        tmp_path,
        {
            "population": {2027: 10000, 2037: 30000},
            "use_mwh_per_person": {2027: 2.0, 2047: 4.0},
            "profile": "flat",
        },
    )
    demand = zone.nodes[0].demand
    assert demand.annual_at(2027) == pytest.approx(20000.0)
    # 2032: 20,000 residents (halfway) × 2.5 MWh/person (a quarter of the way): the product of the interpolants
    assert demand.annual_at(2032) == pytest.approx(20000 * 2.5)
    assert demand.annual_at(2050) == pytest.approx(30000 * 4.0)  # both held after their last year
    weather = flat_weather(zone)
    mw = demand_profiles(zone, weather, year=2032).sel(node="a").values
    assert mw.sum() == pytest.approx(20000 * 2.5, rel=1e-12)  # a flat 8,760-hour year


def test_population_demand_equals_the_same_annual_mwh(tmp_path):
    people = demand_zone(tmp_path / "p", {"population": 4000, "use_mwh_per_person": 2.5, "profile": "mixed"})
    annual = demand_zone(tmp_path / "a", {"annual_mwh": 10000, "profile": "mixed"})
    weather = flat_weather(people)
    np.testing.assert_array_equal(
        demand_profiles(people, weather).values, demand_profiles(annual, weather).values
    )


def write_raw(tmp_path, data: dict):
    path = tmp_path / "zone.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def base_data() -> dict:
    return {
        "name": "t",
        "timezone": "UTC",
        "year": 2030,
        "nodes": [
            {
                "id": "a",
                "lat": 40,
                "lon": 47,
                "demand": {"annual_mwh": 1000},
                "technologies": {"gas_turbine": {}, "solar_fixed": {}},
            },
            {"id": "b", "lat": 39.5, "lon": 46.5, "technologies": {"gas_turbine": {}}},
        ],
        "links": [{"from": "a", "to": "b", "length_km": 50}],
        "pathway": {"periods": [2030, 2035]},
    }


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda d: d["nodes"][0]["demand"].update(population=100, use_mwh_per_person=2.0),
            "nodes[0].demand.annual_mwh",
            "not both",
        ),
        (
            lambda d: d["nodes"][0].update(demand={"population": 100}),
            "nodes[0].demand.use_mwh_per_person",
            "give both",
        ),
        (
            lambda d: d["nodes"][0].update(demand={"use_mwh_per_person": 2.0}),
            "nodes[0].demand.population",
            "give both",
        ),
        (
            lambda d: d["nodes"][0].update(usable_land_by_kind_km2={"wind": 5}),
            "nodes[0].usable_land_by_kind_km2.wind",
            "no wind technology stands at node 'a'",
        ),
        (
            lambda d: d["nodes"][0].update(usable_land_by_kind_km2={"solar": {2030: 5, 2035: 4}}),
            "nodes[0].usable_land_by_kind_km2.solar",
            "shrinks",
        ),
        (
            lambda d: d["nodes"][0].update(usable_land_by_kind_km2={"fusion": 5}),
            "usable_land_by_kind_km2",
            "fusion",
        ),
        (
            lambda d: d["pathway"].update(links=[{"link": "a-c", "mw": 10, "commissioned": 2030}]),
            "pathway.links[0].link",
            "unknown link 'a-c'; use one of a-b",
        ),
        (
            lambda d: d["pathway"].update(links=[{"link": "a-b", "mw": 10, "commissioned": 2040}]),
            "pathway.links[0].commissioned",
            "after the last period",
        ),
    ],
)
def test_validation_names_the_field_and_the_fix(tmp_path, change, field, words):
    data = base_data()
    change(data)
    path = write_raw(tmp_path, data)
    with pytest.raises(ZoneError) as err:
        load_zone(path)
    message = str(err.value)
    assert field in message and words in message and str(path) in message


def solar_zone(tmp_path, *, by_kind, total=None, existing_solar=0.0, periods=(2030, 2035)):
    tmp_path.mkdir(exist_ok=True)
    node = {
        "id": "a",
        "lat": 40.0,
        "lon": 47.0,
        "usable_land_by_kind_km2": by_kind,
        "technologies": {
            "solar_fixed": {"existing_mw": existing_solar},
            "gas_turbine": {"existing_mw": 100, "max_mw": 100},
        },
    }
    if total is not None:
        node["usable_land_km2"] = total
    body = {
        "year": periods[0],
        "nodes": [node],
        "policy": {"allow_unserved": False},
        "technologies": {"gas_turbine": {"fuel_price_usd_per_mwh_th": 36.0}},
        "pathway": {"periods": list(periods), "last_period_years": 5},
    }
    return write_small_zone(tmp_path, body)[0]


def test_solar_land_that_opens_in_period_two_is_built_there_and_not_before(tmp_path):
    zone = solar_zone(tmp_path, by_kind={"solar": {2030: 0, 2035: 1.0}})
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 50.0})
    ds = pathway(zone, prof)
    solar = ds["new_capacity"].sel(node="a", technology="solar_fixed").values
    land_use = zone.technologies["solar_fixed"].land_use_km2_per_mw
    assert abs(solar[0]) < REL
    assert solar[1] == pytest.approx(1.0 / land_use, rel=REL)
    one_year = plan(zone, prof, year=2035)  # plan on a year reads the land of that year too
    assert float(one_year["capacity"].sel(node="a", technology="solar_fixed")) == pytest.approx(
        1.0 / land_use, rel=REL
    )


def test_the_node_total_and_the_kind_both_bind(tmp_path):
    zone = solar_zone(tmp_path, by_kind={"solar": 1.0}, total=0.5, periods=(2030,))
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 50.0})
    land_use = zone.technologies["solar_fixed"].land_use_km2_per_mw
    ds = plan(zone, prof)
    assert float(ds["capacity"].sel(node="a", technology="solar_fixed")) == pytest.approx(
        0.5 / land_use, rel=REL
    )


def test_existing_plants_beyond_their_kind_s_land_are_named(tmp_path):
    zone = solar_zone(tmp_path, by_kind={"solar": 1.0}, existing_solar=100.0, periods=(2030,))
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 50.0})
    with pytest.raises(InfeasibleError) as err:
        plan(zone, prof)
    assert "nodes[0].usable_land_by_kind_km2.solar" in str(err.value)
    assert "1 km^2 usable for solar in 2030" in str(err.value)


def link_zone(tmp_path, dated: list[dict]):
    nodes = [
        {"id": "a", "lat": 40.0, "lon": 47.0, "technologies": {"gas_turbine": {"existing_mw": 100}}},
        {"id": "b", "lat": 39.5, "lon": 46.5, "technologies": {"gas_turbine": {"existing_mw": 100}}},
    ]
    body = {
        "year": 2030,
        "nodes": nodes,
        "links": [{"from": "a", "to": "b", "length_km": 50, "existing_mw": 0, "max_mw": 0}],
        "pathway": {"periods": [2030, 2035, 2040], "links": dated},
    }
    return write_small_zone(tmp_path, body)[0]


def test_dated_link_capacity_enters_in_its_year_and_retires_after_its_lifetime(tmp_path):
    zone = link_zone(
        tmp_path,
        [
            {"link": "a-b", "mw": 30, "commissioned": 2035},
            {"link": "a-b", "mw": 20, "commissioned": 2030, "lifetime_years": 8},
        ],
    )
    prof = hand_profiles(zone, HOURS, demand={"a": 50.0, "b": 10.0})
    ds = pathway(zone, prof)
    np.testing.assert_allclose(ds["link_capacity"].sel(link="a-b").values, [20.0, 50.0, 30.0])
    np.testing.assert_allclose(ds["new_link_capacity"].values, 0.0, atol=REL)
    assert float(plan(zone, prof, year=2035)["link_capacity_existing"].sel(link="a-b")) == 50.0
    assert float(plan(zone, prof, year=2040)["link_capacity_existing"].sel(link="a-b")) == 30.0


def test_a_plan_counts_no_investment_for_dated_plants_in_service(tmp_path):
    from greenzone.kpi import kpis

    node = {"id": "a", "lat": 40.0, "lon": 47.0, "technologies": {"gas_turbine": {}}}
    body = {
        "year": 2030,
        "nodes": [node],
        "pathway": {
            "periods": [2030],
            "assets": [{"node": "a", "technology": "gas_turbine", "mw": 60, "commissioned": 2025}],
        },
    }
    zone = write_small_zone(tmp_path, body)[0]
    result = plan(zone, hand_profiles(zone, HOURS, demand={"a": 50.0}))
    assert float(result["capacity"].sel(node="a", technology="gas_turbine")) == pytest.approx(60.0)
    assert kpis(result, zone)["investment_usd"] == 0.0  # the 60 MW stand already: nothing is invested


def test_the_embedded_zone_keeps_its_2027_figures_and_dates_the_rest():
    """The Karabakh pathway's values in 2027 are the single-year zone's (so plan on 2027 is unchanged); demand
    grows with the residents, land with the clearance record, only as the zone file's sources say."""
    from greenzone.zone.dated import capex_at, grid_at

    zone = load_zone()
    demand_2027 = {
        "jabrayil": 52000,
        "fuzuli": 64000,
        "zangilan": 48000,
        "lachin": 44000,
        "kalbajar": 40000,
        "shusha": 64000,
        "aghdam": 88000,
    }
    land_2027 = {"jabrayil": 40, "fuzuli": 30, "zangilan": 20, "lachin": 30, "kalbajar": 40, "shusha": 5}
    for node in zone.nodes:
        if node.id in demand_2027:
            assert node.demand.annual_at(2027) == demand_2027[node.id]  # exactly: the plan's input
        if node.id in land_2027:
            assert node.usable_land_km2.at(2027) == land_2027[node.id]
    for tech in ("solar_fixed", "solar_tracking", "wind_onshore"):
        assert capex_at(zone, tech, "capex_usd_per_kw", 2027) == zone.technologies[tech].capex_usd_per_kw
    assert (
        capex_at(zone, "battery", "capex_usd_per_kwh", 2027) == zone.technologies["battery"].capex_usd_per_kwh
    )
    assert grid_at(zone, "export_max_mw", 2027) == zone.grid.export_max_mw
    assert all(a.commissioned > 2027 for a in zone.pathway.assets)  # nothing dated stands in 2027
    total = [sum(n.demand.annual_at(p) for n in zone.nodes if n.demand) for p in zone.pathway.periods]
    assert total[0] == pytest.approx(400000) and total[3] == pytest.approx(1_000_000)  # 140,000 -> 350,000
    dated = [
        n for n in zone.nodes if not n.usable_land_km2.is_constant
    ]  # the reservoir sites stay as they are
    cleared = [sum(n.usable_land_km2.at(p) for n in dated) for p in zone.pathway.periods]
    assert cleared == sorted(cleared) and cleared[-1] / cleared[0] == pytest.approx(
        1166702 / 315762, rel=0.01
    )
