"""Forced-outage sampling: the two-state chain has the stationary share FOR and outages of mean MTTR, the
capacity outage table matches brute force, and zone sampling is shaped like a Plan and reproducible."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from greenzone.adequacy.outages import (
    capacity_outage_table,
    loss_of_load_probability,
    sample_availability,
    transition_probabilities,
    unit_count,
    unit_states,
)
from greenzone.errors import ZoneError
from greenzone.operate import existing_capacities
from plan_helpers import write_small_zone

YEAR = pd.date_range("2027-01-01", periods=8760, freq="h")


def _autocorrelation_factor(fail: float, repair: float) -> float:
    """(1 + rho) / (1 - rho) with rho = 1 - fail - repair: how much the chain's correlation inflates the
    variance of a mean over hours compared with independent hours."""
    rho = 1.0 - fail - repair
    return (1.0 + rho) / (1.0 - rho)


def _runs(states: np.ndarray, value: bool) -> np.ndarray:
    """Lengths of the complete runs of ``value`` in a 1-d series (runs cut by either end are left out)."""
    s = states.astype(np.int8)
    edges = np.flatnonzero(np.diff(s)) + 1
    bounds = np.concatenate([[0], edges, [s.size]])
    lengths = np.diff(bounds)
    kinds = s[bounds[:-1]].astype(bool)
    inner = np.ones(lengths.size, dtype=bool)
    inner[[0, -1]] = False
    return lengths[(kinds == value) & inner]


# ------------------------------------------------------------------------------------------ one unit
def test_transition_probabilities_exact_values():
    fail, repair = transition_probabilities(0.1, 10.0)
    assert repair == pytest.approx(0.1, rel=1e-15)
    assert fail == pytest.approx(0.1 * 0.1 / 0.9, rel=1e-15)
    assert fail / (fail + repair) == pytest.approx(0.1, rel=1e-14)  # stationary outage share is FOR
    assert transition_probabilities(0.0, 24.0) == (0.0, 1.0 / 24.0)
    assert transition_probabilities(0.5, 1.0) == (1.0, 1.0)
    fail, repair = transition_probabilities(0.02, 96.0)
    assert fail / (fail + repair) == pytest.approx(0.02, rel=1e-14)


@pytest.mark.parametrize(
    ("rate", "mttr", "match"),
    [
        (0.1, 0.5, "at least 1 h"),
        (0.1, float("nan"), "at least 1 h"),
        (1.0, 24.0, r"in \[0, 1\)"),
        (-0.01, 24.0, r"in \[0, 1\)"),
        (0.9, 2.0, "more than one failure per hour"),
    ],
)
def test_transition_probabilities_errors(rate, mttr, match):
    with pytest.raises(ValueError, match=match):
        transition_probabilities(rate, mttr)


def test_long_chain_has_outage_share_for_and_mean_duration_mttr():
    rate, mttr, hours = 0.1, 10.0, 2_000_000
    fail, repair = transition_probabilities(rate, mttr)
    states = unit_states(1, hours, rate, mttr, np.random.default_rng(20270101))
    assert states.shape == (1, hours) and states.dtype == bool
    up = states[0]

    share = 1.0 - up.mean()
    se = math.sqrt(rate * (1 - rate) / hours * _autocorrelation_factor(fail, repair))
    assert abs(share - rate) < 4 * se, (share, se)

    outages = _runs(up, False)
    assert outages.size > 15_000
    se_duration = math.sqrt(1 - repair) / repair / math.sqrt(outages.size)  # geometric: sd = sqrt(1-p)/p
    assert abs(outages.mean() - mttr) < 4 * se_duration
    assert abs(outages.mean() / mttr - 1) < 0.03
    assert np.mean(outages == 1) == pytest.approx(repair, abs=4 * math.sqrt(repair / outages.size))
    up_runs = _runs(up, True)
    assert up_runs.mean() == pytest.approx(1 / fail, rel=0.03)

    # hourly transition frequencies are the chain's probabilities
    was_up, now_up = up[:-1], up[1:]
    n_up, n_down = was_up.sum(), (~was_up).sum()
    failed = (was_up & ~now_up).sum() / n_up
    repaired = (~was_up & now_up).sum() / n_down
    assert abs(failed - fail) < 4 * math.sqrt(fail * (1 - fail) / n_up)
    assert abs(repaired - repair) < 4 * math.sqrt(repair * (1 - repair) / n_down)


def test_many_units_start_stationary_and_stay_stationary():
    """2,000 units × 1,000 h: the outage share is FOR in the first hour, the last hour and over all hours, the
    state's autocorrelation is the chain's, and units fail independently of each other."""
    rate, mttr, n, hours = 0.05, 24.0, 2000, 1000
    fail, repair = transition_probabilities(rate, mttr)
    states = unit_states(n, hours, rate, mttr, np.random.default_rng(7))
    assert states.shape == (n, hours)
    down = ~states
    se_hour = math.sqrt(rate * (1 - rate) / n)
    for hour in (0, hours // 2, hours - 1):
        assert abs(down[:, hour].mean() - rate) < 4 * se_hour, hour
    se_all = math.sqrt(rate * (1 - rate) / (n * hours) * _autocorrelation_factor(fail, repair))
    assert abs(down.mean() - rate) < 4 * se_all
    # lag-k autocorrelation of a unit's state is (1 - fail - repair)^k; tolerances are about 6 standard
    # deviations of the estimate (0.0006, 0.0026 and 0.0063 over 60 seeds)
    x = down.astype(float) - down.mean()
    for lag, tol in ((1, 0.004), (5, 0.015), (20, 0.04)):
        corr = (x[:, :-lag] * x[:, lag:]).mean() / x.var()
        assert corr == pytest.approx((1 - fail - repair) ** lag, abs=tol), lag
    # independent units: neighbouring units are uncorrelated (standard deviation of this estimate 0.0044)
    assert abs((x[0::2] * x[1::2]).mean() / x.var()) < 0.03


def test_every_early_hour_has_outage_share_for():
    """A stationary start leaves no transient: 20,000 units, each of the first 96 h is down with share FOR
    (a start with every unit up, or first outages of the wrong length, would show in the early hours)."""
    rate, mttr, n = 0.05, 24.0, 20_000
    down = ~unit_states(n, 96, rate, mttr, np.random.default_rng(11))
    se_hour = math.sqrt(rate * (1 - rate) / n)
    assert np.abs(down.mean(axis=0) - rate).max() < 5 * se_hour


def test_unit_states_edge_cases():
    rng = np.random.default_rng(0)
    assert unit_states(3, 50, 0.0, 24.0, rng).all()
    assert unit_states(0, 50, 0.1, 24.0, rng).shape == (0, 50)
    assert unit_states(4, 0, 0.1, 24.0, rng).shape == (4, 0)
    a = unit_states(5, 300, 0.2, 5.0, np.random.default_rng(3))
    b = unit_states(5, 300, 0.2, 5.0, np.random.default_rng(3))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError):
        unit_states(-1, 10, 0.1, 24.0, rng)


@pytest.mark.parametrize(
    ("capacity", "size", "expected"),
    [
        (0.0, 10.0, 0),
        (1e-10, 10.0, 0),
        (-1e-12, 10.0, 0),
        (1e-6, 10.0, 1),
        (5.0, 10.0, 1),
        (10.0, 10.0, 1),
        (30.0, 10.0, 3),
        (30.0000000001, 10.0, 3),
        (30.01, 10.0, 4),
        (31.0, 10.0, 4),
        (0.1 * 3, 0.1, 3),
        (32.0, 3.2, 10),
        (340.0, 10.0, 34),
    ],
)
def test_unit_count(capacity, size, expected):
    assert unit_count(capacity, size) == expected


@pytest.mark.parametrize(
    ("capacity", "size"), [(-1.0, 10.0), (10.0, 0.0), (10.0, -1.0), (float("nan"), 10.0)]
)
def test_unit_count_errors(capacity, size):
    with pytest.raises(ValueError):
        unit_count(capacity, size)


# ------------------------------------------------------------------------------------------ analytic
def _brute_force(sizes, rates) -> dict[float, float]:
    table: dict[float, float] = {}
    for outcome in itertools.product((False, True), repeat=len(sizes)):
        p = math.prod(q if out else 1 - q for out, q in zip(outcome, rates, strict=True))
        mw = round(sum(s for out, s in zip(outcome, sizes, strict=True) if out), 6)
        table[mw] = table.get(mw, 0.0) + p
    return table


def test_capacity_outage_table_by_hand():
    """Two 10 MW units with q = 0.1 and one 20 MW unit with q = 0.2."""
    table = capacity_outage_table([10, 10, 20], [0.1, 0.1, 0.2])
    expected = {
        0.0: 0.9 * 0.9 * 0.8,  # 0.648
        10.0: 2 * 0.1 * 0.9 * 0.8,  # 0.144
        20.0: 0.1 * 0.1 * 0.8 + 0.9 * 0.9 * 0.2,  # 0.170
        30.0: 2 * 0.1 * 0.9 * 0.2,  # 0.036
        40.0: 0.1 * 0.1 * 0.2,  # 0.002
    }
    assert list(table.index) == list(expected)
    assert np.allclose(table.to_numpy(), list(expected.values()), rtol=0, atol=1e-15)
    assert table.sum() == pytest.approx(1.0, abs=1e-15)
    assert table.index.name == "outage_mw"


def test_capacity_outage_table_merges_equal_sums():
    table = capacity_outage_table([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])
    assert list(table.index) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert table.loc[0.3] == pytest.approx(0.25)  # {0.3} or {0.1, 0.2}
    assert capacity_outage_table([], []).to_dict() == {0.0: 1.0}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_capacity_outage_table_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    sizes = list(rng.choice([5.0, 10.0, 12.5, 20.0], size=6)) if seed != 3 else list(rng.uniform(1, 50, 6))
    rates = list(rng.uniform(0.01, 0.3, size=6))
    table = capacity_outage_table(sizes, rates)
    brute = _brute_force(sizes, rates)
    assert table.sum() == pytest.approx(1.0, abs=1e-14)
    assert table.index.is_monotonic_increasing and table.index.is_unique
    assert np.allclose(table.index, sorted(brute), rtol=0, atol=1e-6)
    assert np.allclose(table.to_numpy(), [brute[k] for k in sorted(brute)], rtol=1e-12, atol=1e-15)


def test_loss_of_load_probability_by_hand_and_brute_force():
    sizes, rates = [10, 10, 20], [0.1, 0.1, 0.2]
    assert loss_of_load_probability(sizes, rates, 0.0) == 0.0
    assert loss_of_load_probability(sizes, rates, 40.0) == pytest.approx(1 - 0.648)  # any outage
    assert loss_of_load_probability(sizes, rates, 30.0) == pytest.approx(
        0.170 + 0.036 + 0.002
    )  # >= 20 MW out
    assert loss_of_load_probability(sizes, rates, 30.0 + 1e-12) == pytest.approx(0.208)  # within tolerance
    assert loss_of_load_probability(sizes, rates, 30.001) == pytest.approx(0.352)
    assert loss_of_load_probability(sizes, rates, 41.0) == 1.0

    rng = np.random.default_rng(11)
    sizes = list(rng.choice([5.0, 10.0, 25.0], size=6))
    rates = list(rng.uniform(0.02, 0.2, size=6))
    total = sum(sizes)
    for load in [0.0, 7.5, 20.0, 35.0, total - 10.0, total - 5.0, total, total + 1.0]:
        brute = 0.0
        for outcome in itertools.product((False, True), repeat=6):
            p = math.prod(q if out else 1 - q for out, q in zip(outcome, rates, strict=True))
            available = sum(s for out, s in zip(outcome, sizes, strict=True) if not out)
            brute += p if available < load - 1e-9 else 0.0
        assert loss_of_load_probability(sizes, rates, load) == pytest.approx(brute, abs=1e-14), load


def test_analytic_errors():
    with pytest.raises(ValueError, match="same length"):
        capacity_outage_table([10, 10], [0.1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        capacity_outage_table([10], [1.5])
    with pytest.raises(ValueError, match="unit_mw"):
        loss_of_load_probability([-10], [0.1], 5)


# ------------------------------------------------------------------------------------------ a zone
def _zone(tmp_path, *, grid=True, technologies=None):
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 39.4,
                "lon": 47.0,
                "demand": {"annual_mwh": 100000},
                "technologies": {
                    "gas_turbine": {"existing_mw": 200, "max_mw": 200},
                    "solar_fixed": {"existing_mw": 100, "max_mw": 100},
                    "battery": {"existing_mw": 50, "existing_energy_mwh": 200},
                },
            },
            {
                "id": "b",
                "lat": 40.1,
                "lon": 46.0,
                "technologies": {"wind_onshore": {"existing_mw": 32, "max_mw": 32}},
            },
        ],
        "technologies": technologies
        or {
            "gas_turbine": {"unit_size_mw": 1, "forced_outage_rate": 0.1, "mean_time_to_repair_h": 10},
            "battery": {"forced_outage_rate": 0.0},
        },
        "links": [
            {
                "from": "a",
                "to": "b",
                "length_km": 50,
                "existing_mw": 80,
                "circuits": 2,
                "forced_outage_rate": 0.05,
                "mean_time_to_repair_h": 12,
            }
        ],
    }
    if grid:
        body["grid"] = {
            "node": "a",
            "import_max_mw": 60,
            "export_max_mw": 40,
            "circuits": 2,
            "forced_outage_rate": 0.05,
            "mean_time_to_repair_h": 24,
        }
    zone, _ = write_small_zone(tmp_path, body)
    return zone


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    return _zone(tmp_path_factory.mktemp("outages"))


@pytest.fixture(scope="module")
def sampled(zone):
    return sample_availability(zone, existing_capacities(zone), YEAR, seed=42)


def test_sample_availability_is_shaped_like_a_plan(zone, sampled):
    assert sampled["generator_availability"].dims == ("node", "technology", "time")
    assert sampled["storage_availability"].dims == ("node", "storage", "time")
    assert sampled["link_availability"].dims == ("link", "time")
    assert sampled["grid_availability"].dims == ("time",)
    assert list(sampled["node"].values) == zone.node_ids == ["a", "b"]
    assert list(sampled["technology"].values) == list(zone.generator_ids)
    assert list(sampled["storage"].values) == list(zone.storage_ids) == ["battery"]
    assert list(sampled["link"].values) == ["a-b"]
    assert pd.DatetimeIndex(sampled["time"].values).equals(YEAR)
    for name in ("generator_availability", "storage_availability", "link_availability", "grid_availability"):
        assert sampled[name].attrs["units"] == "1"
        assert float(sampled[name].min()) >= 0.0 and float(sampled[name].max()) <= 1.0


def test_sample_availability_is_reproducible_per_year(zone, sampled):
    caps = existing_capacities(zone)
    again = sample_availability(zone, caps, YEAR, seed=42, year_index=0)
    assert again.equals(sampled)
    year1 = sample_availability(zone, caps, YEAR, seed=42, year_index=1)
    other_seed = sample_availability(zone, caps, YEAR, seed=43, year_index=0)
    gas = {"node": "a", "technology": "gas_turbine"}
    assert not np.array_equal(
        year1["generator_availability"].sel(gas), sampled["generator_availability"].sel(gas)
    )
    assert not np.array_equal(
        other_seed["generator_availability"].sel(gas), sampled["generator_availability"].sel(gas)
    )
    assert not np.array_equal(year1["grid_availability"], sampled["grid_availability"])
    # year 1 alone equals year 1 drawn after year 0 (nothing carries over between calls)
    assert sample_availability(zone, caps, YEAR, seed=42, year_index=1).equals(year1)


def test_one_asset_does_not_shift_the_draws_of_another(zone, sampled):
    """The spawn order depends on the zone only: removing the solar capacity leaves the gas draws unchanged."""
    caps = existing_capacities(zone)
    caps["capacity"].loc[{"node": "a", "technology": "solar_fixed"}] = 0.0
    without_solar = sample_availability(zone, caps, YEAR, seed=42)
    solar = {"node": "a", "technology": "solar_fixed"}
    assert (without_solar["generator_availability"].sel(solar) == 1.0).all()
    assert float(sampled["generator_availability"].sel(solar).min()) < 1.0
    for name in ("link_availability", "grid_availability"):
        assert np.array_equal(without_solar[name], sampled[name])
    for node, tech in (("a", "gas_turbine"), ("b", "wind_onshore")):
        sel = {"node": node, "technology": tech}
        assert np.array_equal(
            without_solar["generator_availability"].sel(sel), sampled["generator_availability"].sel(sel)
        )


def test_assets_without_capacity_or_outages_are_always_available(sampled):
    gen = sampled["generator_availability"]
    assert (gen.sel(node="b", technology="gas_turbine") == 1.0).all()  # no capacity
    assert (gen.sel(node="a", technology="wind_onshore") == 1.0).all()
    assert (sampled["storage_availability"].sel(node="a", storage="battery") == 1.0).all()  # FOR 0


def test_shares_are_multiples_of_one_unit(sampled):
    gen = sampled["generator_availability"]
    for node, tech, n in (("a", "gas_turbine", 200), ("a", "solar_fixed", 10), ("b", "wind_onshore", 10)):
        scaled = gen.sel(node=node, technology=tech).to_numpy() * n
        assert np.allclose(scaled, np.round(scaled), atol=1e-9), tech
        assert len(np.unique(np.round(scaled))) > 1, tech  # some outage happened
    assert set(np.unique(sampled["link_availability"])) <= {0.0, 0.5, 1.0}
    grid_values = set(np.unique(sampled["grid_availability"]))
    assert grid_values <= {0.0, 0.5, 1.0} and 0.5 in grid_values


def test_mean_availability_is_one_minus_for(zone, sampled):
    """200 gas units with FOR 0.1 over 8,760 h: the mean is 0.9 within 4 standard errors of the chain."""
    rate, n = 0.1, 200
    fail, repair = transition_probabilities(rate, 10.0)
    mean = float(sampled["generator_availability"].sel(node="a", technology="gas_turbine").mean())
    se = math.sqrt(rate * (1 - rate) / (n * len(YEAR)) * _autocorrelation_factor(fail, repair))
    assert abs(mean - (1 - rate)) < 4 * se, (mean, se)
    # link and grid over ten years (2 circuits each)
    caps = existing_capacities(zone)
    years = [sample_availability(zone, caps, YEAR, seed=5, year_index=y) for y in range(10)]
    for name, mttr in (("link_availability", 12.0), ("grid_availability", 24.0)):
        fail, repair = transition_probabilities(0.05, mttr)
        values = np.concatenate([y[name].to_numpy().ravel() for y in years])
        se = math.sqrt(0.05 * 0.95 / (2 * values.size) * _autocorrelation_factor(fail, repair))
        assert abs(values.mean() - 0.95) < 4 * se, name


def test_plan_capacities_and_no_grid(tmp_path, zone):
    islanded = _zone(tmp_path, grid=False)
    caps = existing_capacities(islanded)
    caps["capacity"].loc[{"node": "b", "technology": "gas_turbine"}] = 30.0  # a plan that builds more
    result = sample_availability(islanded, caps, YEAR[:500], seed=1)
    assert (result["grid_availability"] == 1.0).all()
    assert result.sizes["time"] == 500
    scaled = result["generator_availability"].sel(node="b", technology="gas_turbine").to_numpy() * 30
    assert np.allclose(scaled, np.round(scaled))


def test_sample_availability_refuses_bad_inputs(tmp_path, zone):
    caps = existing_capacities(zone)
    with pytest.raises(ValueError, match="consecutive hours"):
        sample_availability(zone, caps, YEAR[::2], seed=0)
    with pytest.raises(ValueError, match="seed"):
        sample_availability(zone, caps, YEAR, seed=-1)
    with pytest.raises(ValueError, match="link_capacity"):
        sample_availability(zone, caps.drop_vars("link_capacity"), YEAR, seed=0)
    with pytest.raises(ValueError, match="this zone"):
        sample_availability(zone, caps.isel(node=[0]), YEAR, seed=0)
    # a repair time under the hour of the time step is refused where the zone is read, naming the field
    with pytest.raises(ZoneError, match="technologies.gas_turbine"):
        _zone(
            tmp_path,
            technologies={"gas_turbine": {"forced_outage_rate": 0.1, "mean_time_to_repair_h": 0.5}},
        )
