"""The pathway (greenzone.planning.pathway): hand optima, one period equal to plan, modes, validation and the CLI.

Hand optima use hand-made profiles (tests/plan_helpers.py): flat demand, constant availability, so every
figure is a short calculation from the catalogue's numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from greenzone.errors import ZoneError
from greenzone.optimize.formulation.pathway import discounted_years
from greenzone.planning.pathway import pathway
from greenzone.planning.year import plan
from plan_helpers import hand_profiles, write_small_zone

HOURS = 24
REL = 1e-6
"""Hand optima hold to this relative tolerance (and builds that must be 0 to this many MW)."""


def one_node(
    tmp_path, technologies, *, pathway_section, land=None, rate=0.0, tech_specs=None, node_fields=None
):
    tmp_path.mkdir(exist_ok=True)
    node = {"id": "a", "lat": 40.0, "lon": 47.0, "technologies": technologies, **(node_fields or {})}
    if land is not None:
        node["usable_land_km2"] = land
    body = {
        "nodes": [node],
        "policy": {"allow_unserved": False},
        "economics": {"discount_rate": rate},
        "pathway": pathway_section,
    }
    if tech_specs:
        body["technologies"] = tech_specs
    return write_small_zone(tmp_path, body)[0]


def test_land_that_opens_in_period_two_is_built_there_and_not_before(tmp_path):
    zone = one_node(
        tmp_path,
        {"solar_fixed": {}, "gas_turbine": {"existing_mw": 100, "max_mw": 100}},
        land={2030: 0, 2035: 1.0},
        pathway_section={"periods": [2030, 2035], "last_period_years": 5},
        tech_specs={"gas_turbine": {"fuel_price_usd_per_mwh_th": 36.0}},
    )
    cf = 0.5 + 0.5 * np.sin(np.arange(HOURS) / HOURS * 2 * np.pi)
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): cf}, demand={"a": 50.0})
    ds = pathway(zone, prof)
    solar = ds["new_capacity"].sel(node="a", technology="solar_fixed").values
    land_use = zone.technologies["solar_fixed"].land_use_km2_per_mw
    assert abs(solar[0]) < REL
    assert solar[1] == pytest.approx(1.0 / land_use, rel=REL)  # the 1 km^2 cleared by 2035, in full
    np.testing.assert_allclose(ds["land_used"].sel(node="a").values, [0.0, 1.0], atol=REL)
    np.testing.assert_allclose(ds["land_cleared"].sel(node="a").values, [0.0, 1.0])
    # land binds in both periods: its value is what solar on one more km^2 would save a year
    assert (ds["land_value"].sel(node="a").values > 0).all()
    more = one_node(
        tmp_path / "more",
        {"solar_fixed": {}, "gas_turbine": {"existing_mw": 100, "max_mw": 100}},
        land={2030: 0, 2035: 1.001},
        pathway_section={"periods": [2030, 2035], "last_period_years": 5},
        tech_specs={"gas_turbine": {"fuel_price_usd_per_mwh_th": 36.0}},
    )
    saved = ds.attrs["objective_usd"] - pathway(more, prof).attrs["objective_usd"]
    w = float(ds["discounted_years"].sel(period=2035))
    assert float(ds["land_value"].sel(node="a", period=2035)) == pytest.approx(saved / 0.001 / w, rel=1e-4)
    assert ds.attrs["total_cost_usd"] == pytest.approx(ds.attrs["objective_usd"], rel=1e-9)


def test_a_retiring_plant_is_replaced(tmp_path):
    zone = one_node(
        tmp_path,
        {"gas_turbine": {}},
        pathway_section={
            "periods": [2030, 2035],
            "assets": [
                {
                    "node": "a",
                    "technology": "gas_turbine",
                    "mw": 100,
                    "commissioned": 2000,
                    "lifetime_years": 32,
                }
            ],
        },
    )
    prof = hand_profiles(zone, HOURS, demand={"a": 50.0})
    ds = pathway(zone, prof)
    gas = ds.sel(node="a", technology="gas_turbine")
    availability = zone.technologies["gas_turbine"].availability
    assert abs(float(gas["new_capacity"].sel(period=2030))) < REL
    assert float(gas["new_capacity"].sel(period=2035)) == pytest.approx(50.0 / availability, rel=REL)
    np.testing.assert_allclose(gas["retired_capacity"].values, [0.0, 100.0])
    np.testing.assert_allclose(gas["capacity"].values, [100.0, 50.0 / availability], rtol=REL)


def discount_zone(tmp_path, rate, first_capex=10000):
    """Geothermal (max 20 MW) whose capex falls from ``first_capex`` to 2,000 USD/kW, against 100 MW of gas."""
    return one_node(
        tmp_path,
        {"geothermal": {"max_mw": 20}, "gas_turbine": {"existing_mw": 100, "max_mw": 100}},
        rate=rate,
        pathway_section={
            "periods": [2030, 2035],
            "last_period_years": 5,
            "capex_usd_per_kw": {"geothermal": {2030: first_capex, 2035: 2000}},
        },
        tech_specs={"gas_turbine": {"fuel_price_usd_per_mwh_th": 36.0}},
    )


def hand_discount_objective(zone, rate, *, early: bool, first_capex=10000) -> float:
    """The pathway's objective [USD] when the 20 MW of geothermal is built in 2030 (early) or 2035."""
    geo, gas = zone.technologies["geothermal"], zone.technologies["gas_turbine"]
    w = discounted_years(rate, [2030, 2035], [5, 5])
    a = rate / (1 - (1 + rate) ** -30) if rate else 1 / 30
    annuity = {2030: a * first_capex * 1e3, 2035: a * 2000e3}
    gas_cost = gas.variable_om_usd_per_mwh + gas.fuel_price_usd_per_mwh_th / gas.efficiency
    m, demand = 20.0, 50.0

    def year(built: bool) -> float:
        served = geo.availability * m if built else 0.0
        fixed = gas.fixed_om_usd_per_kw_year * 1e3 * 100 + (
            geo.fixed_om_usd_per_kw_year * 1e3 * m if built else 0
        )
        return fixed + (demand - served) * 8760 * gas_cost

    if early:
        return w[0] * year(True) + w[1] * year(True) + annuity[2030] * m * (w[0] + w[1])
    return w[0] * year(False) + w[1] * year(True) + annuity[2035] * m * w[1]


