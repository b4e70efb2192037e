"""Peer test: greenzone's planner and the PyPSA network of greenzone.interop reach the same optimum.

Six small zones written as YAML (so the catalogue merges as for users) on constructed weather that varies by
hour and day (no randomness). Between them they cover every technology, links with losses that must be built,
the national grid with hourly import prices, unserved load allowed and forbidden, non-uniform hour weights and
a year other than the zone's, and each policy constraint binding at least once (checked on greenzone's plan).
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

pypsa = pytest.importorskip("pypsa")

from greenzone import load_zone, profiles  # noqa: E402
from greenzone.errors import GreenzoneError  # noqa: E402
from greenzone.interop import export_network, greenzone_objective, to_pypsa  # noqa: E402
from greenzone.planning.year import plan  # noqa: E402
from greenzone.weather import zone_sites  # noqa: E402
from greenzone.weather.schema import make_weather  # noqa: E402

# PyPSA 1.4 on pandas 3 warns about its own string dtypes and deprecated pandas calls: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")

REL_TOL_OBJECTIVE = 1e-6
"""Objectives of the two solvers' optima must agree this closely (relative)."""


def constructed_weather(zone, *, hours: int, start: str):
    """Deterministic weather whose sun, wind and rivers change by hour and by day, differently at each site."""
    time = pd.date_range(start, periods=hours, freq="h")
    sites = zone_sites(zone)
    t = np.arange(hours, dtype=float)[:, None]
    phase = np.arange(len(sites), dtype=float)[None, :]
    day = np.floor(t / 24)
    # local noon is 08 UTC in Asia/Baku; cloudiness changes from day to day
    sun = np.clip(np.sin((time.hour.to_numpy()[:, None] - 2) / 12 * np.pi), 0, None)
    clear = 0.55 + 0.45 * np.cos(1.7 * day + phase) ** 2
    wind = 2.0 + 5.0 * (1 + np.sin(2 * np.pi * t / 31 + phase)) * (0.6 + 0.4 * np.cos(2 * np.pi * t / 13))
    data = {
        "ghi": 850 * sun * clear,
        "dni": 700 * sun * clear**2,
        "dhi": 120 * sun + 60 * sun * (1 - clear),
        "temp_air": 18 + 6 * np.sin(2 * np.pi * (t - 9) / 24) + 0 * phase,
        "pressure": np.full((hours, len(sites)), 92000.0),
        "wind_speed": wind,
    }
    rivers = ["tartar", "bazarchay"]
    tt = t[:, 0]
    discharge = np.column_stack(
        [15 + 7 * np.sin(2 * np.pi * tt / 53), 18 + 9 * np.sin(2 * np.pi * tt / 41 + 1.0)]
    )
    return make_weather(
        time=time,
        sites=sites,
        data=data,
        wind_height_m=100,
        source="test",
        synthetic=False,
        title="constructed test weather",
        rivers=rivers,
        discharge=discharge,
    )


HEADER = """\
timezone: Asia/Baku
year: 2027
"""


@dataclass
class Case:
    """A zone file, its horizon and what the test checks on it."""

    name: str
    yaml: str
    hours: int
    start: str
    year: int | None = None
    weights: object = None
    files: dict[str, str] = field(default_factory=dict)
    binding: tuple[str, ...] = ()
    unique_capacities: bool = True


def _price_csv(start: str, hours: int) -> str:
    local = pd.date_range(start, periods=hours, freq="h") + pd.Timedelta(hours=4)  # Asia/Baku is UTC+4
    price = 45 + 30 * np.sin(2 * np.pi * (np.arange(hours) - 14) / 24)
    return pd.DataFrame({"time": local.strftime("%Y-%m-%d %H:%M"), "import": price.round(2)}).to_csv(
        index=False
    )


