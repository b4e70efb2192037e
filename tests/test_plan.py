"""The planner on tiny models whose optimum is known by hand, energy balance closure, and diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from greenzone.errors import InfeasibleError, SolverError
from greenzone.kpi import kpis
from greenzone.planning.year import balance_residual, plan
from plan_helpers import geothermal_tech, hand_profiles, two_node_zone, write_small_zone

REL = 1e-6


def test_flat_geothermal_supply(tmp_path):
    """10 MW flat demand, geothermal at 1,000 USD/kW over 20 years at 0% discount: 50,000 USD/MW/yr."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 87600},
                    "technologies": {"geothermal": {}},
                }
            ],
            "technologies": {"geothermal": geothermal_tech()},
            "policy": {"allow_unserved": False},
        },
    )
    result = plan(zone, hand_profiles(zone, 48, demand={"a": 10.0}))
    assert float(result["capacity"].sel(node="a", technology="geothermal")) == pytest.approx(10.0, rel=REL)
    assert result.attrs["objective_usd_per_year"] == pytest.approx(500_000.0, rel=REL)
    figures = kpis(result, zone)
    # LCOE = 500,000 USD/yr / 87,600 MWh/yr
    assert figures["lcoe_usd_per_mwh"] == pytest.approx(500_000 / 87_600, rel=REL)
    assert figures["renewable_share"] == pytest.approx(1.0)
    assert figures["investment_usd"] == pytest.approx(10_000_000.0, rel=REL)


def test_solar_and_battery_over_two_days(tmp_path):
    """Sun 12 h a day at cf 1, flat 1 MW demand, battery with 0.9 / 0.9 efficiencies.

    Night needs 12 MWh out of the battery: 12/0.9 stored, charged with 12/0.81 MWh over 12 h, so the charge
    power is 1.2346 MW (which sets the shared rating), solar is 1 + 1.2346 MW and the energy 13.333 MWh.
    """
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {}, "battery": {}},
                }
            ],
            "technologies": {
                "solar_fixed": {
                    "capex_usd_per_kw": 1000,
                    "lifetime_years": 25,
                    "fixed_om_usd_per_kw_year": 0,
                },
                "battery": {
                    "capex_usd_per_kw": 100,
                    "capex_usd_per_kwh": 200,
                    "lifetime_years": 10,
                    "fixed_om_usd_per_kw_year": 0,
                    "efficiency_charge": 0.9,
                    "efficiency_discharge": 0.9,
                    "standing_loss_per_h": 0,
                },
            },
            "policy": {"allow_unserved": False},
        },
    )
    sun = np.tile(np.r_[np.zeros(6), np.ones(12), np.zeros(6)], 2)
    result = plan(zone, hand_profiles(zone, 48, cf={("a", "solar_fixed"): sun}, demand={"a": 1.0}))
    charge = 12 / 0.81 / 12
    solar = 1 + charge
    energy = 12 / 0.9
    assert float(result["capacity"].sel(node="a", technology="solar_fixed")) == pytest.approx(solar, rel=REL)
    assert float(result["storage_energy"].sel(node="a", storage="battery")) == pytest.approx(energy, rel=REL)
    assert float(result["storage_discharge_capacity"].sel(node="a", storage="battery")) == pytest.approx(
        charge, rel=REL
    )
    expected = solar * 1000 * 1000 / 25 + charge * 100 * 1000 / 10 + energy * 200 * 1000 / 10
    assert result.attrs["objective_usd_per_year"] == pytest.approx(expected, rel=REL)
    assert float(np.abs(balance_residual(result)).max()) < 1e-6


