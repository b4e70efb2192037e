"""Zone loading: the embedded zone, catalogue merging, year values, and malformed files each rejected with
the right field named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from greenzone.errors import ZoneError
from greenzone.zone import load_catalogue, load_zone
from greenzone.zone.fingerprint import zone_fingerprint
from greenzone.zone.schema import YearValue


def test_embedded_zone_loads_with_required_sites():
    zone = load_zone()
    for site in (
        "jabrayil",
        "fuzuli",
        "zangilan",
        "lachin",
        "kalbajar",
        "shusha",
        "aghdam",
        "sarsang",
        "khudafarin",
    ):
        assert site in zone.node_ids
    assert zone.timezone == "Asia/Baku"
    # hydro in operation: 38 plants, 307 MW (report.az 2025), allocated over the nodes (est.)
    hydro = sum(
        nt.existing_mw
        for n in zone.nodes
        for t, nt in n.technologies.items()
        if zone.technologies[t].kind in ("hydro_ror", "hydro_reservoir") and n.id != "khudafarin"
    )
    assert hydro == pytest.approx(307.0)
    assert zone.node("sarsang").technologies["hydro_reservoir"].existing_mw == 50


def test_every_embedded_figure_has_source_or_estimate_mark():
    """Each technology of the catalogue names a source or says est."""
    for tech, spec in load_catalogue().items():
        assert spec.get("source"), f"catalogue entry {tech} has no source"


def test_catalogue_defaults_and_override(write_zone):
    path = write_zone(lambda d: d["technologies"].update({"solar_fixed": {"capex_usd_per_kw": 700}}))
    zone = load_zone(path)
    assert zone.technologies["solar_fixed"].capex_usd_per_kw == 700
    # everything else still from the catalogue
    assert zone.technologies["solar_fixed"].land_use_km2_per_mw == pytest.approx(0.0229)
    assert zone.technologies["wind_onshore"].turbine == load_catalogue()["wind_onshore"]["turbine"]


def test_year_values_step_function():
    value = YearValue({2027: 40, 2031: 80})
    assert value.at(2020) == 40
    assert value.at(2027) == 40
    assert value.at(2030) == 40
    assert value.at(2031) == 80
    assert value.at(2050) == 80
    assert YearValue.constant(5).at(1999) == 5


def test_relative_paths_resolve_against_zone_file(write_zone, tmp_path):
    csv = tmp_path / "load.csv"
    csv.write_text("time,value\n2027-01-01 00:00,1\n")

    def mutate(d):
        d["nodes"][0]["demand"] = {"csv": "load.csv"}

    zone = load_zone(write_zone(mutate))
    assert zone.nodes[0].demand.csv == str(csv.resolve())


def test_fingerprint_changes_with_content_not_location(write_zone, tmp_path):
    a = zone_fingerprint(load_zone(write_zone(name="a.yaml")))
    b = zone_fingerprint(load_zone(write_zone(name="b.yaml")))
    assert a == b
    c = zone_fingerprint(load_zone(write_zone(lambda d: d.update(year=2030), name="c.yaml")))
    assert c != a


MALFORMED = [
    # (id, mutation, field the message must name, words it must contain)
    (
        "negative demand",
        lambda d: d["nodes"][3]["demand"].update(annual_mwh=-5),
        "nodes[3].demand.annual_mwh",
        ">= 0",
    ),
    (
        "unknown node key",
        lambda d: d["nodes"][0].update(lattitude=39.4),
        "nodes[0].lattitude",
        "did you mean 'lat'",
    ),
    (
        "unknown technology key",
        lambda d: d["technologies"].update(solar_fixed={"capex_usd_per_k": 3}),
        "technologies.solar_fixed.capex_usd_per_k",
        "did you mean 'capex_usd_per_kw'",
    ),
    (
        "unknown technology at node",
        lambda d: d["nodes"][0]["technologies"].update(solar_fixd={}),
        "nodes[0].technologies.solar_fixd",
        "did you mean 'solar_fixed'",
    ),
    (
        "tilt out of range",
        lambda d: d["technologies"].update(solar_fixed={"tilt_deg": 100}),
        "technologies.solar_fixed.tilt_deg",
        "90",
    ),
    ("unknown time zone", lambda d: d.update(timezone="Asia/Bak"), "timezone", "Asia/Baku"),
    (
        "link to unknown node",
        lambda d: d["links"][0].update(to="fuzul"),
        "links[0].to",
        "did you mean 'fuzuli'",
    ),
    (
        "hydro above rated power",
        lambda d: d["nodes"][2]["technologies"]["hydro_ror"].update(max_mw=500),
        "nodes[2].technologies.hydro_ror.max_mw",
        "design_flow_m3s",
    ),
    (
        "price not a number",
        lambda d: d["grid"].update(import_price_usd_per_mwh="abc"),
        "grid.import_price_usd_per_mwh",
        "USD/MWh",
    ),
    (
        "land year not a year",
        lambda d: d["nodes"][0].update(usable_land_km2={"x": 3}),
        "nodes[0].usable_land_km2",
        "years",
    ),
    (
        "unknown kind",
        lambda d: d["technologies"].update(fusion={"kind": "fusion"}),
        "technologies.fusion",
        "'solar'",
    ),
    (
        "new technology incomplete",
        lambda d: d["technologies"].update(agrivoltaic={"kind": "solar"}),
        "technologies.agrivoltaic.capex_usd_per_kw",
        "missing",
    ),
    ("missing latitude", lambda d: d["nodes"][0].pop("lat"), "nodes[0].lat", "missing"),
    (
        "river on solar",
        lambda d: d["nodes"][0]["technologies"]["solar_fixed"].update(river="araz"),
        "nodes[0].technologies.solar_fixed.river",
        "only hydro",
    ),
    (
        "existing above max",
        lambda d: d["nodes"][0]["technologies"]["solar_fixed"].update(max_mw=10),
        "nodes[0].technologies.solar_fixed.existing_mw",
        "exceeds",
    ),
    (
        "grid at unknown node",
        lambda d: d["grid"].update(node="jabrail"),
        "grid.node",
        "did you mean 'jabrayil'",
    ),
    (
        "demand without size",
        lambda d: d["nodes"][0].update(demand={"profile": "mixed"}),
        "nodes[0].demand",
        "annual_mwh",
    ),
    (
        "reservoir without storage",
        lambda d: d["nodes"][7]["technologies"]["hydro_reservoir"].pop("storage_mwh"),
        "nodes[7].technologies.hydro_reservoir.storage_mwh",
        "needs",
    ),
    (
        "min release wrong length",
        lambda d: d["nodes"][7]["technologies"]["hydro_reservoir"].update(min_release_m3s=[1, 2]),
        "nodes[7].technologies.hydro_reservoir.min_release_m3s",
        "12",
    ),
    ("bad node id", lambda d: d["nodes"][0].update(id="Jabrayil Town"), "nodes[0].id", "pattern"),
    (
        "share above one",
        lambda d: d["policy"].update(renewable_share_min=1.5),
        "policy.renewable_share_min",
        "1",
    ),
    (
        "charge rating on a battery",
        lambda d: d["nodes"][0]["technologies"]["battery"].update(max_charge_mw=5),
        "nodes[0].technologies.battery.max_charge_mw",
        "hydrogen",
    ),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_zone_names_field(write_zone, case):
    _, mutate, field, words = case
    path = write_zone(mutate)
    with pytest.raises(ZoneError) as info:
        load_zone(path)
    message = str(info.value)
    assert str(path) in message
    assert f"{field}:" in message, message
    assert words in message, message


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nnodes: [\n  {id: a\n")
    with pytest.raises(ZoneError, match=r"broken.yaml: line \d+, column \d+: not valid YAML"):
        load_zone(path)


def test_duplicate_key_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\ntimezone: UTC\nname: y\n")
    with pytest.raises(ZoneError, match="duplicate key 'name'"):
        load_zone(path)


def test_missing_file(tmp_path):
    with pytest.raises(ZoneError, match="no such zone file"):
        load_zone(tmp_path / "nope.yaml")


def test_cli_validate_exit_codes(write_zone):
    good = write_zone(name="good.yaml")
    ok = subprocess.run(
        [sys.executable, "-m", "greenzone.cli", "validate", str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    bad = write_zone(lambda d: d["nodes"][3]["demand"].update(annual_mwh=-5), name="bad.yaml")
    res = subprocess.run(
        [sys.executable, "-m", "greenzone.cli", "validate", str(bad)], capture_output=True, text=True
    )
    assert res.returncode == 2
    assert "nodes[3].demand.annual_mwh" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_zone_file_reference_is_up_to_date():
    """docs/zone-file.md is generated from the schema; regenerate with `python -m greenzone.zone.docs`."""
    from pathlib import Path

    from greenzone.zone.docs import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "zone-file.md"
    assert doc.read_text() == render(), "run: .venv/bin/python -m greenzone.zone.docs > docs/zone-file.md"