CASES = [
    Case(
        name="sun_battery_gas",
        hours=72,
        start="2027-06-01",
        binding=("land", "renewable_share"),
        yaml="""
        name: solar fixed and tracking, battery, gas; land and renewable share bind; no unserved load
        nodes:
          - id: plain
            lat: 39.4
            lon: 47.0
            elevation_m: 400
            usable_land_km2: 3.3
            demand: {annual_mwh: 438000, profile: mixed}
            technologies:
              solar_fixed: {existing_mw: 20, max_mw: 400}
              solar_tracking: {max_mw: 400}
              battery: {max_energy_mwh: 2000}
              gas_turbine: {max_mw: 150}
        technologies:
          battery: {max_duration_h: 4}
        policy:
          renewable_share_min: 0.5
          allow_unserved: false
        """,
    ),
    Case(
        name="wind_hydrogen_link",
        hours=96,
        start="2027-01-10",
        binding=("co2",),
        yaml="""
        name: upland wind over a line to be built, hydrogen and gas in town; CO2 cap binds
        nodes:
          - id: upland
            lat: 40.1
            lon: 46.0
            elevation_m: 2500
            roughness_length_m: 0.03
            technologies:
              wind_onshore: {max_mw: 300}
          - id: town
            lat: 39.76
            lon: 46.75
            elevation_m: 1400
            demand: {annual_mwh: 350400, profile: residential}
            technologies:
              gas_turbine: {max_mw: 100}
              hydrogen: {existing_mw: 2, existing_charge_mw: 3, existing_energy_mwh: 50}
        links:
          - {from: upland, to: town, length_km: 80, max_mw: 300, loss_per_100km: 0.03}
        policy:
          co2_cap_t: 20000
          value_of_lost_load_usd_per_mwh: 3000
        """,
    ),
    Case(
        name="hydro_valley",
        hours=168,
        start="2027-04-05",
        binding=("reserve", "min_release"),
        yaml="""
        name: reservoir with minimum release, pumped hydro, run-of-river over an existing line; reserve binds
        nodes:
          - id: dam
            lat: 40.18
            lon: 46.62
            elevation_m: 700
            technologies:
              hydro_reservoir:
                existing_mw: 30
                river: tartar
                head_m: 100
                design_flow_m3s: 58
                storage_mwh: 3000
                min_release_m3s: [2, 2, 2, 12, 12, 12, 12, 12, 12, 2, 2, 2]
              pumped_hydro: {max_mw: 100, max_energy_mwh: 1000}
          - id: valley
            lat: 39.09
            lon: 46.65
            elevation_m: 340
            demand: {annual_mwh: 525600, profile: industrial}
            technologies:
              hydro_ror:
                existing_mw: 10
                max_mw: 40
                river: bazarchay
                head_m: 150
                design_flow_m3s: 39
                residual_flow_m3s: 1
              gas_turbine: {max_mw: 100}
        links:
          - {from: dam, to: valley, length_km: 60, existing_mw: 40, max_mw: 200, loss_per_100km: 0.02}
        technologies:
          pumped_hydro: {capex_usd_per_kw: 500, capex_usd_per_kwh: 10}
        policy:
          reserve_share: 0.25
        """,
    ),
    Case(
        name="grid_trade",
        hours=48,
        start="2027-07-01",
        binding=("renewable_share",),
        files={"prices.csv": _price_csv("2027-07-01", 48)},
        yaml="""
        name: solar and battery behind a grid connection with hourly import prices; renewable share binds
        nodes:
          - id: hub
            lat: 39.4
            lon: 47.03
            elevation_m: 460
            demand: {annual_mwh: 262800, profile: commercial}
            technologies:
              solar_fixed: {max_mw: 200}
              battery: {existing_mw: 5, existing_energy_mwh: 10}
        grid:
          node: hub
          import_max_mw: 60
          export_max_mw: 40
          import_price_usd_per_mwh: {csv: prices.csv, column: import}
          export_price_usd_per_mwh: 35
          renewable_share: 0.1
        policy:
          renewable_share_min: 0.5
        """,
    ),
    Case(
        name="thermal_reserve",
        hours=48,
        start="2027-01-15",
        binding=("fuel_budget", "reserve", "unserved"),
        yaml="""
        name: geothermal, biomass with a fuel budget, gas and battery; reserve binds; cheap unserved load
        nodes:
          - id: works
            lat: 39.99
            lon: 46.93
            elevation_m: 370
            demand: {annual_mwh: 700800, profile: industrial}
            technologies:
              geothermal: {max_mw: 20}
              biomass: {max_mw: 60, fuel_budget_mwh: 150000}
              gas_turbine: {max_mw: 40}
              battery: {}
        policy:
          reserve_share: 0.2
          value_of_lost_load_usd_per_mwh: 400
        """,
    ),
    Case(
        name="biomass_emits_under_co2_cap",
        hours=48,
        start="2027-01-15",
        binding=("co2",),
        yaml="""
        name: biomass given an emission factor counts against the CO2 cap, as gas and imports do
        technologies:
          biomass: {emission_factor_t_per_mwh: 0.3}
        nodes:
          - id: works
            lat: 39.99
            lon: 46.93
            elevation_m: 370
            demand: {annual_mwh: 700800, profile: industrial}
            technologies:
              geothermal: {max_mw: 20}
              biomass: {max_mw: 60, fuel_budget_mwh: 150000}
              gas_turbine: {max_mw: 40}
              battery: {}
        policy:
          co2_cap_t: 100000
          value_of_lost_load_usd_per_mwh: 400
        """,
    ),
    Case(
        name="three_nodes_weighted",
        hours=72,
        start="2027-03-01",
        year=2031,
        weights=1.0 + 0.5 * (np.arange(72) % 4),
        binding=("land",),
        yaml="""
        name: three nodes, wind, tracking solar and batteries, lines with losses; weighted hours, year 2031
        nodes:
          - id: east
            lat: 39.59
            lon: 47.2
            elevation_m: 370
            usable_land_km2: {2027: 0.1, 2031: 0.25}
            demand: {annual_mwh: {2027: 250000, 2031: 350400}, profile: mixed}
            technologies:
              solar_tracking: {max_mw: 500}
              battery: {}
          - id: west
            lat: 39.64
            lon: 46.55
            elevation_m: 1500
            roughness_length_m: 0.05
            usable_land_km2: 20
            demand: {annual_mwh: 175200, profile: residential}
            technologies:
              wind_onshore: {max_mw: 300}
          - id: south
            lat: 39.1
            lon: 46.9
            elevation_m: 300
            usable_land_km2: 2
            demand: {annual_mwh: 262800, profile: commercial}
            technologies:
              solar_fixed: {existing_mw: 10, max_mw: 300}
              battery: {}
              gas_turbine: {max_mw: 100}
        links:
          - {from: east, to: west, length_km: 70, existing_mw: 20, max_mw: 300}
          - {from: west, to: south, length_km: 50, max_mw: 300, loss_per_100km: 0.02}
          - {from: east, to: south, length_km: 40, existing_mw: 10, max_mw: 200}
        policy:
          allow_unserved: false
        """,
    ),
]


