"""Resource profiles: from a zone and its weather to hourly capacity factors, reservoir inflows and demand.

``profiles(zone, weather)`` returns an :class:`xarray.Dataset` on the weather's time axis with

================== ========================== ======= ===============================================
variable           dims                       unit    meaning
================== ========================== ======= ===============================================
capacity_factor    (time, node, technology)   [-]     available output per MW of capacity, in [0, 1]
inflow             (time, node, technology)   [MW]    reservoir natural inflow, MW equivalent at head
min_release        (time, node, technology)   [MW]    reservoir minimum release, MW equivalent
demand             (time, node)               [MW]    electricity demand
available          (node, technology)         bool    whether the technology stands at the node
================== ========================== ======= ===============================================

``technology`` holds the zone's generating technologies (storage has no profile). A plant's calibration
(``nodes[].technologies.ID.calibration``, fitted by ``greenzone calibrate``) is applied here: to the discharge
reaching a hydro plant, to a PV plant's DC output, to a wind farm's output. Values are 0 where a
technology does not stand at a node. Attributes carry the zone's name and fingerprint, the base year, and
the weather's source, title and ``synthetic`` flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.resources.demand import demand_profiles
from greenzone.resources.dispatchable import availability_capacity_factor
from greenzone.resources.hydro import (
    minimum_release_mw,
    reservoir_inflow_mw,
    river_discharge,
    run_of_river_capacity_factor,
)
from greenzone.resources.solar import solar_capacity_factor
from greenzone.resources.wind import wind_capacity_factor
from greenzone.weather.schema import check_weather
from greenzone.zone.fingerprint import zone_fingerprint
from greenzone.zone.schema import SolarTechnology, WindTechnology, Zone

_SOLAR_PARAMETERS = (
    "tracking",
    "tilt_deg",
    "azimuth_deg",
    "dc_ac_ratio",
    "temp_coefficient_per_c",
    "system_losses",
    "inverter_efficiency",
    "albedo",
    "max_angle_deg",
    "gcr",
)


def profiles(zone: Zone, weather: xr.Dataset, *, year: int | None = None) -> xr.Dataset:
    """Hourly capacity factors, reservoir inflows and demand for every node and technology of ``zone``.

    Parameters
    ----------
    zone : a validated zone (:func:`greenzone.load_zone`).
    weather : a Weather (see :mod:`greenzone.weather.schema`) with one site per node of the zone.
    year : the year whose demand (and later land) applies; default the zone's ``year``.
    """
    check_weather(weather, origin=weather.attrs.get("source", "weather"))
    missing = [n for n in zone.node_ids if n not in weather["site"].values]
    if missing:
        raise WeatherError(
            f"weather ({weather.attrs.get('source', '?')}) has no site for node(s) {', '.join(missing)}; "
            "every node of the zone needs a weather site with the node's id."
        )
    weather = weather.sel(site=zone.node_ids)
    time = pd.DatetimeIndex(weather.indexes["time"])
    techs = zone.generator_ids
    shape = (len(time), len(zone.nodes), len(techs))
    cf = np.zeros(shape)
    inflow = np.zeros(shape)
    min_release = np.zeros(shape)
    available = np.zeros((len(zone.nodes), len(techs)), dtype=bool)

    for k, tech_id in enumerate(techs):
        spec = zone.technologies[tech_id]
        at = [j for j, node in enumerate(zone.nodes) if tech_id in node.technologies]
        if not at:
            continue
        available[at, k] = True
        sites = [zone.nodes[j].id for j in at]
        factors = np.array([zone.nodes[j].technologies[tech_id].calibration_factor for j in at])
        if isinstance(spec, SolarTechnology):
            params = {p: getattr(spec, p) for p in _SOLAR_PARAMETERS}
            cf[:, at, k] = (
                solar_capacity_factor(weather, sites=sites, dc_yield_factor=factors, **params)
                .transpose("time", "site")
                .values
            )
        elif isinstance(spec, WindTechnology):
            roughness = {zone.nodes[j].id: zone.nodes[j].roughness_length_m for j in at}
            cf[:, at, k] = (
                wind_capacity_factor(
                    weather,
                    roughness_length_m=roughness,
                    turbine=spec.turbine,
                    hub_height_m=spec.hub_height_m,
                    loss_factor=spec.loss_factor,
                    sites=sites,
                    yield_factor=factors,
                )
                .transpose("time", "site")
                .values
            )
        elif spec.kind in ("hydro_ror", "hydro_reservoir"):
            for j in at:
                plant = zone.nodes[j].technologies[tech_id]
                field = f"nodes[{j}].technologies.{tech_id}.river"
                discharge = river_discharge(weather, plant.river, field=field)
                if spec.kind == "hydro_ror":
                    cf[:, j, k] = run_of_river_capacity_factor(discharge, plant)
                else:
                    cf[:, j, k] = 1.0
                    inflow[:, j, k] = reservoir_inflow_mw(discharge, plant)
                    min_release[:, j, k] = minimum_release_mw(time, zone.timezone, plant)
        else:  # geothermal, biomass, gas turbine
            cf[:, at, k] = availability_capacity_factor(spec, len(time))[:, None]

    coords = {"time": time.values, "node": zone.node_ids, "technology": techs}
    dims = ("time", "node", "technology")
    ds = xr.Dataset(
        {
            "capacity_factor": xr.DataArray(
                cf, dims=dims, coords=coords, attrs={"units": "1", "long_name": "capacity factor"}
            ),
            "inflow": xr.DataArray(
                inflow, dims=dims, coords=coords, attrs={"units": "MW", "long_name": "reservoir inflow"}
            ),
            "min_release": xr.DataArray(
                min_release,
                dims=dims,
                coords=coords,
                attrs={"units": "MW", "long_name": "reservoir minimum release"},
            ),
            "demand": demand_profiles(zone, weather, year=year),
            "available": xr.DataArray(
                available, dims=("node", "technology"), coords={"node": zone.node_ids, "technology": techs}
            ),
        }
    )
    ds.attrs.update(
        {
            "zone": zone.name,
            "zone_fingerprint": zone_fingerprint(zone),
            "year": zone.year if year is None else year,
            "timezone": zone.timezone,
            "weather_source": weather.attrs.get("source", ""),
            "weather_title": weather.attrs.get("title", ""),
            "synthetic": int(weather.attrs.get("synthetic", 0)),
            "weather_seed": weather.attrs.get("seed", ""),
            "time_convention": "hourly, timezone-naive UTC, label = start of interval",
        }
    )
    return ds


def summary(profiles_ds: xr.Dataset) -> pd.DataFrame:
    """Mean capacity factor [-], full-load hours [h/yr] and mean reservoir inflow [MW] per node and technology.

    Only (node, technology) pairs where the technology stands are listed. A reservoir's capacity factor is
    its turbine availability (1); its water is in ``mean_inflow_mw``.
    """
    cf = profiles_ds["capacity_factor"].mean("time").to_series()
    available = profiles_ds["available"].to_series()
    table = cf[available].rename("capacity_factor").to_frame()
    table["full_load_hours"] = table["capacity_factor"] * 8760.0
    inflow = profiles_ds["inflow"].mean("time").to_series()[available]
    table["mean_inflow_mw"] = inflow
    return table
