"""Scenario sweeps: the sweep file expanded into cases, cases run on a real Dask cluster on loopback (a
`dask scheduler` and two `dask worker` processes started here as programs of their own), results cached by content, the Parquet catalog, faults
(an infeasible case, a task that raises, a worker killed mid-case: slow).

Every case is the two-node test zone planned on its first 48 hours, so a case takes about a second or two.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from cli_helpers import cli_main
from greenzone.kpi import kpis
from greenzone.optimize.solve import SolverOptions
from greenzone.planning.year import plan
from greenzone.resources import profiles
from greenzone.sweep import SweepError, read_sweep
from greenzone.sweep.catalog import CATALOG
from greenzone.sweep.run import run_sweep
from greenzone.weather import load_weather
from greenzone.zone import load_zone
from test_report import write_two_node_zone

TIMING = {"solver_time_s"}
"""Key figures that are wall-clock times, equal in no two runs."""


def write_sweep(folder: Path, parameters: dict, run: dict | None = None, **extra) -> Path:
    """A sweep file over the two-node zone (written beside it) in ``folder``."""
    write_two_node_zone(folder)
    path = folder / "sweep.yaml"
    spec = {
        "zone": "zone.yaml",
        "run": run or {"hours": 48, "method": "dual_simplex"},
        "parameters": parameters,
    }
    path.write_text(yaml.safe_dump({**spec, **extra}, sort_keys=False))
    return path


BASE = {
    "grid": {"grid.export_price_usd_per_mwh": [20, 60], "nodes[jabrayil].usable_land_km2": [40, 0]},
}
"""Four cases, two of them infeasible: no land at jabrayil for the 10 MW of solar already there."""


@pytest.fixture(scope="module")
def client(_dask_cluster_address):
    """A client of the session's real cluster (conftest: a `dask scheduler` and two `dask worker` processes
    started on loopback)."""
    import distributed

    with distributed.Client(_dask_cluster_address) as c:
        c.wait_for_workers(2, timeout=120)
        yield c


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, client):
    """The four cases of BASE run once into a sweep folder: (sweep, outcome, folder)."""
    folder = tmp_path_factory.mktemp("sweep")
    sweep = read_sweep(write_sweep(folder, BASE))
    outcome = run_sweep(sweep, folder / "out", client=client)
    return sweep, outcome, folder / "out"


def _direct(folder: Path, export_price: float):
    """The monolithic call: plan() of the same modified zone with the same options; (plan, key figures)."""
    zone_path = write_two_node_zone(folder, lambda d: d["grid"].update(export_price_usd_per_mwh=export_price))
    zone = load_zone(zone_path)
    prof = profiles(zone, load_weather(zone)).isel(time=slice(0, 48))
    result = plan(zone, prof, typical_days=None, options=SolverOptions(method="dual_simplex", threads=1))
    return result, json.loads(json.dumps(kpis(result, zone)))


# ---------------------------------------------------------------------------------------------- the file


def test_grid_paired_and_sample_expand_to_their_product(tmp_path):
    path = write_sweep(
        tmp_path,
        {
            "grid": {
                "grid.export_price_usd_per_mwh": [30, 50],
                "nodes[*].demand.annual_mwh": {"scale": [0.5, 2]},
            },
            "paired": {
                "technologies.solar_fixed.capex_usd_per_kw": [600, 400],
                "technologies.battery.capex_usd_per_kw": [300, 200],
            },
            "sample": {
                "n": 5,
                "seed": 3,
                "ranges": {
                    "weather.seed": [0, 1000],
                    "technologies.wind_onshore.capex_usd_per_kw": {
                        "range": [900, 1500],
                        "distribution": "loguniform",
                    },
                },
            },
        },
    )
    sweep = read_sweep(path)
    assert len(sweep.cases) == 2 * 2 * 2 * 5
    base = load_zone(tmp_path / "zone.yaml")
    rows = [c.params for c in sweep.cases]
    assert {(r["grid.export_price_usd_per_mwh"], r["nodes[*].demand.annual_mwh (scale)"]) for r in rows} == {
        (30, 0.5),
        (30, 2),
        (50, 0.5),
        (50, 2),
    }
    assert {
        (r["technologies.solar_fixed.capex_usd_per_kw"], r["technologies.battery.capex_usd_per_kw"])
        for r in rows
    } == {
        (600, 300),
        (400, 200),
    }
    for case in sweep.cases:
        factor = case.params["nodes[*].demand.annual_mwh (scale)"]
        for node, base_node in zip(case.zone.nodes, base.nodes, strict=True):
            assert node.demand.annual_mwh.at(2027) == base_node.demand.annual_mwh.at(2027) * factor
        assert case.zone.grid.export_price_usd_per_mwh == case.params["grid.export_price_usd_per_mwh"]
        assert case.zone.weather.seed == case.params["weather.seed"]
        assert (
            case.zone.technologies["wind_onshore"].capex_usd_per_kw
            == case.params["technologies.wind_onshore.capex_usd_per_kw"]
        )
    # Latin hypercube: each of the 5 equal strata of each range holds exactly one sample
    samples = sweep.cases[:5]
    seeds = [c.params["weather.seed"] for c in samples]
    assert all(isinstance(s, int) and 0 <= s <= 1000 for s in seeds)  # an integer field: rounded
    capex = np.log([c.params["technologies.wind_onshore.capex_usd_per_kw"] for c in samples])
    strata = (capex - np.log(900)) / (np.log(1500) - np.log(900)) * 5
    assert sorted(strata.astype(int)) == [0, 1, 2, 3, 4]
    # seeded: the same file gives the same cases and hashes; cases that differ have different hashes
    again = read_sweep(path)
    assert [c.hash for c in again.cases] == [c.hash for c in sweep.cases]
    assert len({c.hash for c in sweep.cases}) == len(sweep.cases)


def test_sampled_distributions_follow_their_laws(tmp_path):
    """Latin hypercube through each distribution's inverse: every one of the n equal-probability strata of
    each law holds exactly one sample (an exact test of the law, not a statistical one)."""
    from scipy import stats

    n = 120
    ranges = {
        "technologies.solar_fixed.capex_usd_per_kw": {
            "range": [400, 1000],
            "distribution": "triangular",
            "mode": 500,
        },
        "grid.import_price_usd_per_mwh": {"range": [40, 120], "distribution": "normal", "mean": 70, "sd": 15},
        "grid.export_price_usd_per_mwh": {"choice": [30, 40, 55], "weights": [1, 2, 1]},
    }
    sweep = read_sweep(write_sweep(tmp_path, {"sample": {"n": n, "seed": 2, "ranges": ranges}}))
    rows = [c.params for c in sweep.cases]
    laws = {
        "technologies.solar_fixed.capex_usd_per_kw": stats.triang(c=100 / 600, loc=400, scale=600),
        "grid.import_price_usd_per_mwh": stats.truncnorm((40 - 70) / 15, (120 - 70) / 15, loc=70, scale=15),
    }
    for name, law in laws.items():
        values = np.array([r[name] for r in rows])
        strata = np.floor(law.cdf(values) * n + 1e-9).astype(int)
        assert sorted(strata) == list(range(n)), name
    capex = np.array([r["technologies.solar_fixed.capex_usd_per_kw"] for r in rows])
    assert capex.mean() == pytest.approx((400 + 500 + 1000) / 3, rel=0.01)
    counts = pd.Series([r["grid.export_price_usd_per_mwh"] for r in rows]).value_counts().to_dict()
    assert counts == {40: 60, 30: 30, 55: 30}
    assert all(
        c.zone.grid.export_price_usd_per_mwh == c.params["grid.export_price_usd_per_mwh"] for c in sweep.cases
    )


def test_max_cases_takes_a_seeded_subset_that_grows_by_adding(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": list(range(20))}}))
    three, five = sweep.subset(3), sweep.subset(5)
    assert len(three) == 3 and len(five) == 5
    assert {c.index for c in three} <= {c.index for c in five}
    assert [c.index for c in read_sweep(sweep.path).subset(3)] == [c.index for c in three]
    assert len(sweep.subset(100)) == 20


@pytest.mark.parametrize(
    ("path", "closest"),
    [
        ("technologies.solar_fixd.capex_usd_per_kw", "technologies.solar_fixed.capex_usd_per_kw"),
        ("grid.export_price", "grid.export_price_usd_per_mwh"),
        ("nodes[jabrail].demand.annual_mwh", "nodes[jabrayil].demand.annual_mwh"),
        ("weather.sed", "weather.seed"),
    ],
)
def test_a_path_that_does_not_exist_is_named_with_the_closest(tmp_path, path, closest):
    sweep_file = write_sweep(tmp_path, {"grid": {path: [1, 2]}})
    with pytest.raises(SweepError) as error:
        read_sweep(sweep_file)
    message = str(error.value)
    assert message.startswith(f"{sweep_file}: parameters.grid: '{path}'")
    assert f"closest field: '{closest}'" in message
    assert error.value.exit_code == 2


def test_bad_sweep_files_are_one_message_with_exit_2(tmp_path, monkeypatch, capsys):
    cases = {
        "unknown key": ({"grid": {"weather.seed": [1]}}, {"hours": 48, "typicl_days": 4}, "run.typicl_days"),
        "paired lengths": (
            {"paired": {"weather.seed": [1, 2], "grid.export_max_mw": [1]}},
            None,
            "equal length",
        ),
        "invalid zone": ({"grid": {"grid.export_max_mw": [10, -5]}}, None, "case 1"),
        "range": ({"sample": {"n": 2, "ranges": {"weather.seed": [5, 1]}}}, None, "low < high"),
        "scale of a name": ({"grid": {"grid.node": {"scale": [1, 2]}}}, None, "scale multiplies a number"),
        "nothing varied": ({}, None, "nothing is varied"),
        "unknown distribution": (
            {"sample": {"n": 2, "ranges": {"weather.seed": {"range": [1, 5], "distribution": "gamma"}}}},
            None,
            "distribution must be one of uniform, loguniform, triangular, normal",
        ),
        "mode outside": (
            {
                "sample": {
                    "n": 2,
                    "ranges": {"weather.seed": {"range": [1, 5], "distribution": "triangular", "mode": 9}},
                }
            },
            None,
            "mode 9.0 lies outside the range",
        ),
        "option of another law": (
            {"sample": {"n": 2, "ranges": {"weather.seed": {"range": [1, 5], "sd": 2}}}},
            None,
            "sd does not apply to a uniform range",
        ),
        "weights": (
            {"sample": {"n": 2, "ranges": {"weather.seed": {"choice": [1, 2], "weights": [1]}}}},
            None,
            "weights must be 2 numbers",
        ),
        "adequacy of a pathway": (
            {"grid": {"weather.seed": [1]}},
            {"kind": "pathway", "adequacy": {"weather_years": 2}},
            "run.adequacy: an adequacy study dispatches a plan's fleet",
        ),
    }
    for name, (parameters, run, expected) in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        sweep_file = write_sweep(folder, parameters, run)
        code, out, err = cli_main(monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(folder / "out"))
        assert code == 2, (name, out, err)
        assert "Traceback" not in err and str(sweep_file) in err and expected in err, (name, err)
        assert not (folder / "out").exists()


# ---------------------------------------------------------------------------------------------- on Dask


def test_a_sweep_case_equals_the_monolithic_plan(first_run, tmp_path):
    sweep, outcome, out = first_run
    catalog = pd.read_parquet(out / CATALOG)
    assert len(catalog) == 4 and set(catalog["case"]) == {0, 1, 2, 3}
    for price in (20, 60):
        row = catalog[
            (catalog["grid.export_price_usd_per_mwh"] == price)
            & (catalog["nodes[jabrayil].usable_land_km2"] == 40)
        ]
        assert len(row) == 1 and row["status"].item() == "done"
        stored = json.loads((out / row["result"].item() / "kpis.json").read_text())
        result, direct = _direct(tmp_path / str(price), price)
        with xr.open_dataset(out / row["result"].item() / "plan.nc") as stored_plan:
            assert stored_plan.load().equals(result)  # every variable and coordinate, bit for bit
        assert {k: v for k, v in stored.items() if k not in TIMING} == {
            k: v for k, v in direct.items() if k not in TIMING
        }
        for name in (
            "total_cost_usd_per_year",
            "renewable_share",
            "grid_export_mwh",
            "capacity_mw.solar_fixed",
        ):
            keys = name.split(".")
            expected = direct[keys[0]] if len(keys) == 1 else direct[keys[0]][keys[1]]
            assert row[name].item() == expected
        assert (out / row["result"].item() / "plan.nc").is_file()
        assert row["time_s"].item() > 0 and not row["cached"].item()
    assert outcome.progress.computed == 4 and outcome.progress.cached == 0


def test_an_adequacy_case_equals_assess_of_its_plan_and_has_its_own_report(
    client, tmp_path, monkeypatch, capsys
):
    """run.adequacy: each case's plan dispatched over its weather years in the case's task, with the figures
    of assess() on the same plan; the case folder holds adequacy.json/.nc and its own report.html (loading the
    sweep folder's one plotly.js), linked from the sweep's page."""
    from greenzone.adequacy import assess, synthetic_years

    run = {
        "hours": 48,
        "method": "dual_simplex",
        "adequacy": {"weather_years": 1, "outages": True, "outage_seed": 3},
    }
    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": [20]}}, run))
    out = tmp_path / "out"
    outcome = run_sweep(sweep, out, client=client)
    assert outcome.progress.done == 1
    catalog = pd.read_parquet(out / CATALOG)
    for price in (20,):
        row = catalog[catalog["grid.export_price_usd_per_mwh"] == price].iloc[0]
        folder = out / row["result"]
        result, _ = _direct(tmp_path / str(price), price)
        zone = load_zone(tmp_path / str(price) / "zone.yaml")
        direct = assess(zone, result, synthetic_years(zone, 1), outages=True, seed=3, workers=1)
        stored = json.loads((folder / "adequacy.json").read_text())
        assert [{k: v for k, v in y.items() if k != "run_time_s"} for y in stored["per_year"]] == [
            {k: v for k, v in y.items() if k != "run_time_s"}
            for y in json.loads(json.dumps(direct.to_json()["per_year"]))
        ]
        for name in ("lole_h_per_year", "eue_mwh_per_year", "lolp", "operating_cost_usd_per_year"):
            assert row[f"adequacy.{name}"] == direct.summary[name]
        assert row["adequacy.weather_years"] == 1
        page = (folder / "report.html").read_text()
        assert '<script src="../../plotly.min.js"></script>' in page and 'id="adequacy"' in page
        assert (folder / "adequacy.nc").is_file()
    assert (out / "plotly.min.js").read_text().startswith("/**")
    code, _, err = cli_main(monkeypatch, capsys, "sweep-report", str(out))
    assert code == 0, err
    sweep_page = (out / "report.html").read_text()
    assert sweep_page.count('/report.html">report</a>') == 1


def test_an_infeasible_case_is_reported_failed_while_the_others_complete(first_run):
    _, outcome, out = first_run
    catalog = pd.read_parquet(out / CATALOG)
    failed = catalog[catalog["nodes[jabrayil].usable_land_km2"] == 0]
    assert list(failed["status"]) == ["failed", "failed"]
    for message in failed["error"]:
        assert "no feasible plan" in message and "usable_land_km2" in message
    assert failed["total_cost_usd_per_year"].isna().all()
    assert outcome.progress.done == 2 and outcome.progress.failed == 2
    record = json.loads((out / failed["result"].iloc[0] / "case.json").read_text())
    assert record["status"] == "failed" and record["error_type"] == "InfeasibleError"


def test_a_rerun_computes_nothing(first_run, client, tmp_path):
    sweep, _, out = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    again = run_sweep(sweep, copy, client=client)
    assert again.progress.computed == 0 and again.progress.cached == 4
    assert again.progress.done == 2 and again.progress.failed == 2
    catalog = pd.read_parquet(copy / CATALOG)
    assert catalog["cached"].all()
    before = pd.read_parquet(out / CATALOG)
    assert catalog["total_cost_usd_per_year"].equals(before["total_cost_usd_per_year"])


def test_an_extended_sweep_computes_only_the_new_cases(first_run, client, tmp_path):
    sweep, _, out = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    grid = {"grid.export_price_usd_per_mwh": [20, 40, 60], "nodes[jabrayil].usable_land_km2": [40]}
    extended = read_sweep(write_sweep(tmp_path, {"grid": grid}))
    outcome = run_sweep(extended, copy, client=client)
    assert outcome.progress.total == 3 and outcome.progress.cached == 2 and outcome.progress.computed == 1
    catalog = pd.read_parquet(copy / CATALOG)
    assert list(catalog["cached"]) == [True, False, True]
    assert (catalog["status"] == "done").all()
    assert len(list((copy / "cases").iterdir())) == 5  # the four of the first run and the new one


def test_the_cli_runs_on_a_scheduler_and_dry_run_uses_the_measured_time(
    first_run, client, tmp_path, monkeypatch, capsys
):
    sweep, _, out = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    grid = {"grid.export_price_usd_per_mwh": [20, 30, 60], "nodes[jabrayil].usable_land_km2": [40]}
    sweep_file = write_sweep(tmp_path, {"grid": grid})
    code, text, err = cli_main(monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(copy), "--dry-run")
    assert code == 0, err
    assert (
        "3 cases" in text
        and "2 in the cache, 1 to compute" in text
        and "per case (measured over 4 cases)" in text
    )
    address = client.scheduler.address
    code, text, err = cli_main(
        monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(copy), "--scheduler", address
    )
    assert code == 0, err
    assert "3 cases: 3 done (1 computed, 2 cached), 0 failed" in text
    code, text, err = cli_main(monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(copy), "--dry-run")
    assert "nothing to compute" in text


def test_a_pathway_sweep_case_equals_the_monolithic_pathway(client, tmp_path):
    from greenzone import pathway, pathway_profiles
    from greenzone.planning.pathway_output import pathway_kpis
    from greenzone.sweep.catalog import flatten

    sweep_file = write_sweep(
        tmp_path,
        {"grid": {"grid.export_price_usd_per_mwh": [20]}},
        {"kind": "pathway", "hours": 48, "method": "dual_simplex"},
    )
    outcome = run_sweep(read_sweep(sweep_file), tmp_path / "out", client=client)
    catalog = pd.read_parquet(tmp_path / "out" / CATALOG)
    assert outcome.progress.done == 1, catalog["error"].tolist()
    folder = tmp_path / "out" / catalog["result"].item()
    assert (folder / "pathway.nc").is_file()
    zone = load_zone(
        write_two_node_zone(tmp_path / "direct", lambda d: d["grid"].update(export_price_usd_per_mwh=20))
    )
    weather = load_weather(zone).isel(time=slice(0, 48))
    direct = pathway(
        zone, pathway_profiles(zone, weather), options=SolverOptions(method="dual_simplex", threads=1)
    )
    expected = flatten(json.loads(json.dumps(pathway_kpis(direct))))
    stored = flatten(json.loads((folder / "kpis.json").read_text()))
    untimed = lambda figures: {k: v for k, v in figures.items() if not k.endswith("time_s")}  # noqa: E731
    assert untimed(stored) == untimed(expected)
    assert catalog["path.total_cost_discounted_usd"].item() == expected["path.total_cost_discounted_usd"] > 0
    page = (folder / "report.html").read_text()  # the pathway's own page, plotly.js from the sweep folder
    assert 'id="what-to-build-when"' in page and '<script src="../../plotly.min.js"></script>' in page


def test_the_karabakh_example_sweep_expands_to_over_100_cases():
    sweep = read_sweep(Path(__file__).resolve().parents[1] / "examples" / "karabakh-sweep.yaml")
    assert len(sweep.cases) >= 100
    base = load_zone()
    case = next(
        c
        for c in sweep.cases
        if c.params["nodes[*].demand.population (scale)"] == 1.25
        and c.params["nodes[*].usable_land_km2 (scale)"] == 0.5
    )
    for node, before in zip(case.zone.nodes, base.nodes, strict=True):
        assert node.usable_land_km2.at(2031) == before.usable_land_km2.at(2031) * 0.5
        if before.demand is None:  # [*] leaves out the nodes without demand (the hydro plants)
            assert node.demand is None
        else:
            assert node.demand.annual_at(2040) == pytest.approx(before.demand.annual_at(2040) * 1.25)


# ---------------------------------------------------------------------------------------------- outputs


def test_the_output_policy_guards_the_sweep_folder(tmp_path, monkeypatch, capsys):
    sweep_file = write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": [20]}})
    code, _, err = cli_main(monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(tmp_path))
    assert code == 2 and "holds the sweep file" in err and "Traceback" not in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    code, _, err = cli_main(monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(mine), "--dry-run")
    assert code == 2 and "holds files greenzone did not write" in err
    assert (mine / "notes.txt").read_text() == "mine"
    run_folder = tmp_path / "run"
    run_folder.mkdir()
    (run_folder / "manifest.json").write_text(json.dumps({"command": ["greenzone", "run"]}))
    code, _, err = cli_main(
        monkeypatch, capsys, "sweep", str(sweep_file), "--out", str(run_folder), "--dry-run"
    )
    assert code == 2 and "greenzone wrote for 'run'" in err


# ---------------------------------------------------------------------------------------------- faults


@pytest.mark.slow
def test_a_worker_killed_mid_case_loses_nothing(client, tmp_path):
    """SIGKILL the worker running a case: the scheduler gives the case to another worker, every case is done
    and stored once, and no half-written case folder is left."""
    import os
    import signal
    import threading
    import time

    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"weather.seed": [11, 12, 13, 14]}}))
    out = tmp_path / "out"
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(outcome=run_sweep(sweep, out, client=client)))
    worker.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and worker.is_alive() and time.monotonic() < deadline:
        busy = [
            address
            for address, keys in client.processing().items()
            if any("greenzone-case-" in str(k) for k in keys)
        ]
        if busy:
            pids = client.run(os.getpid, workers=busy[:1])
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    worker.join(timeout=300)
    assert killed is not None, "no case was seen running"
    outcome = result["outcome"]
    assert outcome.progress.done == 4 and outcome.progress.failed == 0
    catalog = pd.read_parquet(out / CATALOG)
    assert sorted(catalog["case"]) == [0, 1, 2, 3] and (catalog["status"] == "done").all()
    folders = sorted(p.name for p in (out / "cases").iterdir())
    assert folders == sorted(catalog["hash"]), folders  # each case once, nothing partial beside them
    for folder in folders:
        assert (out / "cases" / folder / "kpis.json").is_file() and (
            out / "cases" / folder / "plan.nc"
        ).is_file()
    client.wait_for_workers(2, timeout=60)


def test_a_case_whose_task_raises_is_retried_then_failed_and_not_stored(client, tmp_path):
    """A task that raises something greenzone did not mean (here SolverOptions refusing a method the sweep file
    could not have named) is retried, then reported failed with its error; it is not stored, so the next run
    tries it again."""
    import dataclasses

    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": [20]}}, retries=1))
    broken = dataclasses.replace(sweep, options=dataclasses.replace(sweep.options, method="no_such_method"))
    outcome = run_sweep(broken, tmp_path / "out", client=client)
    assert outcome.progress.failed == 1 and outcome.progress.done == 0
    row = pd.read_parquet(tmp_path / "out" / CATALOG).iloc[0]
    assert row["status"] == "failed" and row["result"] == ""
    assert (
        "ValueError" in row["error"]
        and "no_such_method" in row["error"]
        and "after 1 retries" in row["error"]
    )
    assert not (tmp_path / "out" / "cases").exists() or not any((tmp_path / "out" / "cases").iterdir())


def test_other_commands_never_replace_a_sweep_folder(first_run, tmp_path, monkeypatch, capsys):
    _, _, out = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    zone = tmp_path / "zone" / "zone.yaml"
    write_two_node_zone(zone.parent)
    code, _, err = cli_main(monkeypatch, capsys, "profiles", str(zone), "--out", str(copy))
    assert code == 2 and "is a sweep folder" in err and "Traceback" not in err
    assert (copy / CATALOG).is_file() and len(list((copy / "cases").iterdir())) == 4


def test_the_sweep_report_ranks_what_moves_the_answer(first_run, monkeypatch, capsys):
    from greenzone.sweep.catalog import read_catalog
    from greenzone.sweep.sensitivity import rank_correlations, tornado

    _, _, out = first_run
    catalog = read_catalog(out)
    assert catalog.attrs["parameters"] == ["grid.export_price_usd_per_mwh", "nodes[jabrayil].usable_land_km2"]
    done = catalog[catalog["status"] == "done"]
    swing = tornado(catalog, "total_cost_usd_per_year")
    # only the export price varies among the done cases (no land: infeasible), so it alone has a swing
    assert list(swing.index) == ["grid.export_price_usd_per_mwh"]
    by_price = done.set_index("grid.export_price_usd_per_mwh")["total_cost_usd_per_year"]
    assert swing.loc["grid.export_price_usd_per_mwh", "swing"] == pytest.approx(
        abs(by_price[60] - by_price[20])
    )
    rho = rank_correlations(catalog).loc["grid.export_price_usd_per_mwh", "grid_export_mwh"]
    low, high = done.sort_values("grid.export_price_usd_per_mwh")["grid_export_mwh"]
    if low == high:
        assert np.isnan(rho)
    else:
        assert rho == pytest.approx(1.0 if high > low else -1.0)
    code, text, err = cli_main(monkeypatch, capsys, "sweep-report", str(out))
    assert code == 0, err
    assert (
        "Tornado: total_cost_usd_per_year" in text and "Rank correlations" in text and "grid.export" in text
    )
    page = (out / "report.html").read_text()
    from greenzone.report.html import plotly_js

    assert page.count(plotly_js()[:300]) == 1  # self-contained: plotly.js inlined once
    assert "Cases by cost, renewable share and land used" in page and "Capacity by case" in page
    for result in done["result"]:
        assert f'href="{result}/kpis.json"' in page and (out / result / "kpis.json").is_file()
    code, _, err = cli_main(monkeypatch, capsys, "sweep-report", str(out), "--kpi", "total_cost")
    assert code == 2 and "did you mean 'total_cost_usd_per_year'" in err


def test_a_sweep_starts_its_own_local_cluster_by_default(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": [25]}}))
    outcome = run_sweep(sweep, tmp_path / "out", workers=1)
    assert outcome.progress.done == 1 and outcome.progress.computed == 1
    assert pd.read_parquet(tmp_path / "out" / CATALOG)["status"].tolist() == ["done"]


def test_a_running_sweep_rewrites_its_catalog_as_cases_arrive(client, tmp_path, monkeypatch):
    from greenzone.sweep import run as sweep_run

    monkeypatch.setattr(sweep_run, "CATALOG_EVERY_S", 0.0)
    sweep = read_sweep(write_sweep(tmp_path, {"grid": {"grid.export_price_usd_per_mwh": [21, 22, 23]}}))
    seen = []

    def look(_progress) -> None:
        if (tmp_path / "out" / CATALOG).is_file():
            seen.append(sorted(pd.read_parquet(tmp_path / "out" / CATALOG)["status"]))

    run_sweep(sweep, tmp_path / "out", client=client, on_progress=look)
    assert ["done", "pending", "pending"] in seen  # written after the first case, before the others
    assert sorted(pd.read_parquet(tmp_path / "out" / CATALOG)["status"]) == ["done"] * 3