def _load(case: Case, tmp_path):
    for name, text in case.files.items():
        (tmp_path / name).write_text(text)
    path = tmp_path / f"{case.name}.yaml"
    path.write_text(HEADER + textwrap.dedent(case.yaml))
    zone = load_zone(path)
    weather = constructed_weather(zone, hours=case.hours, start=case.start)
    return zone, profiles(zone, weather, year=case.year)


def _solve_pypsa(zone, prof, case: Case):
    n, extra = to_pypsa(zone, prof, year=case.year, weights=case.weights)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    logging.getLogger("pypsa").setLevel(logging.WARNING)
    status, condition = n.optimize(
        solver_name="highs", extra_functionality=extra, include_objective_constant=False, log_to_console=False
    )
    assert (status, condition) == ("ok", "optimal")
    return n, extra


def _capacities_pypsa(n, zone) -> dict[str, float]:
    """Optimal capacities by "node/technology" [MW], "node/technology energy" [MWh] and link name [MW]."""
    out = {}
    gens, links, stores = n.generators.p_nom_opt, n.links.p_nom_opt, n.stores.e_nom_opt
    for node in zone.nodes:
        for tech in node.technologies:
            name = f"{node.id} {tech}"
            kind = zone.technologies[tech].kind
            if kind in ("battery", "pumped_hydro", "hydrogen"):
                eta_d = zone.technologies[tech].efficiency_discharge
                out[f"{node.id}/{tech}"] = links[f"{name} discharger"] * eta_d
                out[f"{node.id}/{tech} charge"] = links[f"{name} charger"]
                out[f"{node.id}/{tech} energy"] = stores[name]
            elif kind == "hydro_reservoir":
                out[f"{node.id}/{tech}"] = links[f"{name} turbine"]
            else:
                out[f"{node.id}/{tech}"] = gens[name]
    for link in zone.links:
        out[link.name] = links[f"{link.name} forward"]
    return out


