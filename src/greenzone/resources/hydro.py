"""Hydro: river discharge [m^3/s] → run-of-river capacity factors, reservoir inflow and minimum release.

Power from water is ``rho g H Q eta`` (:func:`water_power_mw`). A run-of-river plant turbines the discharge
available to it (``flow_share`` of the river, less the ``residual_flow_m3s`` left in the river) up to its
design flow; its capacity factor is ``min(Q_available, Q_design) / Q_design`` [-], which holds for any
installed capacity up to the rated power (the plant is sized with its design flow). A reservoir plant's
inflow and minimum release are expressed as "MW equivalent": the power that water would give through the
plant's turbines at its head [MW]. A plant's calibration (quantity ``flow``, fitted by ``greenzone
calibrate``) multiplies the discharge that reaches it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.zone.schema import GRAVITY, WATER_DENSITY, NodeTechnology


def water_power_mw(flow_m3s, head_m: float, efficiency: float):
    """Electric power of a water flow, rho g H Q eta [MW].

    Parameters
    ----------
    flow_m3s : flow through the turbines [m^3/s].
    head_m : net head [m].
    efficiency : turbine and generator efficiency [-].
    """
    return WATER_DENSITY * GRAVITY * head_m * np.asarray(flow_m3s) * efficiency / 1e6


def river_discharge(weather: xr.Dataset, river: str, *, field: str) -> np.ndarray:
    """Discharge [m^3/s] of ``river`` from the weather; ``field`` names the zone field that asked for it."""
    if "discharge" not in weather or river not in weather["river"].values:
        known = list(weather["river"].values) if "river" in weather.coords else []
        raise WeatherError(
            f"{field}: river '{river}' has no discharge in the weather ({weather.attrs.get('source', '?')}); "
            f"rivers there: {', '.join(map(str, known)) or 'none'}. Add its discharge to the weather or fix the id."
        )
    return weather["discharge"].sel(river=river).values.astype(float)


def run_of_river_capacity_factor(
    discharge_m3s: np.ndarray, plant: NodeTechnology, *, flow_factor: float | None = None
) -> np.ndarray:
    """Hourly capacity factor [-] of a run-of-river plant from river discharge [m^3/s].

    ``flow_factor`` [-] multiplies the discharge reaching the plant, ``flow_share`` of the river's; default the
    plant's calibration (1 without one). The residual flow and the design-flow cap make the result
    nonlinear in it, but never decreasing.
    """
    factor = plant.calibration_factor if flow_factor is None else flow_factor
    available = np.maximum(factor * plant.flow_share * discharge_m3s - plant.residual_flow_m3s, 0.0)
    return np.minimum(available, plant.design_flow_m3s) / plant.design_flow_m3s


def reservoir_inflow_mw(
    discharge_m3s: np.ndarray, plant: NodeTechnology, *, flow_factor: float | None = None
) -> np.ndarray:
    """Natural inflow of a reservoir plant as MW equivalent at its head [MW]; ``flow_factor`` [-] as in
    :func:`run_of_river_capacity_factor`."""
    factor = plant.calibration_factor if flow_factor is None else flow_factor
    return water_power_mw(factor * plant.flow_share * discharge_m3s, plant.head_m, plant.efficiency)


def minimum_release_mw(time: pd.DatetimeIndex, timezone: str, plant: NodeTechnology) -> np.ndarray:
    """Hourly minimum release (turbined plus spilled) as MW equivalent [MW]; months in local time."""
    if plant.min_release_m3s is None:
        return np.zeros(len(time))
    months = time.tz_localize("UTC").tz_convert(timezone).month.to_numpy()
    flow = np.asarray(plant.min_release_m3s, dtype=float)[months - 1]
    return water_power_mw(flow, plant.head_m, plant.efficiency)
