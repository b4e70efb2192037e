"""Temporal decomposition (greenzone.optimize.decompose): the decomposed optimum against the monolithic hourly
plan on small zones over one and two weather years and with a seasonal store, the joined dispatch a real one
over every hour at the upper bound's cost, Dask against in-process, and a worker killed mid-run (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from greenzone.optimize.decompose import Decomposition, decompose, layout, start_points, subperiods
from greenzone.optimize.formulation import build_model
from greenzone.optimize.formulation.data import model_data
from greenzone.planning.decomposed import _solution
from greenzone.planning.year import plan
from plan_helpers import hand_profiles, seasonal_hydrogen_zone, two_node_zone

GAP = 1e-3
FEASIBLE = 1e-5
"""Row and bound violation allowed in the joined dispatch, relative to the row's size [-]."""


def _mixed_zone(tmp_path):
    """Every family of the two-node zone (battery, reservoir, link, grid), a reserve and a renewable share."""
    zone, _ = two_node_zone(
        tmp_path,
        technologies={"battery": {"standing_loss_per_h": 0, "capex_usd_per_kwh": 40}},
        reserve_share=0.1,
        renewable_share_min=0.6,
    )
    return zone


def _weeks(zone, seed: int, weeks: int = 2, start: str = "2027-01-01"):
    """``weeks`` weeks of daily clouds and wind drawn from ``seed`` (synthetic)."""
    days = 7 * weeks
    hours = 24 * days
    t = np.arange(hours)
    rng = np.random.default_rng(seed)
    daily = np.repeat(0.6 + 0.4 * rng.random(days), 24)
    solar = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * daily
    wind = np.clip(0.35 + 0.3 * np.sin(t / 17.0 + seed) + 0.1 * rng.standard_normal(hours), 0, 1)
    load = 1 + 0.3 * np.sin((t % 24 - 14) / 24 * 2 * np.pi)
    prof = hand_profiles(
        zone,
        hours,
        cf={("a", "solar_fixed"): solar, ("b", "wind_onshore"): wind},
        demand={"a": 22.8 * load, "b": 11.4 * load},
        inflow={("b", "hydro_reservoir"): 6.0 + 3.0 * np.sin(t / 50.0 + seed)},
        min_release={("b", "hydro_reservoir"): 0.86},
    )
    return prof.assign_coords(time=pd.date_range(start, periods=hours, freq="h"))


def _two_years(zone):
    """Two short weather "years" of two weeks each, one after the other across New Year."""
    first = _weeks(zone, 1, start="2027-12-18")
    second = _weeks(zone, 2, start="2028-01-01")
    import xarray as xr

    return xr.concat([first, second], dim="time", data_vars="minimal")


def _existing(d) -> np.ndarray:
    return np.concatenate(
        [d.gen_existing, d.sto_power_existing, d.sto_charge_existing, d.sto_energy_existing, d.link_existing]
    )


def _check_real_plan(zone, prof, result, reference):
    """The joined dispatch satisfies every row and bound of the full hourly LP and costs the upper bound."""
    model = build_model(zone, prof)
    lp = model.lp
    x = _solution(model, result, reference).x
    activity = lp.to_csr() @ x
    scale = 1.0 + np.abs(activity)
    assert (activity >= lp.row_lower - FEASIBLE * scale).all()
    assert (activity <= lp.row_upper + FEASIBLE * scale).all()
    assert (x >= lp.col_lower - FEASIBLE * (1 + np.abs(x))).all()
    assert (x <= lp.col_upper + FEASIBLE * (1 + np.abs(x))).all()
    cost = float(lp.col_cost @ x) + lp.objective_constant
    assert cost == pytest.approx(result.upper, rel=1e-5)  # HiGHS's tolerances, slack ≤ 1e-3 at its penalty


def _decomposed(zone, prof, **options):
    d = model_data(zone, prof)
    start = start_points(d, layout(d, options.get("hours", 168)), _existing(d))
    return decompose(zone, prof, start, options=Decomposition(parallel=False, **options))


def test_subperiods_are_weeks_with_the_remainder_in_the_last():
    assert subperiods(8760).tolist()[-3:] == [50 * 168, 51 * 168, 8760]
    assert len(subperiods(8760)) - 1 == 52
    assert subperiods(100).tolist() == [0, 100]
    with pytest.raises(ValueError, match="positive"):
        subperiods(100, 0)