@pytest.mark.parametrize(("rate", "early"), [(0.0, True), (0.08, False)])
def test_discounting_moves_the_build_later(tmp_path, rate, early):
    zone = discount_zone(tmp_path, rate)
    prof = hand_profiles(zone, HOURS, demand={"a": 50.0})
    ds = pathway(zone, prof)
    built = ds["new_capacity"].sel(node="a", technology="geothermal").values
    np.testing.assert_allclose(built, [20.0, 0.0] if early else [0.0, 20.0], atol=1e-6)
    assert ds.attrs["objective_usd"] == pytest.approx(
        hand_discount_objective(zone, rate, early=early), rel=REL
    )
    other = hand_discount_objective(zone, rate, early=not early)
    assert ds.attrs["objective_usd"] < other  # the other timing is dearer, by the hand calculation too


def test_myopic_builds_early_what_foresight_defers(tmp_path):
    """At 18,000 USD/kW in 2030 geothermal pays for itself within 2030-2034 (myopic builds it), but waiting for
    2,000 USD/kW in 2035 is cheaper over the path (perfect foresight waits): (S - f - A_2030) W_2030 <
    (A_2030 - A_2035) W_2035 with S the fuel saved, f fixed O&M, A the annuities."""
    zone = discount_zone(tmp_path, 0.0, first_capex=18000)
    prof = hand_profiles(zone, HOURS, demand={"a": 50.0})
    foresight, myopic = pathway(zone, prof), pathway(zone, prof, myopic=True)
    geo = {"node": "a", "technology": "geothermal"}
    np.testing.assert_allclose(foresight["new_capacity"].sel(geo).values, [0.0, 20.0], atol=1e-6)
    np.testing.assert_allclose(myopic["new_capacity"].sel(geo).values, [20.0, 0.0], atol=1e-6)
    early = hand_discount_objective(zone, 0.0, early=True, first_capex=18000)
    late = hand_discount_objective(zone, 0.0, early=False, first_capex=18000)
    assert foresight.attrs["objective_usd"] == pytest.approx(late, rel=REL)
    assert myopic.attrs["total_cost_usd"] == pytest.approx(
        early, rel=REL
    )  # the path's cost of the early build