def _capacities_plan(ds, zone) -> dict[str, float]:
    out = {}
    for node in zone.nodes:
        for tech in node.technologies:
            kind = zone.technologies[tech].kind
            if kind in ("battery", "pumped_hydro", "hydrogen"):
                at = {"node": node.id, "storage": tech}
                out[f"{node.id}/{tech}"] = float(ds["storage_discharge_capacity"].sel(at))
                out[f"{node.id}/{tech} charge"] = float(ds["storage_charge_capacity"].sel(at))
                out[f"{node.id}/{tech} energy"] = float(ds["storage_energy"].sel(at))
            else:
                out[f"{node.id}/{tech}"] = float(ds["capacity"].sel(node=node.id, technology=tech))
    for link in zone.links:
        out[link.name] = float(ds["link_capacity"].sel(link=link.name))
    return out


# ------------------------------------------------------------------------------------ binding checks


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-5 * max(1.0, abs(a), abs(b))


def _binds(what: str, ds, zone, prof) -> bool:
    """Whether a constraint family holds with equality somewhere in greenzone's plan."""
    w = ds["weight"].values
    alpha = ds.attrs["alpha"]
    policy = zone.policy
    if what == "land":
        year = ds.attrs["year"]
        for node in zone.nodes:
            if node.usable_land_km2 is None:
                continue
            used = 0.0
            for tech, nt in node.technologies.items():
                spec = zone.technologies[tech]
                land = spec.land_use_km2_per_mw if nt.land_use_km2_per_mw is None else nt.land_use_km2_per_mw
                if tech in ds["storage"].values:
                    used += land * float(ds["storage_discharge_capacity"].sel(node=node.id, storage=tech))
                else:
                    used += land * float(ds["capacity"].sel(node=node.id, technology=tech))
            if _close(used, node.usable_land_km2.at(year)):
                return True
        return False
    if what == "renewable_share":
        fossil = ds["dispatch"].where(ds["fossil"], 0).sum(("node", "technology")).values
        rho = zone.grid.renewable_share if zone.grid else 0.0
        share = policy.renewable_share_min
        lhs = (
            w
            * (
                fossil
                + (1 - rho) * ds["grid_import"].values
                + (1 - share) * ds["unserved"].sum("node").values
            )
        ).sum()
        return _close(lhs, (1 - share) * (w * ds["demand"].sum("node").values).sum())
    if what == "co2":
        return _close(alpha * float((w * ds["co2"].values).sum()), policy.co2_cap_t)
    if what == "fuel_budget":
        for node in zone.nodes:
            for tech, nt in node.technologies.items():
                if nt.fuel_budget_mwh is not None:
                    p = ds["dispatch"].sel(node=node.id, technology=tech).values
                    if _close(alpha * float((w * p).sum()), nt.fuel_budget_mwh):
                        return True
        return False
    if what == "min_release":
        release = prof["min_release"].transpose("time", "node", "technology").values
        out = (ds["dispatch"] + ds["spill"]).transpose("time", "node", "technology").values
        at = release > 0
        return bool(at.any()) and bool(np.any(np.abs(out[at] - release[at]) <= 1e-6 * release[at].max()))
    if what == "reserve":
        cf = prof["capacity_factor"].transpose("time", "node", "technology")
        cf = cf.where(cf >= 1e-3, 0.0)
        dispatchable = ds["kind"].isin(["hydro_reservoir", "geothermal", "biomass", "gas_turbine"])
        head = (cf * ds["capacity"] - ds["dispatch"]).where(dispatchable, 0).sum(("node", "technology"))
        head = head + (ds["storage_discharge_capacity"] - ds["storage_discharge"]).sum(("node", "storage"))
        slack = head.values - policy.reserve_share * ds["demand"].sum("node").values
        return bool(np.min(slack) <= 1e-5 * float(ds["demand"].sum("node").max()))
    if what == "unserved":
        return float(ds["unserved"].sum()) > 1e-3
    raise ValueError(what)