@pytest.mark.parametrize("years", [1, 2])
def test_decomposed_optimum_within_the_gap_of_the_hourly_plan(tmp_path, years):
    """One year (four weeks) and two short years: LB ≤ the monolithic optimum ≤ UB ≤ (1 + gap) LB, and the
    capacities dispatch hourly at UB."""
    zone = _mixed_zone(tmp_path)
    prof = _weeks(zone, 3, weeks=4) if years == 1 else _two_years(zone)
    mono = plan(zone, prof, method="dual_simplex")
    optimum = float(mono.attrs["objective_usd_per_year"])
    result = _decomposed(zone, prof)
    assert result.layout.n_sub == 4
    assert result.gap <= GAP
    assert result.lower <= optimum * (1 + 1e-7)
    assert optimum <= result.upper * (1 + 1e-7)
    assert (result.upper - optimum) / abs(optimum) <= GAP
    _check_real_plan(zone, prof, result, mono)


def test_a_seasonal_store_carries_energy_across_weeks(tmp_path):
    """Solar only with hydrogen and no unserved load, sun strong for four weeks and weak for four: the
    decomposed plan fills the store over the sunny weeks and empties it over the dull ones, within the gap of
    the monolithic optimum."""
    zone = seasonal_hydrogen_zone(tmp_path)
    hours = 8 * 168
    t = np.arange(hours)
    season = np.where(t < hours // 2, 1.0, 0.35)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * season
    prof = hand_profiles(zone, hours, cf={("a", "solar_fixed"): sun}, demand={"a": 1.0})
    mono = plan(zone, prof, method="dual_simplex")
    optimum = float(mono.attrs["objective_usd_per_year"])
    result = _decomposed(zone, prof)
    assert optimum <= result.upper * (1 + 1e-7) and (result.upper - optimum) / optimum <= GAP
    levels = result.points[:, result.layout.slices()["storage_start"]][:, 0]  # at each week's start
    energy = float(mono["storage_energy"].sel(node="a", storage="hydrogen"))
    assert levels.max() - levels.min() > 0.5 * energy  # filled in summer, drawn down through winter
    _check_real_plan(zone, prof, result, mono)


def test_plan_with_decomposition_is_an_hourly_plan(tmp_path):
    """plan(decomposition=) returns the Plan on every hour, its objective the upper bound, with its bounds
    and time per stage; the balance holds in every hour."""
    from greenzone.planning.year import balance_residual

    zone = _mixed_zone(tmp_path)
    prof = _weeks(zone, 3, weeks=4)
    result = plan(zone, prof, decomposition=Decomposition(parallel=False), method="dual_simplex")
    mono = plan(zone, prof, method="dual_simplex")
    assert result.sizes["time"] == prof.sizes["time"]
    assert result.attrs["time_resolution"].startswith("hourly by temporal decomposition (gap ")
    upper = result.attrs["decomposition_upper_usd_per_year"]
    assert result.attrs["objective_usd_per_year"] == upper
    assert result.attrs["decomposition_lower_usd_per_year"] <= mono.attrs["objective_usd_per_year"] <= upper
    assert result.attrs["decomposition_iterations"] >= 1 and result.attrs["decomposition_total_s"] > 0
    assert float(np.abs(balance_residual(result)).max()) < 1e-5
    with pytest.raises(ValueError, match="every hour"):
        plan(zone, prof, decomposition=Decomposition(), typical_days=4)


def test_decomposition_options_are_checked():
    with pytest.raises(ValueError, match="gap"):
        Decomposition(gap=0)
    with pytest.raises(ValueError, match="gamma"):
        Decomposition(gamma=1.0)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_on_dask_the_same_as_in_process(tmp_path, client):
    """The subperiods as Dask tasks on two worker processes give the in-process result bit for bit."""
    zone = _mixed_zone(tmp_path)
    prof = _weeks(zone, 3, weeks=2)
    here = _decomposed(zone, prof, hours=84)
    d = model_data(zone, prof)
    start = start_points(d, layout(d, 84), _existing(d))
    there = decompose(zone, prof, start, options=Decomposition(client=client, hours=84, groups_per_worker=1))
    assert there.upper == here.upper and there.lower == here.lower and there.iterations == here.iterations
    np.testing.assert_array_equal(there.points, here.points)


@pytest.mark.slow
def test_a_worker_killed_mid_run_gives_the_same_result(tmp_path, client):
    """SIGKILL a worker while it solves subperiods: its groups go to the other worker, which builds them
    afresh; the run completes with the in-process result (within the gap: a cold start may pick another of
    several optimal dual solutions, so the cuts, not the optimum, can differ)."""
    import os
    import signal
    import threading
    import time

    zone = _mixed_zone(tmp_path)
    prof = _two_years(zone)
    here = _decomposed(zone, prof, hours=48)
    d = model_data(zone, prof)
    start = start_points(d, layout(d, 48), _existing(d))
    progress: list = []
    result: dict = {}

    def run():
        options = Decomposition(client=client, hours=48, groups_per_worker=1)
        try:
            result["there"] = decompose(zone, prof, start, options=options, on_progress=progress.append)
        except Exception as exc:  # shown by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        busy = [a for a, keys in client.processing().items() if any("solve_group" in str(k) for k in keys)]
        if busy and len(progress) >= 2:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed = pid
        time.sleep(0.01)
    thread.join(timeout=300)
    assert killed is not None, "no subperiod was seen running"
    assert "error" not in result and not thread.is_alive(), result.get("error")
    there = result["there"]
    assert there.gap <= GAP
    assert abs(there.upper - here.upper) / abs(here.upper) <= GAP
    client.wait_for_workers(2, timeout=60)


def _one_node_zone(tmp_path):
    import yaml

    zone_path = tmp_path / "zone.yaml"
    node = {
        "id": "fuzuli",
        "lat": 39.594,
        "lon": 47.197,
        "elevation_m": 370,
        "demand": {"annual_mwh": 8760},
        "technologies": {"solar_fixed": {}, "battery": {}, "gas_turbine": {}},
    }
    zone_path.write_text(
        yaml.safe_dump({"name": "one node", "timezone": "Asia/Baku", "year": 2027, "nodes": [node]})
    )
    return zone_path


@pytest.mark.slow
def test_run_hourly_decompose_writes_an_hourly_plan(tmp_path, monkeypatch, capsys):
    """greenzone run --hourly --decompose on two weeks of a one-node zone: an hourly plan.nc by decomposition,
    its key figures from it."""
    import json

    import xarray as xr

    from cli_helpers import cli_main

    zone_path = _one_node_zone(tmp_path)
    out = tmp_path / "run"
    args = ["run", str(zone_path), "--hourly", "--decompose", "--hours", "336", "--workers", "1"]
    code, _, err = cli_main(monkeypatch, capsys, *args, "--out", str(out))
    assert code == 0, err
    with xr.open_dataset(out / "plan.nc") as result:
        assert result.sizes["time"] == 336
        assert result.attrs["time_resolution"].startswith("hourly by temporal decomposition")
        assert result.attrs["decomposition_gap"] <= 1e-3
        figures = json.loads((out / "kpis.json").read_text())
        assert figures["total_cost_usd_per_year"] == pytest.approx(result.attrs["objective_usd_per_year"])


def test_run_refuses_decompose_without_hourly(tmp_path, monkeypatch, capsys):
    """--decompose without --hourly, or --gap alone, is refused with exit code 2 before anything runs."""
    from cli_helpers import cli_main

    zone_path = _one_node_zone(tmp_path)
    for refused in (["--decompose"], ["--gap", "0.01"]):
        code, _, err = cli_main(
            monkeypatch, capsys, "run", str(zone_path), *refused, "--out", str(tmp_path / "x")
        )
        assert code == 2 and "--hourly" in err


def test_the_gap_not_reached_within_the_iterations_raises_with_the_bounds(tmp_path):
    from greenzone.errors import SolverError

    zone = _mixed_zone(tmp_path)
    prof = _weeks(zone, 3, weeks=2)
    with pytest.raises(SolverError, match=r"within 2 iterations: decomposition: iteration 2, lower .* gap"):
        _decomposed(zone, prof, hours=84, max_iterations=2)