def test_typical_days_per_period_with_storage(tmp_path):
    zone = two_nodes(
        tmp_path, {"periods": [2027, 2030], "capex_usd_per_kwh": {"battery": {2027: 200, 2030: 100}}}
    )
    ds = pathway(zone, two_node_profiles(zone, 6), typical_days=3)
    assert ds.attrs["time_resolution"].startswith("3 typical days per period")
    assert ds.attrs["total_cost_usd"] == pytest.approx(ds.attrs["objective_usd"], rel=1e-9)
    assert float(ds["storage_energy"].isel(period=-1).sum()) >= float(
        ds["storage_energy"].isel(period=0).sum()
    )


def test_api_mirrors_the_cli():
    import greenzone

    assert greenzone.pathway is pathway
    assert callable(greenzone.pathway_profiles)


def two_nodes(tmp_path, pathway_section=None):
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 40.0,
                "lon": 47.0,
                "usable_land_km2": 3.0,
                "technologies": {"solar_fixed": {}, "wind_onshore": {"max_mw": 40}, "battery": {}},
            },
            {"id": "b", "lat": 39.5, "lon": 46.5, "technologies": {"gas_turbine": {"existing_mw": 20}}},
        ],
        "links": [{"from": "a", "to": "b", "length_km": 60}],
        "grid": {"node": "b", "import_max_mw": 15, "export_max_mw": 10, "import_price_usd_per_mwh": 80},
        "economics": {"discount_rate": 0.07},
    }
    if pathway_section is not None:
        body["pathway"] = pathway_section
    return write_small_zone(tmp_path, body)[0]


def two_node_profiles(zone, days: int):
    hours = 24 * days
    t = np.arange(hours)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * (0.6 + 0.4 * np.cos(t / 24 * 1.3) ** 2)
    wind = 0.35 + 0.3 * np.sin(2 * np.pi * t / 31) * np.cos(2 * np.pi * t / 13)
    demand_a = 30 + 8 * np.sin(2 * np.pi * (t - 14) / 24)
    return hand_profiles(
        zone,
        hours,
        cf={("a", "solar_fixed"): sun, ("a", "wind_onshore"): wind},
        demand={"a": demand_a, "b": 20.0},
    )


@pytest.mark.parametrize("typical_days", [None, 3])
def test_one_period_equals_plan(tmp_path, typical_days):
    zone = two_nodes(tmp_path)  # no pathway section: one period of one year, the zone's
    prof = two_node_profiles(zone, 6)
    ds = pathway(zone, prof, typical_days=typical_days)
    ref = plan(zone, prof, typical_days=typical_days)
    assert ds.attrs["objective_usd"] == pytest.approx(ref.attrs["objective_usd_per_year"], rel=1e-9)
    np.testing.assert_allclose(ds["capacity"].isel(period=0).values, ref["capacity"].values, atol=1e-5)
    np.testing.assert_allclose(
        ds["storage_energy"].isel(period=0).values, ref["storage_energy"].values, atol=1e-4
    )
    np.testing.assert_allclose(
        ds["link_capacity"].isel(period=0).values, ref["link_capacity"].values, atol=1e-5
    )