def test_link_that_must_be_built(tmp_path):
    """Supply only at a, demand only at b: a 100 km link with 1% losses carries 10/0.99 MW."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {"id": "a", "lat": 40, "lon": 46, "technologies": {"geothermal": {}}},
                {"id": "b", "lat": 40.5, "lon": 46.5, "demand": {"annual_mwh": 87600}},
            ],
            "technologies": {"geothermal": geothermal_tech()},
            "links": [
                {
                    "from": "a",
                    "to": "b",
                    "length_km": 100,
                    "loss_per_100km": 0.01,
                    "capex_usd_per_mw_km": 1000,
                    "fixed_om_share": 0,
                    "lifetime_years": 40,
                }
            ],
            "policy": {"allow_unserved": False},
        },
    )
    result = plan(zone, hand_profiles(zone, 24, demand={"b": 10.0}))
    sent = 10 / 0.99
    assert float(result["link_capacity"].sel(link="a-b")) == pytest.approx(sent, rel=REL)
    assert float(result["capacity"].sel(node="a", technology="geothermal")) == pytest.approx(sent, rel=REL)
    assert result.attrs["objective_usd_per_year"] == pytest.approx(
        sent * 50_000 + sent * 100 * 1000 / 40, rel=REL
    )
    assert float(np.abs(balance_residual(result)).max()) < 1e-6
    # with flat costs the price at b exceeds a's by the losses
    price = result["price"].mean("time")
    assert float(price.sel(node="b")) > float(price.sel(node="a"))


def _mixed_profiles(zone, hours=96):
    t = np.arange(hours)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None)
    wind = 0.35 + 0.3 * np.sin(t / 17.0)
    load = 1 + 0.3 * np.sin((t % 24 - 14) / 24 * 2 * np.pi)
    return hand_profiles(
        zone,
        hours,
        cf={("a", "solar_fixed"): sun, ("b", "wind_onshore"): wind},
        demand={"a": 22.8 * load, "b": 11.4 * load},
        inflow={("b", "hydro_reservoir"): 6.0},
        min_release={("b", "hydro_reservoir"): 0.86},
    )


def test_energy_balance_closes_in_a_mixed_plan(tmp_path):
    zone, _ = two_node_zone(tmp_path, renewable_share_min=0.6, reserve_share=0.1)
    result = plan(zone, _mixed_profiles(zone))
    assert float(np.abs(balance_residual(result)).max()) < 1e-6
    figures = kpis(result, zone)
    assert figures["renewable_share"] >= 0.6 - 1e-6
    assert figures["land_used_km2"] <= 50 + 1e-6
    # reservoir keeps its minimum release and never exceeds its storage
    res = result["dispatch"].sel(node="b", technology="hydro_reservoir") + result["spill"].sel(
        node="b", technology="hydro_reservoir"
    )
    assert float(res.min()) >= 0.86 - 1e-6
    assert float(result["reservoir_level"].max()) <= 2000 + 1e-6
    # every result variable carries its unit
    for name, var in result.data_vars.items():
        assert "units" in var.attrs, name


def test_co2_cap_binds(tmp_path):
    zone, _ = two_node_zone(tmp_path)
    free = kpis(plan(zone, _mixed_profiles(zone)), zone)
    assert free["co2_t"] > 1000
    capped_zone, _ = two_node_zone(tmp_path, co2_cap_t=free["co2_t"] / 2)
    capped = kpis(plan(capped_zone, _mixed_profiles(capped_zone)), capped_zone)
    assert capped["co2_t"] == pytest.approx(free["co2_t"] / 2, rel=1e-5)
    assert capped["total_cost_usd_per_year"] > free["total_cost_usd_per_year"]


# ------------------------------------------------------------------------------------------- infeasible


def test_unserved_forbidden_names_node_time_and_link(tmp_path):
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {"id": "lachin", "lat": 39.6, "lon": 46.5, "technologies": {"geothermal": {}}},
                {"id": "kalbajar", "lat": 40.1, "lon": 46.0, "demand": {"annual_mwh": 87600}},
            ],
            "technologies": {"geothermal": geothermal_tech()},
            "links": [
                {
                    "id": "lachin-kalbajar",
                    "from": "lachin",
                    "to": "kalbajar",
                    "length_km": 70,
                    "existing_mw": 20,
                    "max_mw": 20,
                    "loss_per_100km": 0,
                }
            ],
            "timezone": "Asia/Baku",
            "policy": {"allow_unserved": False},
        },
    )
    demand = np.full(48, 10.0)
    demand[17 - 4 : 21 - 4] = 52.0  # 17:00-21:00 Baku time on 1 Jan is 13:00-17:00 UTC
    with pytest.raises(InfeasibleError) as info:
        plan(zone, hand_profiles(zone, 48, demand={"kalbajar": demand}))
    message = str(info.value)
    assert "node kalbajar, 01 Jan 17:00–21:00 local time" in message
    assert "by 32 MW" in message
    assert "links[0] (lachin-kalbajar).max_mw" in message
    assert "policy.allow_unserved" in message


def test_renewable_share_beyond_potentials(tmp_path):
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 87600},
                    "technologies": {"solar_fixed": {"max_mw": 30}, "gas_turbine": {}},
                }
            ],
            "policy": {"renewable_share_min": 1.0, "allow_unserved": False},
        },
    )
    sun = np.tile(np.r_[np.zeros(6), np.ones(12), np.zeros(6)], 2)
    with pytest.raises(
        InfeasibleError, match=r"renewable_share_min 1 cannot be met: the potentials reach at most 0\.50"
    ):
        plan(zone, hand_profiles(zone, 48, cf={("a", "solar_fixed"): sun}, demand={"a": 10.0}))


def test_land_too_small_for_existing_plants(tmp_path):
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "usable_land_km2": {2020: 10, 2027: 2},
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {"existing_mw": 340}, "gas_turbine": {}},
                }
            ],
        },
    )
    with pytest.raises(InfeasibleError) as info:
        plan(zone, hand_profiles(zone, 24, demand={"a": 1.0}))
    assert "nodes[0].usable_land_km2: node a has 2 km^2 usable in 2027" in str(info.value)
    assert "7.79 km^2" in str(info.value)


def test_minimum_release_the_river_cannot_give(tmp_path):
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {
                        "gas_turbine": {},
                        "hydro_reservoir": {
                            "existing_mw": 10,
                            "river": "tartar",
                            "head_m": 100,
                            "design_flow_m3s": 12,
                            "efficiency": 0.9,
                            "storage_mwh": 10,
                            "min_release_m3s": [5] * 12,
                        },
                    },
                }
            ],
        },
    )
    with pytest.raises(InfeasibleError) as info:
        plan(
            zone,
            hand_profiles(
                zone,
                48,
                demand={"a": 1.0},
                inflow={("a", "hydro_reservoir"): 0.8829},
                min_release={("a", "hydro_reservoir"): 4.4145},
            ),
        )
    message = str(info.value)
    assert "nodes[0].technologies.hydro_reservoir.min_release_m3s" in message
    assert "tartar cannot give the minimum release in Jan" in message


def test_time_limit_raises_solver_error_not_a_plan(tmp_path):
    zone, _ = two_node_zone(tmp_path)
    with pytest.raises(SolverError, match="time limit"):
        plan(zone, _mixed_profiles(zone, hours=240), time_limit=1e-6)


def test_extra_constraints_hook(tmp_path):
    """A user's own constraint through the hook: at least 100 MW of wind at b."""
    zone, _ = two_node_zone(tmp_path)

    def at_least_100_mw_wind(model):
        capacity = model.lp.variable_block("capacity")
        g = model.data.gen_labels.index("b/wind_onshore")
        model.lp.add_constraints(
            "min_wind", coords={}, terms=[(1.0, capacity.index[g])], sense=">=", rhs=100.0
        )

    result = plan(zone, _mixed_profiles(zone), extra_constraints=at_least_100_mw_wind)
    assert float(result["capacity"].sel(node="b", technology="wind_onshore")) >= 100 - 1e-6


def test_numerics_check_names_the_family_out_of_range(tmp_path, caplog):
    """A value of lost load of 1e9 USD/MWh puts unserved-load costs far above 1e6: the check names the block."""
    zone, _ = two_node_zone(tmp_path, value_of_lost_load_usd_per_mwh=1e9)
    with caplog.at_level("WARNING", logger="greenzone.planning.year"):
        result = plan(zone, _mixed_profiles(zone, hours=48))
    assert "unserved" in caplog.text
    assert "unserved" in result.attrs["numerics_warnings"]
    clean_zone, _ = two_node_zone(tmp_path)
    assert plan(clean_zone, _mixed_profiles(clean_zone, hours=48)).attrs["numerics_warnings"] == ""


def test_kpi_definitions_documented():
    """docs/kpis.md carries the KPI definitions of greenzone/kpi.py word for word."""
    from pathlib import Path

    import greenzone.kpi

    doc = (Path(__file__).resolve().parents[1] / "docs" / "kpis.md").read_text()
    assert greenzone.kpi.__doc__.strip() in doc
