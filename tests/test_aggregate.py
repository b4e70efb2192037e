"""Typical days: the clustering, storage linking across days (Kotzur et al. 2018) and the expanded plan."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from greenzone.errors import GreenzoneError, WeatherError
from greenzone.kpi import kpis
from greenzone.optimize.formulation import Periods, build_model
from greenzone.optimize.solve import SolverOptions, solve
from greenzone.planning.typical_days import AggregationError, typical_days
from greenzone.planning.year import balance_residual, expand_plan, plan, plan_dataset
from plan_helpers import hand_profiles, seasonal_hydrogen_zone, two_node_zone

REL = 1e-6
TOL = 1e-6


def _mixed_zone(tmp_path):
    """The planner tests' two-node zone with a lossless battery, reserve and a renewable-share target."""
    zone, _ = two_node_zone(
        tmp_path,
        technologies={"battery": {"standing_loss_per_h": 0}},
        reserve_share=0.1,
        renewable_share_min=0.6,
    )
    return zone


def _mixed_profiles(zone, days=14):
    hours = 24 * days
    t = np.arange(hours)
    rng = np.random.default_rng(0)
    daily = np.repeat(0.6 + 0.4 * rng.random(days), 24)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * daily
    wind = np.clip(0.35 + 0.3 * np.sin(t / 17.0) + 0.1 * rng.standard_normal(hours), 0, 1)
    load = 1 + 0.3 * np.sin((t % 24 - 14) / 24 * 2 * np.pi)
    return hand_profiles(
        zone,
        hours,
        cf={("a", "solar_fixed"): sun, ("b", "wind_onshore"): wind},
        demand={"a": 22.8 * load, "b": 11.4 * load},
        inflow={("b", "hydro_reservoir"): 6.0 + 3.0 * np.sin(t / 50.0)},
        min_release={("b", "hydro_reservoir"): 0.86},
    )