def test_myopic_pays_no_less_than_perfect_foresight(tmp_path):
    zone = two_nodes(
        tmp_path,
        {
            "periods": [2027, 2032, 2037],
            "capex_usd_per_kw": {"solar_fixed": {2027: 850, 2037: 400}},
            "grid": {"import_max_mw": {2027: 15, 2037: 0}},
        },
    )
    base = two_node_profiles(zone, 3)
    prof = {}
    for k, p in enumerate([2027, 2032, 2037]):
        scaled = base.copy()
        scaled["demand"] = base["demand"] * (1 + 0.3 * k)
        prof[p] = scaled
    foresight = pathway(zone, prof)
    myopic = pathway(zone, prof, myopic=True)
    assert myopic.attrs["mode"] == "myopic"
    assert foresight.attrs["total_cost_usd"] == pytest.approx(foresight.attrs["objective_usd"], rel=1e-9)
    assert myopic.attrs["total_cost_usd"] >= foresight.attrs["total_cost_usd"] * (1 - 1e-9)
    # capacity is carried forward: what a period has is at least what the period before built and keeps
    for ds in (foresight, myopic):
        cap = ds["capacity"].sum(["node", "technology"]).values
        assert np.all(np.diff(cap) >= -1e-6)  # nothing here retires within 2027-2041
        assert float(ds["demand"].sum("node").sel(period=2037)) > float(
            ds["demand"].sum("node").sel(period=2027)
        )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["pathway"].update(periods=[2030, 2030]), "pathway.periods", "must increase"),
        (lambda d: d["nodes"][0].update(usable_land_km2={2030: 5, 2035: 2}), "usable_land_km2", "shrinks"),
        (
            lambda d: d["pathway"].update(
                assets=[{"node": "a", "technology": "gas_turbine", "mw": 5, "commissioned": 2040}]
            ),
            "pathway.assets[0].commissioned",
            "after the last period",
        ),
        (
            lambda d: d["pathway"].update(
                assets=[
                    {
                        "node": "a",
                        "technology": "gas_turbine",
                        "mw": 5,
                        "commissioned": 1990,
                        "lifetime_years": 30,
                    }
                ]
            ),
            "pathway.assets[0].lifetime_years",
            "before the first period",
        ),
        (
            lambda d: d["pathway"].update(
                assets=[
                    {"node": "a", "technology": "gas_turbine", "mw": 5, "energy_mwh": 9, "commissioned": 2030}
                ]
            ),
            "pathway.assets[0].energy_mwh",
            "only storage has energy",
        ),
        (
            lambda d: d["pathway"].update(capex_usd_per_kw={"nuclear": 5000}),
            "pathway.capex_usd_per_kw.nuclear",
            "unknown technology",
        ),
    ],
)
def test_validation_names_the_field_and_the_fix(tmp_path, change, field, words):
    import yaml

    from greenzone.zone import load_zone

    data = {
        "name": "t",
        "timezone": "UTC",
        "year": 2030,
        "nodes": [{"id": "a", "lat": 40, "lon": 47, "technologies": {"gas_turbine": {}}}],
        "pathway": {"periods": [2030, 2035]},
    }
    change(data)
    path = tmp_path / "zone.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ZoneError) as err:
        load_zone(path)
    message = str(err.value)
    assert field in message and words in message and str(path) in message


def test_demand_between_given_years_is_interpolated():
    from greenzone.zone.schema import _parse_year_value

    value = _parse_year_value({2027: 100.0, 2037: 200.0})
    assert value.interpolated(2032) == pytest.approx(150.0)
    assert value.interpolated(2020) == 100.0 and value.interpolated(2050) == 200.0
    assert value.at(2032) == 100.0  # usable land stays a step function


def test_pathway_dataset_has_units_and_writes(tmp_path):
    zone = two_nodes(tmp_path, {"periods": [2027, 2032]})
    ds = pathway(zone, two_node_profiles(zone, 2))
    for name, var in ds.data_vars.items():
        assert "units" in var.attrs, name
    ds.to_netcdf(tmp_path / "pathway.nc")
    again = xr.open_dataset(tmp_path / "pathway.nc")
    assert list(again["period"].values) == [2027, 2032]
    from greenzone.planning.pathway_output import pathway_kpis

    figures = pathway_kpis(ds)
    assert [p["period"] for p in figures["periods"]] == [2027, 2032]
    json.dumps(figures)
    assert figures["path"]["total_cost_discounted_usd"] == pytest.approx(ds.attrs["total_cost_usd"])