# ------------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pypsa_reaches_greenzones_optimum(case, tmp_path):
    zone, prof = _load(case, tmp_path)
    ds = plan(zone, prof, year=case.year, weights=case.weights)
    for what in case.binding:
        assert _binds(what, ds, zone, prof), f"{case.name}: {what} does not bind; the case no longer tests it"
    n, _ = _solve_pypsa(zone, prof, case)
    ours = ds.attrs["objective_usd_per_year"]
    theirs = greenzone_objective(n)
    assert theirs == pytest.approx(ours, rel=REL_TOL_OBJECTIVE)
    if case.unique_capacities:
        ours_cap, theirs_cap = _capacities_plan(ds, zone), _capacities_pypsa(n, zone)
        assert ours_cap.keys() == theirs_cap.keys()
        for key, value in ours_cap.items():
            assert theirs_cap[key] == pytest.approx(value, rel=1e-4, abs=1e-2), key


def test_export_network_writes_netcdf_and_names_the_constraints_it_cannot_carry(tmp_path):
    case = CASES[2]  # hydro: min release, reserve, storage ratings, link symmetry
    zone, prof = _load(case, tmp_path)
    path = tmp_path / "out" / "network.nc"
    names = export_network(zone, prof, path)
    assert path.is_file()
    assert names == [
        "greenzone-link_symmetry",
        "greenzone-storage_charge_rating",
        "greenzone-reservoir_min_release",
        "greenzone-operating_reserve",
    ]
    back = pypsa.Network(str(path))
    assert "dam hydro_reservoir turbine" in back.links.index
    assert "dam pumped_hydro" in back.stores.index
    assert back.meta["greenzone_extra_constraints"] == names
    assert len(back.snapshots) == case.hours


def test_to_pypsa_without_pypsa_says_how_to_install(monkeypatch, tmp_path):
    zone, prof = _load(CASES[3], tmp_path)
    monkeypatch.setitem(__import__("sys").modules, "pypsa", None)
    with pytest.raises(GreenzoneError, match=r"pip install 'greenzone\[pypsa\]'"):
        export_network(zone, prof, tmp_path / "n.nc")


def test_greenzone_objective_holds_with_pypsas_objective_constant(tmp_path):
    case = CASES[2]  # existing reservoir, run-of-river and line: a large constant
    zone, prof = _load(case, tmp_path)
    n, extra = to_pypsa(zone, prof)
    status, condition = n.optimize(
        solver_name="highs", extra_functionality=extra, include_objective_constant=True, log_to_console=False
    )
    assert (status, condition) == ("ok", "optimal")
    assert n.objective_constant > 0
    ours = plan(zone, prof).attrs["objective_usd_per_year"]
    assert greenzone_objective(n) == pytest.approx(ours, rel=REL_TOL_OBJECTIVE)
