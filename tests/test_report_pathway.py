"""The pathway's report (greenzone.report.pathway): each figure from a Pathway dataset, the sentence of what to
build when, the binding limits, a self-contained page, and ``greenzone report`` on a pathway folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from greenzone.planning.pathway import pathway
from greenzone.planning.pathway_output import pathway_kpis
from greenzone.report import pathway as page
from greenzone.report.html import plotly_js
from plan_helpers import hand_profiles, write_small_zone
from test_report import _outside_references

HOURS = 24


@pytest.fixture(scope="module")
def path_and_zone(tmp_path_factory):
    """Two nodes, three periods: land at node a opens in 2035 (solar built then, not before), a gas plant
    retires in 2035, the link is reinforced by a dated circuit in 2040."""
    tmp = tmp_path_factory.mktemp("pathway-report")
    body = {
        "year": 2030,
        "nodes": [
            {
                "id": "a",
                "name": "Alpha",
                "lat": 40.0,
                "lon": 47.0,
                "usable_land_km2": {2030: 0, 2035: 1.0},
                "technologies": {"solar_fixed": {}, "gas_turbine": {"existing_mw": 100, "max_mw": 100}},
            },
            {"id": "b", "lat": 39.5, "lon": 46.5, "technologies": {"gas_turbine": {}}},
        ],
        "links": [{"from": "a", "to": "b", "length_km": 40, "existing_mw": 20, "max_mw": 20}],
        "grid": {"node": "b", "import_max_mw": 10, "export_max_mw": 10, "import_price_usd_per_mwh": 90},
        "policy": {"allow_unserved": False},
        "technologies": {"gas_turbine": {"fuel_price_usd_per_mwh_th": 36.0}},
        "pathway": {
            "periods": [2030, 2035, 2040],
            "grid": {"export_max_mw": {2030: 10, 2040: 30}},
            "assets": [
                {
                    "node": "b",
                    "technology": "gas_turbine",
                    "mw": 30,
                    "commissioned": 2000,
                    "lifetime_years": 33,
                }
            ],
            "links": [{"link": "a-b", "mw": 15, "commissioned": 2040}],
        },
    }
    zone = write_small_zone(tmp, body)[0]
    prof = hand_profiles(zone, HOURS, cf={("a", "solar_fixed"): 0.5}, demand={"a": 40.0, "b": 10.0})
    return pathway(zone, prof), zone


def test_capacity_figure_stacks_what_stands_and_labels_what_is_new(path_and_zone):
    ds, zone = path_and_zone
    fig = page.capacity_figure(ds, zone)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert len(bars) == 2  # solar and gas; nothing else stands
    total = sum(np.asarray(t.y) for t in bars.values())
    np.testing.assert_allclose(total, ds["capacity"].sum(["node", "technology"]).values)
    labels = list(next(t for t in fig.data if t.type == "scatter" and t.mode == "text").text)
    new = ds["new_capacity"].sum(["node", "technology"]).values
    expected = [f"+{mw:,.0f} MW new" if mw > page.BUILT_MW else "nothing new" for mw in new]
    assert labels == expected
    solar = float(ds["new_capacity"].sel(period=2035, node="a", technology="solar_fixed"))
    assert solar > 1 and labels[1].startswith("+")  # the land that opens in 2035


def test_land_figure_shows_used_against_cleared_for_nodes_with_a_limit(path_and_zone):
    ds, zone = path_and_zone
    fig = page.land_figure(ds, zone)
    assert [a.text for a in fig.layout.annotations] == ["Alpha"]  # node b has no limit
    used = next(t for t in fig.data if t.name == "land used")
    cleared = next(t for t in fig.data if t.name == "land cleared, usable")
    np.testing.assert_allclose(cleared.y, [0.0, 1.0, 1.0])
    assert (np.asarray(used.y) <= np.asarray(cleared.y) + 1e-9).all()


def test_cost_figure_and_cost_of_electricity(path_and_zone):
    ds, zone = path_and_zone
    fig = page.cost_figure(ds, zone)
    bars = [t for t in fig.data if t.type == "bar"]
    np.testing.assert_allclose(sum(np.asarray(t.y) for t in bars), ds["cost"].sum("component").values / 1e6)
    coe = page.cost_of_electricity(ds)
    np.testing.assert_allclose(coe, ds["cost"].sum("component").values / ds["demand"].sum("node").values)


def test_the_map_has_one_slider_step_per_period_and_each_shows_its_own_traces(path_and_zone):
    ds, zone = path_and_zone
    fig = page.pathway_map_figure(ds, zone)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["2030", "2035", "2040"]
    shown = [np.flatnonzero(s.args[0]["visible"]) for s in steps]
    assert all(len(v) > 0 for v in shown)
    assert not set(shown[0]) & set(shown[1])  # each step shows its own period's traces only
    grid = [a.text for a in steps[2].args[1]["annotations"] if "national grid" in a.text]
    assert grid and "export up to 30 MW" in grid[0]  # the period's own dated export limit
    data = page.period_map_data(ds, 2040)
    assert float(data["link_capacity"].sel(link="a-b")) == pytest.approx(35.0)
    assert float(data["link_capacity_existing"].sel(link="a-b")) == pytest.approx(20.0)  # 2035's


def test_limits_by_period_name_land_where_it_binds(path_and_zone):
    ds, zone = path_and_zone
    rows = page.limit_rows(ds, zone)
    assert [r["period"] for r in rows] == ["2030", "2035", "2040"]
    assert "Alpha" in rows[1]["land"]  # the 1 km^2 cleared by 2035 is all used
    assert all("not assessed" in r["reliability"] for r in rows)


def test_the_first_sentence_says_what_to_build_when(path_and_zone):
    ds, zone = path_and_zone
    lines = page.what_to_build_when(ds, zone)
    solar = float(ds["new_capacity"].sel(period=2035).sum())
    assert lines[0].startswith("Build ") and f"in 2035, {solar:,.0f} MW" in lines[0]
    assert "in 2030" not in lines[0]


def test_pathway_page_is_self_contained_and_written_by_greenzone_report(
    path_and_zone, tmp_path, monkeypatch, capsys
):
    from cli_helpers import cli_main
    from greenzone.output import staged_directory, write_netcdf, write_text

    ds, zone = path_and_zone
    folder = tmp_path / "pathway"
    with staged_directory(folder, []) as staged:
        write_netcdf(ds, staged / "pathway.nc")
        write_text(json.dumps(pathway_kpis(ds)) + "\n", staged / "kpis.json")
    code, out, err = cli_main(monkeypatch, capsys, "report", str(folder))
    assert code == 0, err
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert _outside_references(text) == []
    assert text.count(plotly_js()[:300]) == 1
    for name in page.ALL_FIGURES:
        assert f'id="fig-pathway-{name}"' in text
    assert 'id="what-to-build-when"' in text and 'id="limits-table"' in text
    assert "in 2035" in text


def test_cli_pathway_writes_its_report(tmp_path, monkeypatch, capsys):
    from cli_helpers import cli_main
    from test_pathway import CLI_ZONE

    zone_file = tmp_path / "zone.yaml"
    zone_file.write_text(CLI_ZONE)
    out = tmp_path / "out"
    code, stdout, stderr = cli_main(
        monkeypatch, capsys, "pathway", str(zone_file), "--out", str(out), "--hours", "48"
    )
    assert code == 0, stderr
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "what to build when" in text and (out / "zone.yaml").is_file()
