"""Why the plan is what it is (greenzone.explain) on a small zone whose prices are known by hand, and the
report's first screen that says it."""

from __future__ import annotations

import pytest

from greenzone.explain import explain
from greenzone.planning.year import plan
from greenzone.report.why import why_section
from plan_helpers import geothermal_tech, hand_profiles, write_small_zone


def test_break_even_and_the_value_of_one_more_mw_by_hand(tmp_path):
    """20 MW of geothermal in service (5 USD/MWh) serve 10 MW of demand and export 3 MW, the export limit, at
    30 USD/MWh: the price at the node is geothermal's 5 USD/MWh, so one more MW of export earns 25 USD/MWh all
    year, and new solar (cf 0.25, 850 USD/kW over 25 years, 15 USD/kW/yr, 0% discount) earns 5 USD/MWh
    against its levelised cost of 49,000 / 2,190 USD/MWh: the plan builds nothing."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 87600},
                    "technologies": {
                        "geothermal": {"existing_mw": 20, "max_mw": 20},
                        "solar_fixed": {"max_mw": 100},
                    },
                }
            ],
            "technologies": {"geothermal": geothermal_tech(variable_om_usd_per_mwh=5)},
            "grid": {
                "node": "a",
                "import_max_mw": 0,
                "export_max_mw": 3,
                "import_price_usd_per_mwh": 100,
                "export_price_usd_per_mwh": 30,
            },
            "policy": {"allow_unserved": False},
        },
    )
    profiles = hand_profiles(zone, 48, demand={"a": 10.0}, cf={("a", "solar_fixed"): 0.25})
    result = plan(zone, profiles)
    why = explain(result, profiles, zone)
    assert why["builds_nothing"]
    solar = next(c for c in why["candidates"] if c["technology"] == "solar_fixed")
    cost, energy = 850_000 / 25 + 15_000, 0.25 * 8760
    assert solar["earned_usd_per_mwh"] == pytest.approx(5.0, rel=1e-9)
    assert solar["lcoe_usd_per_mwh"] == pytest.approx(cost / energy, rel=1e-9)
    assert solar["value_usd_per_mw_year"] == pytest.approx(5.0 * energy - cost, rel=1e-9)
    assert (
        solar["break_even_capex_usd_per_kw"] == 0.0
    )  # even free modules would not pay their O&M at 5 USD/MWh
    export = next(x for x in why["limits"] if x["limit"] == "export limit")
    assert export["binds"] and export["share_of_hours_at_limit"] == pytest.approx(1.0)
    assert export["value_usd_per_mw_year"] == pytest.approx(25.0 * 8760, rel=1e-9)
    assert why["summary"].startswith("The least-cost plan for 2027 builds nothing new")
    assert "solar fixed at a" in why["summary"]
    section = why_section(why)
    assert section["summary"] == why["summary"]
    assert ("export limit (one more MW)", "+219,000") == section["rows"][1][:2]


def test_greenzone_run_prints_and_records_why(monkeypatch, capsys, tmp_path):
    import json

    from cli_helpers import cli_main

    out = tmp_path / "run"
    code, stdout, stderr = cli_main(monkeypatch, capsys, "run", "--hours", "48", "--out", str(out))
    assert code == 0, stderr
    why = json.loads((out / "kpis.json").read_text())["why"]
    assert why["summary"].startswith("The least-cost plan for 2027 builds")
    assert why["summary"][:40] in " ".join(stdout.split())


def test_land_binds_and_its_value_by_hand(tmp_path):
    """Solar (cf 0.25, 49,000 USD/MW/yr) replaces imports at 100 USD/MWh, 219,000 USD/MW/yr, until the node's
    0.5 km^2 of usable land is full (0.0229 km^2/MW): one more km^2 would save (219,000 - 49,000) / 0.0229
    USD a year, the land row's dual."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "usable_land_km2": 0.5,
                    "demand": {"annual_mwh": 87600},
                    "technologies": {"solar_fixed": {}},
                }
            ],
            "grid": {"node": "a", "import_max_mw": 20, "import_price_usd_per_mwh": 100},
            "policy": {"allow_unserved": False},
        },
    )
    profiles = hand_profiles(zone, 48, demand={"a": 10.0}, cf={("a", "solar_fixed"): 0.25})
    result = plan(zone, profiles)
    use = zone.technologies["solar_fixed"].land_use_km2_per_mw
    assert float(result["capacity"].sel(node="a", technology="solar_fixed")) == pytest.approx(
        0.5 / use, rel=1e-6
    )
    land = next(x for x in explain(result, profiles, zone)["limits"] if x["limit"] == "land")
    assert land["binds"] and land["nodes"] == ["a"]
    assert land["value_usd_per_km2_year"] == pytest.approx((0.25 * 8760 * 100 - 49_000) / use, rel=1e-6)
