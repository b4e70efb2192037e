"""Small zones and hand-made profiles for planner tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from greenzone.zone import load_zone


def write_small_zone(tmp_path, body: dict, name: str = "zone.yaml"):
    """Write a zone file from a dict (timezone UTC, year 2027 and zero discount rate by default) and load it."""
    data = {"name": "test zone", "timezone": "UTC", "year": 2027, "economics": {"discount_rate": 0.0}}
    data.update(body)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_zone(path), path


def hand_profiles(zone, hours: int, *, cf=None, demand=None, inflow=None, min_release=None) -> xr.Dataset:
    """Profiles with given values: ``cf``/``inflow``/``min_release`` map (node, tech) to arrays or scalars,
    ``demand`` maps node to an array or scalar [MW]. Everything else is 0 (availability for dispatchables)."""
    time = pd.date_range("2027-01-01", periods=hours, freq="h")
    nodes, techs = zone.node_ids, zone.generator_ids
    shape = (hours, len(nodes), len(techs))
    arrays = {"capacity_factor": np.zeros(shape), "inflow": np.zeros(shape), "min_release": np.zeros(shape)}
    available = np.zeros((len(nodes), len(techs)), dtype=bool)
    for j, node in enumerate(zone.nodes):
        for tech in node.technologies:
            if tech not in techs:
                continue
            k = techs.index(tech)
            available[j, k] = True
            spec = zone.technologies[tech]
            if hasattr(spec, "availability"):
                arrays["capacity_factor"][:, j, k] = spec.availability
            if spec.kind == "hydro_reservoir":
                arrays["capacity_factor"][:, j, k] = 1.0
    for name, given in (("capacity_factor", cf), ("inflow", inflow), ("min_release", min_release)):
        for (node, tech), values in (given or {}).items():
            arrays[name][:, nodes.index(node), techs.index(tech)] = values
    dem = np.zeros((hours, len(nodes)))
    for node, values in (demand or {}).items():
        dem[:, nodes.index(node)] = values
    coords = {"time": time, "node": nodes, "technology": techs}
    dims = ("time", "node", "technology")
    return xr.Dataset(
        {
            "capacity_factor": (dims, arrays["capacity_factor"]),
            "inflow": (dims, arrays["inflow"]),
            "min_release": (dims, arrays["min_release"]),
            "demand": (("time", "node"), dem),
            "available": (("node", "technology"), available),
        },
        coords=coords,
        attrs={"synthetic": 0, "weather_title": "hand-made profiles"},
    )


def geothermal_tech(**override):
    """A geothermal technology with round numbers: 1,000 USD/kW over 20 years, always available."""
    spec = {
        "capex_usd_per_kw": 1000,
        "lifetime_years": 20,
        "availability": 1.0,
        "fixed_om_usd_per_kw_year": 0,
    }
    spec.update(override)
    return spec


def two_node_zone(tmp_path, technologies=None, grid=None, **policy):
    """Two nodes with every family: solar, wind, gas, battery, reservoir, a link and the grid. ``technologies``
    overrides catalogue entries, ``grid`` fields of the grid connection; keyword arguments go into
    ``policy``."""
    body = {
        "nodes": [
            {
                "id": "a",
                "lat": 39.4,
                "lon": 47.0,
                "usable_land_km2": 50,
                "demand": {"annual_mwh": 200000},
                "technologies": {
                    "solar_fixed": {"max_mw": 400},
                    "battery": {},
                    "gas_turbine": {"max_mw": 100},
                },
            },
            {
                "id": "b",
                "lat": 40.1,
                "lon": 46.0,
                "demand": {"annual_mwh": 100000},
                "technologies": {
                    "wind_onshore": {"max_mw": 300},
                    "hydro_reservoir": {
                        "existing_mw": 20,
                        "max_mw": 20,
                        "river": "r",
                        "head_m": 100,
                        "design_flow_m3s": 23,
                        "storage_mwh": 2000,
                        "min_release_m3s": [1] * 12,
                    },
                },
            },
        ],
        "links": [{"from": "a", "to": "b", "length_km": 80, "existing_mw": 20, "max_mw": 200}],
        "grid": {
            "node": "a",
            "import_max_mw": 50,
            "export_max_mw": 50,
            "import_price_usd_per_mwh": 70,
            "export_price_usd_per_mwh": 30,
            "emission_factor_t_per_mwh": 0.45,
            "renewable_share": 0.1,
        },
        "policy": {"value_of_lost_load_usd_per_mwh": 3000, **policy},
        "economics": {"discount_rate": 0.08},
    }
    if technologies:
        body["technologies"] = technologies
    body["grid"].update(grid or {})
    return write_small_zone(tmp_path, body)


def two_node_profiles(zone, hours: int = 96) -> xr.Dataset:
    """Four days of sun, wind, demand and reservoir inflow for :func:`two_node_zone`."""
    t = np.arange(hours)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None)
    wind = 0.3 + 0.25 * np.sin(t / 17.0)
    return hand_profiles(
        zone,
        hours,
        cf={("a", "solar_fixed"): sun, ("b", "wind_onshore"): wind},
        demand={"a": 30 + 10 * np.sin(t / 5), "b": 15.0},
        inflow={("b", "hydro_reservoir"): 8.0},
        min_release={("b", "hydro_reservoir"): 1.0},
    )


def seasonal_hydrogen_zone(tmp_path):
    """One node with solar and hydrogen only, no grid, unserved load forbidden: the seasonal-storage case."""
    zone, _ = write_small_zone(
        tmp_path,
        {
            "nodes": [
                {
                    "id": "a",
                    "lat": 39.4,
                    "lon": 47.0,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {"solar_fixed": {}, "hydrogen": {}},
                }
            ],
            "technologies": {
                "solar_fixed": {
                    "capex_usd_per_kw": 1500,
                    "lifetime_years": 25,
                    "fixed_om_usd_per_kw_year": 0,
                },
                "hydrogen": {"capex_usd_per_kwh": 2, "standing_loss_per_h": 0.0001},
            },
            "policy": {"allow_unserved": False},
        },
        name="hydrogen.yaml",
    )
    return zone