def _seasonal_hydrogen(tmp_path, days=112):
    """One node, solar and hydrogen only, no grid: sun is strong in the first half and a fifth of it after."""
    zone = seasonal_hydrogen_zone(tmp_path)
    t = np.arange(24 * days)
    day = t // 24
    strength = np.where(day < days // 2, 1.0, 0.2) * (1 + 0.15 * np.sin(2.1 * day))
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * strength
    return zone, hand_profiles(zone, t.size, cf={("a", "solar_fixed"): sun}, demand={"a": 1.0})


# ------------------------------------------------------------------------------------------- clustering


def test_every_day_its_own_cluster_reproduces_the_profiles(tmp_path):
    zone = _mixed_zone(tmp_path)
    prof = _mixed_profiles(zone)
    agg = typical_days(prof, 14)
    xr.testing.assert_equal(agg.profiles, prof)
    np.testing.assert_array_equal(agg.weights, np.ones(14 * 24))
    np.testing.assert_array_equal(agg.day_cluster, np.arange(14))
    values = np.arange(14 * 24 * 2.0).reshape(-1, 2)
    np.testing.assert_array_equal(agg.expand(values), values)


def test_clusters_weights_and_expand(tmp_path):
    zone, prof = _seasonal_hydrogen(tmp_path, days=28)
    agg = typical_days(prof, 5)
    assert agg.n_periods == 5 and agg.profiles.sizes["time"] == 5 * 24
    assert agg.cluster_size.sum() == 28
    assert agg.weights.sum() == 28 * 24
    np.testing.assert_array_equal(agg.weights, np.repeat(agg.cluster_size, 24).astype(float))
    # extreme days are periods of one day of their own
    assert agg.extreme_clusters and all(agg.cluster_size[k] == 1 for k in agg.extreme_clusters)
    # each representative is a member of its own cluster, and expand maps every day onto it
    for k, date in enumerate(agg.cluster_days):
        day = (date - agg.original_time[0]).days
        assert agg.day_cluster[day] == k
    sun = prof["capacity_factor"].sel(node="a", technology="solar_fixed")
    expanded = agg.expand(agg.profiles["capacity_factor"].sel(node="a", technology="solar_fixed"))
    assert expanded.sizes["time"] == 28 * 24
    np.testing.assert_array_equal(expanded["time"].values, prof["time"].values)
    # strong-sun days and weak-sun days never share a cluster
    daily = sun.values.reshape(28, 24).sum(axis=1)
    for k in range(agg.n_periods):
        members = daily[agg.day_cluster == k]
        assert (members > 3).all() or (members < 3).all()
    # deterministic
    again = typical_days(prof, 5)
    np.testing.assert_array_equal(again.day_cluster, agg.day_cluster)


def test_too_few_typical_days_for_the_extremes(tmp_path):
    zone, prof = _seasonal_hydrogen(tmp_path, days=14)
    n_extreme = len(typical_days(prof, 14).extreme_clusters)
    with pytest.raises(AggregationError, match=rf"ask for at least {n_extreme + 1}"):
        typical_days(prof, n_extreme)
    assert typical_days(prof, 1, extremes=False).n_periods == 1
    with pytest.raises(GreenzoneError, match="only 14 days; ask for at most 14"):
        typical_days(prof, 15)
    with pytest.raises(ValueError, match="at least"):  # also a ValueError
        plan(zone, prof, typical_days=1)


def test_profiles_that_are_not_whole_days(tmp_path):
    zone, prof = _seasonal_hydrogen(tmp_path, days=3)
    with pytest.raises(WeatherError, match=r"whole days.*60 hours \(12 beyond whole days\)"):
        typical_days(prof.isel(time=slice(0, 60)), 2)
    with pytest.raises(WeatherError, match="start at 2027-01-01 05:00 UTC"):
        typical_days(prof.isel(time=slice(5, 53)), 2)
    # local days of Asia/Baku (UTC+4) start at 20:00 UTC
    with pytest.raises(WeatherError, match=r"local time \(Asia/Baku\)"):
        typical_days(prof, 2, timezone="Asia/Baku")
    assert typical_days(prof.isel(time=slice(20, 44)), 1, timezone="Asia/Baku", extremes=False).n_periods == 1


# ----------------------------------------------------------------------------------------------- planning


def test_every_day_a_typical_day_equals_the_hourly_plan(tmp_path):
    """N = number of days: the linked formulation is the hourly one (battery, reservoir, reserve included)."""
    zone = _mixed_zone(tmp_path)
    prof = _mixed_profiles(zone)
    hourly = plan(zone, prof)
    typical = plan(zone, prof, typical_days=14)
    assert typical.attrs["objective_usd_per_year"] == pytest.approx(
        hourly.attrs["objective_usd_per_year"], rel=REL
    )
    assert typical.attrs["time_resolution"] == "14 typical days (Kotzur storage linking)"
    assert typical.attrs["typical_days"] == 14
    for name in ("capacity", "storage_energy", "link_capacity"):
        np.testing.assert_allclose(typical[name].values, hourly[name].values, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(typical["time"].values, hourly["time"].values)
    assert float(np.abs(balance_residual(typical)).max()) < 1e-6
    # the hourly LP is untouched by the typical-period code: same size as before
    assert hourly.attrs["time_resolution"] == "hourly"


def test_seasonal_hydrogen_needs_linking(tmp_path):
    """Storing summer sun as hydrogen for the dark half: linked typical days find it, cyclic days cannot."""
    zone, prof = _seasonal_hydrogen(tmp_path)
    reference = plan(zone, prof).attrs["objective_usd_per_year"]
    linked = plan(zone, prof, typical_days=8)
    naive = plan(zone, prof, typical_days=8, linking=False)
    linked_error = linked.attrs["objective_usd_per_year"] / reference - 1
    naive_error = naive.attrs["objective_usd_per_year"] / reference - 1
    assert abs(linked_error) < 0.02
    assert naive_error > 0.10
    assert naive.attrs["time_resolution"] == "8 typical days (without storage linking)"
    # the linked plan stores hundreds of MWh across the seasons, the naive one a day's worth at most
    assert float(linked["storage_energy"].sum()) > 500
    assert float(naive["storage_energy"].sum()) < 30
    for result in (linked, naive):
        level = result["storage_level"].sel(node="a", storage="hydrogen")
        energy = float(result["storage_energy"].sel(node="a", storage="hydrogen"))
        assert float(level.min()) >= -TOL
        assert float(level.max()) <= energy + TOL
        assert result.sizes["time"] == prof.sizes["time"]
        assert float(result["weight"].min()) == 1.0
        assert float(np.abs(balance_residual(result)).max()) < 1e-6


def test_expanded_plan_figures_equal_the_aggregated_lp(tmp_path):
    """Annual sums over the expanded plan are the aggregated LP's: the objective rebuilt from the expanded
    plan's costs, grid and unserved energy equals the LP objective, and so does the demand."""
    zone = _mixed_zone(tmp_path)
    prof = _mixed_profiles(zone)
    result = plan(zone, prof, typical_days=5)
    figures = kpis(result, zone)
    alpha = result.attrs["alpha"]
    agg = typical_days(prof, 5, renewables=["solar_fixed", "wind_onshore"])
    demand = alpha * float(
        (agg.profiles["demand"].sum("node") * xr.DataArray(agg.weights, dims="time")).sum()
    )
    assert figures["demand_mwh"] == pytest.approx(demand, rel=1e-12)
    rebuilt = (
        float(result["cost"].sum() + result["link_cost"].sum())
        + alpha * float((result["grid_import"] * 70 - result["grid_export"] * 30).sum())
        + 3000 * figures["unserved_energy_mwh"]
    )
    assert rebuilt == pytest.approx(result.attrs["objective_usd_per_year"], rel=1e-9)
    assert figures["renewable_share"] >= 0.6 - 1e-6
    assert float(result["demand_original"].sum()) == pytest.approx(float(prof["demand"].sum()), rel=1e-12)
    reservoir = result["reservoir_level"].sel(node="b", technology="hydro_reservoir")
    assert float(reservoir.min()) >= -TOL and float(reservoir.max()) <= 2000 + TOL
    # the levels of the expanded plan follow the hourly balance through every original hour
    level = result["storage_level"].sel(node="a", storage="battery").values
    charge = result["storage_charge"].sel(node="a", storage="battery").values
    discharge = result["storage_discharge"].sel(node="a", storage="battery").values
    np.testing.assert_allclose(level - np.roll(level, 1), 0.95 * charge - discharge / 0.95, atol=1e-6)
    flow = reservoir.values
    release = (result["dispatch"] + result["spill"]).sel(node="b", technology="hydro_reservoir").values
    inflow = agg.expand(agg.profiles["inflow"].sel(node="b", technology="hydro_reservoir").values)
    np.testing.assert_allclose(flow - np.roll(flow, 1), inflow - release, atol=1e-6)


def test_key_figures_of_the_expanded_plan_are_the_representative_plans(tmp_path):
    """kpis on the expanded plan (weight 1 per original hour) equal kpis on the representative hours (weight
    n_k): expansion repeats each representative day as many times as its cluster has days."""
    zone = _mixed_zone(tmp_path)
    prof = _mixed_profiles(zone)
    agg = typical_days(prof, 5, renewables=["solar_fixed", "wind_onshore"])
    model = build_model(zone, agg.profiles, periods=Periods(n_hours=24, order=agg.day_cluster))
    solution = solve(model.lp, SolverOptions(method="ipm"))
    representative = plan_dataset(model, solution, agg.profiles)
    expanded = expand_plan(representative, model, solution, agg, prof)
    a, b = kpis(representative, zone), kpis(expanded, zone)
    # kpi.py's mean price does not weigh hours by ``weight``: only the expanded plan gets it right
    skip = ("peak_demand_mw", "mean_price_usd_per_mwh")
    for key, value in a.items():
        if isinstance(value, float) and key not in skip:
            assert b[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    assert b["peak_demand_mw"] == pytest.approx(a["peak_demand_mw"], rel=1e-12)
    price, demand = expanded["price"], expanded["demand"]
    weighted = float(
        (representative["price"] * representative["demand"] * representative["weight"]).sum()
    ) / float((representative["demand"] * representative["weight"]).sum())
    assert float((price * demand).sum() / demand.sum()) == pytest.approx(weighted, rel=1e-9)


def test_periods_must_fit_the_hours(tmp_path):
    zone, prof = _seasonal_hydrogen(tmp_path, days=3)
    with pytest.raises(ValueError, match="need 48 hours, but the profiles have 72"):
        build_model(zone, prof, periods=Periods(n_hours=24, order=np.array([0, 1, 1])))
    with pytest.raises(ValueError, match="every representative period"):
        Periods(n_hours=24, order=np.array([0, 2]))
    with pytest.raises(ValueError, match="weights must equal"):
        build_model(
            zone, prof, weights=np.ones(72), periods=Periods(n_hours=24, order=np.array([0, 1, 2, 2]))
        )
