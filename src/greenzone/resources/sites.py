"""Helpers shared by the per-site conversions (solar, wind): picking sites and labelling results."""

from __future__ import annotations

import numpy as np
import xarray as xr

from greenzone.errors import WeatherError


def select_sites(weather: xr.Dataset, sites: list[str] | None) -> xr.Dataset:
    """The Weather restricted to ``sites`` (in that order); WeatherError naming any that are missing."""
    if sites is None:
        return weather
    known = [str(s) for s in weather["site"].to_numpy()]
    missing = [s for s in sites if s not in known]
    if missing:
        raise WeatherError(
            f"weather has no site {', '.join(map(repr, missing))}; it has {', '.join(map(repr, known))}."
        )
    return weather.sel(site=list(sites))


def site_capacity_factor(cf: np.ndarray, weather: xr.Dataset, time, attrs: dict) -> xr.DataArray:
    """A (time, site) capacity factor [MW/MW] labelled with the weather's sites and their coordinates."""
    return xr.DataArray(
        cf,
        dims=("time", "site"),
        coords={
            "time": time,
            "site": weather["site"].to_numpy(),
            "lat": ("site", weather["lat"].to_numpy()),
            "lon": ("site", weather["lon"].to_numpy()),
            "elevation": ("site", weather["elevation"].to_numpy()),
        },
        name="capacity_factor",
        attrs={"units": "MW/MW", **attrs},
    )
