"""Country borders for the report's map, shipped with the package so the report needs no network.

``data/borders_110m.json`` holds the Natural Earth 1:110m Admin 0 countries (public domain,
naturalearthdata.com) as shipped in the ``naturalearth_lowres`` sample of geopandas and pyogrio, converted once
to plain JSON: for each country its name, ISO code, bounding box ``[lon_min, lat_min, lon_max, lat_max]``
[deg], a label point inside it and its rings (exterior and holes) as ``[lon, lat]`` pairs rounded to 1e-4 deg.
At 1:110m a border is drawn within a few kilometres at best: good for orientation, not for siting. It was made
with::

    df = pyogrio.read_dataframe(".../pyogrio/tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp")
    # for each row: polygons' exterior and interior coords, geometry.bounds, representative_point()
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Country:
    """One country outline: rings of (lon, lat) [deg], a bounding box and a label point."""

    name: str
    iso_a3: str
    bbox: tuple[float, float, float, float]
    label: tuple[float, float]
    rings: tuple[tuple[tuple[float, float], ...], ...]


@lru_cache(maxsize=1)
def _load() -> tuple[str, tuple[Country, ...]]:
    text = resources.files("greenzone.report").joinpath("data/borders_110m.json").read_text("utf-8")
    data = json.loads(text)
    countries = tuple(
        Country(
            name=c["name"],
            iso_a3=c["iso_a3"],
            bbox=tuple(c["bbox"]),
            label=tuple(c["label"]),
            rings=tuple(tuple(tuple(point) for point in ring) for ring in c["rings"]),
        )
        for c in data["countries"]
    )
    return data["source"], countries


def borders_source() -> str:
    """Where the shipped outlines come from (for the map's note)."""
    return _load()[0]


def countries_in(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> list[Country]:
    """Countries whose bounding box meets the box [deg]."""
    return [
        c
        for c in _load()[1]
        if c.bbox[0] <= lon_max and c.bbox[2] >= lon_min and c.bbox[1] <= lat_max and c.bbox[3] >= lat_min
    ]


def _inside(x: np.ndarray, y: np.ndarray, ring: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Even-odd rule: which points (x, y) lie inside the closed ring."""
    xr_ = np.array([p[0] for p in ring])
    yr_ = np.array([p[1] for p in ring])
    inside = np.zeros(x.shape, dtype=bool)
    for x0, y0, x1, y1 in zip(xr_[:-1], yr_[:-1], xr_[1:], yr_[1:], strict=True):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
    return inside


def label_points(
    countries: list[Country],
    lon_min: float,
    lat_min: float,
    lon_max: float,
    lat_max: float,
    *,
    avoid: list[tuple[float, float]] = (),
    n: int = 40,
) -> list[tuple[float, float, str]]:
    """A label position (lon, lat) [deg] inside the box for every country covering a fair share of it.

    Samples an ``n`` × ``n`` grid over the box and keeps the countries that cover at least 4% of it. Each label
    goes to the grid point of its country that stays clear of the ``avoid`` points (e.g. the nodes) and near
    the middle of the country's part of the box.
    """
    gx, gy = np.meshgrid(np.linspace(lon_min, lon_max, n), np.linspace(lat_min, lat_max, n))
    x, y = gx.ravel(), gy.ravel()
    out = []
    for country in countries:
        inside = np.zeros(x.shape, dtype=bool)
        for ring in country.rings:
            inside ^= _inside(x, y, ring)
        if inside.sum() < 0.04 * x.size:
            continue
        cx, cy = x[inside].mean(), y[inside].mean()
        span = max(lon_max - lon_min, lat_max - lat_min)
        clear = np.full(x.shape, span)
        for ax_, ay_ in avoid:
            clear = np.minimum(clear, np.hypot(x - ax_, y - ay_))
        score = np.minimum(clear, 0.12 * span) - 0.3 * np.hypot(x - cx, y - cy)
        k = int(np.argmax(np.where(inside, score, -np.inf)))
        out.append((float(x[k]), float(y[k]), country.name))
    return out


__all__ = ["Country", "borders_source", "countries_in", "label_points"]