CLI_ZONE = """\
name: cli pathway
timezone: Asia/Baku
year: 2027
economics: {discount_rate: 0.05}
nodes:
  - id: jabrayil
    lat: 39.4
    lon: 47.0
    usable_land_km2: {2027: 1, 2030: 4}
    demand: {annual_mwh: {2027: 200000, 2033: 400000}, profile: mixed}
    technologies: {solar_fixed: {}, battery: {}, gas_turbine: {existing_mw: 20}}
pathway:
  periods: [2027, 2030]
  assets:
    - {node: jabrayil, technology: gas_turbine, mw: 30, commissioned: 2000, lifetime_years: 29}
"""


@pytest.mark.parametrize("myopic", [False, True])
def test_cli_writes_pathway_and_kpis(tmp_path, monkeypatch, capsys, myopic):
    from cli_helpers import cli_main

    zone_file = tmp_path / "zone.yaml"
    zone_file.write_text(CLI_ZONE)
    out = tmp_path / "out"
    args = ["pathway", str(zone_file), "--out", str(out), "--hours", "48"] + (["--myopic"] if myopic else [])
    code, stdout, stderr = cli_main(monkeypatch, capsys, *args)
    assert code == 0, stderr
    ds = xr.open_dataset(out / "pathway.nc")
    assert ds.attrs["mode"] == ("myopic" if myopic else "perfect_foresight")
    np.testing.assert_allclose(ds["retired_capacity"].sel(node="jabrayil", technology="gas_turbine"), [0, 30])
    # demand 2030 read between the given 2027 and 2033: halfway (interpolated, not a step)
    np.testing.assert_allclose(ds["demand"].sel(node="jabrayil").values, [200000, 300000], rtol=1e-9)
    figures = json.loads((out / "kpis.json").read_text())
    assert [p["period"] for p in figures["periods"]] == [2027, 2030]
    assert (out / "manifest.json").exists()
    assert "whole path" in stdout


def test_cli_names_a_bad_pathway_field(tmp_path, monkeypatch, capsys):
    from cli_helpers import cli_main

    zone_file = tmp_path / "zone.yaml"
    zone_file.write_text(CLI_ZONE.replace("periods: [2027, 2030]", "periods: [2030, 2027]"))
    code, _, stderr = cli_main(monkeypatch, capsys, "pathway", str(zone_file), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "pathway.periods" in stderr and "must increase" in stderr and "Traceback" not in stderr


def test_an_infeasible_pathway_says_so_and_how_to_find_the_cause(tmp_path):
    from greenzone.errors import InfeasibleError

    zone = one_node(
        tmp_path,
        {"solar_fixed": {}},
        land={2030: 0, 2035: 5.0},
        pathway_section={"periods": [2030, 2035]},
    )
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 10.0})
    with pytest.raises(InfeasibleError, match="period 2030, 2035") as err:
        pathway(zone, prof)
    assert "allow_unserved" in str(err.value)
    with pytest.raises(InfeasibleError, match=r"\(period 2030\)"):
        pathway(zone, prof, myopic=True)  # the first myopic step already fails


def test_plan_on_a_year_sees_the_dated_assets_in_service_then(tmp_path):
    """A single-year plan counts the pathway's assets in service in its year, at the year's dated capex and
    grid values: plan on a period's year is that period of the pathway alone."""
    zone = one_node(
        tmp_path,
        {"gas_turbine": {}, "solar_fixed": {}},
        pathway_section={
            "periods": [2030, 2035],
            "capex_usd_per_kw": {"solar_fixed": {2030: 900, 2035: 300}},
            "assets": [
                {
                    "node": "a",
                    "technology": "gas_turbine",
                    "mw": 40,
                    "commissioned": 2000,
                    "lifetime_years": 32,
                },
                {"node": "a", "technology": "solar_fixed", "mw": 25, "commissioned": 2033},
            ],
        },
    )
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.4}, demand={"a": 30.0})
    for year, gas, solar in ((2030, 40.0, 0.0), (2035, 0.0, 25.0)):
        ref = plan(zone, prof, year=year)
        assert float(ref["capacity_existing"].sel(node="a", technology="gas_turbine")) == gas
        assert float(ref["capacity_existing"].sel(node="a", technology="solar_fixed")) == solar
    one = zone.model_copy(update={"pathway": zone.pathway.model_copy(update={"periods": [2035]})})
    ds = pathway(one, prof)
    ref = plan(zone, prof, year=2035)
    assert ds.attrs["objective_usd"] == pytest.approx(ref.attrs["objective_usd_per_year"], rel=1e-9)


