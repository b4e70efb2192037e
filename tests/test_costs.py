"""The two costs of electricity on a small zone, by hand: the levelised cost of the zone's own supply and the
net cost per MWh of local demand that counts trade (the figure reported as LCOE before)."""

from __future__ import annotations

import pytest

from greenzone.kpi import kpis
from greenzone.planning.year import plan
from plan_helpers import geothermal_tech, hand_profiles, write_small_zone


def test_lcoe_of_own_supply_and_net_cost_with_trade_by_hand(tmp_path):
    """10 MW flat demand; 4 MW of geothermal in service (1,000 USD/kW over 20 years, 20 USD/kW/yr fixed and
    5 USD/MWh variable O&M, 0% discount), more may be built; the grid sells at 120 and buys at 30 USD/MWh up
    to 3 MW. Geothermal at 50 + 20 USD/kW/yr and 5 USD/MWh beats imports, so the plan builds 13 MW, runs them
    flat out and exports 3 MW."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 87600},
                    "technologies": {"geothermal": {"existing_mw": 4}},
                }
            ],
            "technologies": {
                "geothermal": geothermal_tech(fixed_om_usd_per_kw_year=20, variable_om_usd_per_mwh=5)
            },
            "grid": {
                "node": "a",
                "import_max_mw": 3,
                "export_max_mw": 3,
                "import_price_usd_per_mwh": 120,
                "export_price_usd_per_mwh": 30,
            },
            "policy": {"allow_unserved": False},
        },
    )
    result = plan(zone, hand_profiles(zone, 48, demand={"a": 10.0}))
    capacity = float(result["capacity"].sel(node="a", technology="geothermal"))
    assert capacity == pytest.approx(13.0, rel=1e-9)
    figures = kpis(result, zone)
    generation = 13.0 * 8760  # [MWh/yr]
    exports = 3.0 * 8760
    # all 13 MW at the annuity 1,000,000 / 20 USD/MW/yr (the 4 MW in service at their replacement cost),
    # fixed O&M 20,000 USD/MW/yr, variable O&M 5 USD/MWh
    supply = 13.0 * (50_000 + 20_000) + 5.0 * generation
    assert figures["lcoe_usd_per_mwh"] > 0
    assert figures["lcoe_usd_per_mwh"] == pytest.approx(supply / generation, rel=1e-9)
    assert figures["lcoe_by_technology_usd_per_mwh"]["geothermal"] == pytest.approx(
        supply / generation, rel=1e-9
    )
    assert figures["generation_mwh"] == pytest.approx(generation, rel=1e-9)
    assert figures["export_revenue_usd_per_year"] == pytest.approx(30.0 * exports, rel=1e-9)
    assert figures["import_cost_usd_per_year"] == pytest.approx(0.0, abs=1e-6)
    # the net figure is the old definition: (objective - lost-load penalty) / demand served, here the plan's
    # costs (new capacity only, as the objective has them) less export revenue, per MWh of demand
    objective = 9.0 * 50_000 + 13.0 * 20_000 + 5.0 * generation - 30.0 * exports
    assert result.attrs["objective_usd_per_year"] == pytest.approx(objective, rel=1e-9)
    assert figures["net_cost_usd_per_mwh"] == pytest.approx(objective / 87_600, rel=1e-9)
    assert figures["trade_net_usd_per_year"] == pytest.approx(-30.0 * exports, rel=1e-9)