def test_the_fleet_without_a_plan_and_the_cost_of_what_stands_count_dated_assets(tmp_path):
    """Where capacity in service is read from the zone (operation without a plan, the levelised cost of the
    fleet that stands), the pathway's dated assets in service in the zone's year count as the plan counts
    them: a gas plant until it retires, a solar plant from its commissioning year."""
    from greenzone.costs import existing_annuity
    from greenzone.operate import existing_capacities
    from greenzone.optimize.formulation.data import annuity

    zone = one_node(
        tmp_path,
        {"gas_turbine": {}, "solar_fixed": {}},
        pathway_section={
            "periods": [2030, 2035],
            "assets": [
                {
                    "node": "a",
                    "technology": "gas_turbine",
                    "mw": 40,
                    "commissioned": 2000,
                    "lifetime_years": 32,
                },
                {"node": "a", "technology": "solar_fixed", "mw": 25, "commissioned": 2033},
            ],
        },
    ).model_copy(update={"year": 2030})
    for year, gas, solar in ((None, 40.0, 0.0), (2035, 0.0, 25.0)):
        caps = existing_capacities(zone, year=year)["capacity"].sel(node="a")
        assert float(caps.sel(technology="gas_turbine")) == gas
        assert float(caps.sel(technology="solar_fixed")) == solar
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.4}, demand={"a": 30.0})
    gas = zone.technologies["gas_turbine"]
    expected = annuity(zone.economics.discount_rate, gas.lifetime_years) * 1000.0 * gas.capex_usd_per_kw * 40
    assert existing_annuity(zone, plan(zone, prof))["gas_turbine"] == pytest.approx(expected, rel=1e-12)
    assert existing_annuity(zone)["gas_turbine"] == pytest.approx(expected, rel=1e-12)
    assert existing_annuity(zone)["solar_fixed"] == 0.0


@pytest.mark.slow
def test_the_embedded_zone_as_a_three_period_pathway(write_zone):
    """The machinery on real data (the Karabakh zone, synthetic weather, 4 typical days a period): growing
    demand read per period, cleared land per period, and the path's cost equal to its LP's objective."""
    import greenzone
    from greenzone.zone import load_zone

    zone = load_zone(write_zone(lambda d: d.update(pathway={"periods": [2027, 2031, 2035]})))
    weather = greenzone.load_weather(zone)
    ds = pathway(zone, greenzone.pathway_profiles(zone, weather), typical_days=4)
    demand = ds["demand"].sum("node").values
    assert demand[0] < demand[1] < demand[2]
    assert (np.diff(ds["land_cleared"].fillna(0).values, axis=0) >= 0).all()
    assert ds.attrs["total_cost_usd"] == pytest.approx(ds.attrs["objective_usd"], rel=1e-9)


def test_the_pypsa_export_refuses_dated_values_it_cannot_read(tmp_path):
    pytest.importorskip("pypsa")
    from greenzone.interop import to_pypsa

    zone = discount_zone(tmp_path, 0.0)
    prof = hand_profiles(zone, HOURS, demand={"a": 50.0})
    with pytest.raises(ZoneError, match="pathway.capex_usd_per_kw"):
        to_pypsa(zone, prof)
    plain = zone.model_copy(update={"pathway": zone.pathway.model_copy(update={"capex_usd_per_kw": {}})})
    to_pypsa(plain, prof)  # periods alone change nothing a year's export reads
