"""Forced outages of generating units, storage units, link circuits and the grid connection.

The model
---------
Every unit is a two-state Markov chain in hourly steps, independent of every other unit:

* **Transitions.** Up → down with probability ``f`` per hour, down → up with probability ``r`` per hour,
  where ``r = 1 / MTTR`` and ``f = r · FOR / (1 − FOR)`` for a forced outage rate FOR [-] and a mean time to
  repair MTTR [h] (:func:`transition_probabilities`). The stationary share of hours on outage is then exactly
  ``f / (f + r) = FOR``. Outages last a geometric number of hours with mean ``1 / r = MTTR`` [h]; up times a
  geometric number with mean ``MTTR · (1 − FOR) / FOR`` [h]. Consecutive hours are correlated: the lag-k
  autocorrelation of a unit's state is ``(1 − f − r)^k`` [-].
* **Stationary start.** The first hour's state is drawn from the stationary distribution (down with
  probability FOR), so every hour of a sampled year has the same outage probability and no warm-up is needed.
* **Units.** An asset of capacity P [MW] with unit size s [MW] (the technology's ``unit_size_mw``; storage by
  its discharge power) is n = ceil(P / s) equal units of P / n [MW] each (:func:`unit_count`); a link or the
  grid connection is its ``circuits`` equal circuits. The share of an asset available in an hour is the number
  of its units up divided by n [-], so it is a multiple of 1 / n.
* **Hours.** The chain steps once per label of the time index, which must be consecutive hours; hence
  MTTR ≥ 1 h.

Randomness: ``np.random.SeedSequence([seed, year_index])`` is spawned into one child per asset in a fixed
order (generators by (node, technology), storage by (node, storage), links in file order, then the grid),
whether or not the asset has capacity or can fail. Each year is reproducible on its own, whatever order or
process the years run in, and changing one asset does not change the draws of another.

For analytic checks, :func:`capacity_outage_table` gives the exact distribution of capacity on outage of a
set of independent two-state units (the recursive capacity model building of Billinton & Allan, *Reliability
Evaluation of Power Systems*, 2nd ed., 1996, chapter 2), and :func:`loss_of_load_probability` the probability
that the available capacity falls short of a load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.zone.schema import Zone

__all__ = [
    "capacity_outage_table",
    "loss_of_load_probability",
    "sample_availability",
    "transition_probabilities",
    "unit_count",
    "unit_states",
]

CAPACITY_TOL_MW = 1e-9
"""Capacities at or below this are taken as none [MW]; also the tolerance of unit counts and load comparisons."""

_GRID_MW = 1e9
"""Outage tables add unit sizes on a grid of 1e-9 MW (integers per MW), so equal sums are equal keys."""


# ------------------------------------------------------------------------------------------ one unit
def transition_probabilities(forced_outage_rate: float, mean_time_to_repair_h: float) -> tuple[float, float]:
    """Hourly transition probabilities of a two-state Markov unit.

    Parameters
    ----------
    forced_outage_rate : float
        Share of time the unit is on forced outage, the stationary probability of being down [-], 0 ≤ FOR < 1.
    mean_time_to_repair_h : float
        Mean duration of an outage [h], at least 1 (one step of the hourly chain).

    Returns
    -------
    fail, repair : float
        Probability per hour of going from up to down and from down to up [-]: ``repair = 1 / MTTR`` and
        ``fail = repair · FOR / (1 − FOR)``, so the stationary outage share is exactly FOR and outages last
        MTTR hours on average (geometric).

    Raises
    ------
    ValueError
        When FOR is outside [0, 1), MTTR < 1 h, or ``fail`` would exceed 1 (FOR above 0.5 with a short MTTR).
    """
    q, mttr = float(forced_outage_rate), float(mean_time_to_repair_h)
    if not 0.0 <= q < 1.0:
        raise ValueError(f"forced_outage_rate must be in [0, 1), got {forced_outage_rate!r}")
    if not mttr >= 1.0:
        raise ValueError(
            f"mean_time_to_repair_h must be at least 1 h (one step of the hourly chain), "
            f"got {mean_time_to_repair_h!r}"
        )
    repair = 1.0 / mttr
    fail = repair * q / (1.0 - q)
    if fail > 1.0:
        raise ValueError(
            f"forced_outage_rate {q} with mean_time_to_repair_h {mttr} needs more than one failure per hour "
            f"(probability {fail:.3g}); use mean_time_to_repair_h >= {q / (1.0 - q):.3g} h"
        )
    return fail, repair


class _Outages(NamedTuple):
    """Outage intervals of a set of units: unit ``unit[i]`` is down in hours [start[i], end[i]) [h]."""

    unit: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _draw_outages(
    n_units: int,
    n_hours: int,
    forced_outage_rate: float,
    fail: float,
    repair: float,
    rng: np.random.Generator,
) -> _Outages:
    """The chain of every unit over ``n_hours``, drawn as its alternating up and down runs (holding times).

    A two-state chain that leaves a state with probability p per hour stays in it a geometric number of hours
    (1, 2, ..., mean 1/p) independent of the past, so drawing the runs gives exactly the hour-by-hour chain,
    with work and memory in proportion to the number of outages rather than to units × hours. Hour 0 is down
    with probability FOR (the stationary distribution); a unit down at hour 0 comes back after a geometric
    number of hours, one up at hour 0 fails after one. Every returned outage starts before ``n_hours``.
    """
    empty = np.zeros(0, dtype=np.int64)
    if n_units == 0 or n_hours == 0 or fail == 0.0:
        return _Outages(empty, empty, empty)
    down0 = rng.random(n_units) < forced_outage_rate
    cap = n_hours + 1  # a run that long covers the horizon; capping keeps sums far from overflow
    next_up = np.where(down0, np.minimum(rng.geometric(repair, n_units), cap), 0).astype(
        np.int64
    )  # 0: up at 0
    first = np.flatnonzero(down0)
    units, starts, ends = [first], [np.zeros(first.size, dtype=np.int64)], [next_up[first]]
    mean_cycle_h = 1.0 / fail + 1.0 / repair
    active = np.flatnonzero(next_up < n_hours)
    while active.size:
        k = math.ceil(1.2 * (n_hours - next_up[active].min()) / mean_cycle_h) + 4  # cycles to draw per unit
        up_h = np.minimum(rng.geometric(fail, (active.size, k)), cap)
        down_h = np.minimum(rng.geometric(repair, (active.size, k)), cap)
        cycle_end = next_up[active, None] + np.cumsum(up_h + down_h, axis=1)
        fails_at = cycle_end - down_h
        keep = fails_at < n_hours
        units.append(np.broadcast_to(active[:, None], keep.shape)[keep])
        starts.append(fails_at[keep])
        ends.append(cycle_end[keep])
        next_up[active] = cycle_end[:, -1]
        active = active[next_up[active] < n_hours]
    return _Outages(np.concatenate(units), np.concatenate(starts), np.concatenate(ends))


def _down_count(outages: _Outages, n_hours: int) -> np.ndarray:
    """Number of units down in each hour [-]."""
    change = np.bincount(outages.start, minlength=n_hours + 1) - np.bincount(
        np.minimum(outages.end, n_hours), minlength=n_hours + 1
    )
    return np.cumsum(change)[:n_hours]


def unit_states(
    n_units: int,
    n_hours: int,
    forced_outage_rate: float,
    mean_time_to_repair_h: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Hourly up/down states of ``n_units`` independent two-state Markov units.

    Parameters
    ----------
    n_units : int
        Number of units [-].
    n_hours : int
        Number of consecutive hours [h].
    forced_outage_rate : float
        Stationary share of time a unit is on outage [-].
    mean_time_to_repair_h : float
        Mean outage duration [h], at least 1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        (n_units, n_hours) bool, True = available. The first hour is drawn from the stationary distribution;
        then each unit follows the hourly chain, drawn (vectorised over units) as its alternating up and down
        runs, which is the same process in distribution: geometric holding times are what an hourly chain
        with constant transition probabilities produces.
    """
    if n_units < 0 or n_hours < 0:
        raise ValueError(f"n_units and n_hours must be >= 0, got {n_units} and {n_hours}")
    fail, repair = transition_probabilities(forced_outage_rate, mean_time_to_repair_h)
    outages = _draw_outages(n_units, n_hours, forced_outage_rate, fail, repair, rng)
    width = n_hours + 1
    flat_start = outages.unit * width + outages.start
    flat_end = outages.unit * width + np.minimum(outages.end, n_hours)
    change = np.bincount(flat_start, minlength=n_units * width) - np.bincount(
        flat_end, minlength=n_units * width
    )
    return np.cumsum(change.reshape(n_units, width), axis=1)[:, :n_hours] == 0


def unit_count(capacity_mw: float, unit_size_mw: float) -> int:
    """Number of equal units an asset is split into.

    Parameters
    ----------
    capacity_mw : float
        Capacity of the asset [MW]; at or below 1e-9 MW it counts as none (solver noise of a plan).
    unit_size_mw : float
        Size of one unit [MW], > 0.

    Returns
    -------
    int
        ``ceil(capacity / unit size)`` with a tolerance of 1e-9 (so 30.000000001 MW of 10 MW units is 3 units),
        at least 1 for any capacity above 1e-9 MW, and 0 for none. Each unit carries capacity / n [MW].
    """
    capacity, size = float(capacity_mw), float(unit_size_mw)
    if not size > 0.0 or not math.isfinite(size):
        raise ValueError(f"unit_size_mw must be a finite number > 0, got {unit_size_mw!r}")
    if not math.isfinite(capacity) or capacity < -CAPACITY_TOL_MW:
        raise ValueError(f"capacity_mw must be a finite number >= 0, got {capacity_mw!r}")
    if capacity <= CAPACITY_TOL_MW:
        return 0
    return max(1, math.ceil(capacity / size - 1e-9))


# ------------------------------------------------------------------------------------------ a zone
def grid_capacity_mw(zone: Zone) -> float:
    """Capacity of the grid connection that its circuits share: the larger of import and export [MW]; 0
    without a connection."""
    return 0.0 if zone.grid is None else max(zone.grid.import_max_mw, zone.grid.export_max_mw)


def _check_time(time: pd.DatetimeIndex) -> None:
    if not isinstance(time, pd.DatetimeIndex):
        raise ValueError(f"time must be a pandas DatetimeIndex, got {type(time).__name__}")
    if len(time) > 1:
        if not np.all(np.diff(time.values) == np.timedelta64(1, "h")):
            raise ValueError(
                "time must be consecutive hours (the outage chain steps one hour per label); "
                "pass one gap-free hourly year, e.g. a Profiles' time index"
            )


def _capacity_grid(capacities: xr.Dataset, name: str, coords: dict[str, list[str]]) -> np.ndarray:
    """The values of ``capacities[name]`` on the zone's labels, in the zone's order [MW]."""
    if not all(coords.values()):
        return np.zeros(tuple(len(v) for v in coords.values()))
    if name not in capacities:
        raise ValueError(
            f"capacities: variable {name!r} is missing; pass a Plan or greenzone.operate.existing_capacities(zone)"
        )
    da = capacities[name]
    if set(da.dims) != set(coords):
        raise ValueError(f"capacities: {name} has dims {da.dims}, expected {tuple(coords)}")
    try:
        values = da.sel(coords).transpose(*coords).values.astype(float)
    except KeyError as err:
        raise ValueError(
            f"capacities: {name} lacks a label of this zone ({err}); were they made for this zone?"
        ) from None
    if np.isnan(values).any():
        raise ValueError(f"capacities: {name} holds NaN; every capacity must be a number [MW]")
    return values


class _Asset(NamedTuple):
    """One asset to draw: ``n`` units with their outage figures, its seed, and where its result goes."""

    n: int
    forced_outage_rate: float
    mean_time_to_repair_h: float
    seed: np.random.SeedSequence
    group: str
    index: tuple[int, ...]


def sample_availability(
    zone: Zone,
    capacities: xr.Dataset,
    time: pd.DatetimeIndex,
    *,
    seed: int,
    year_index: int = 0,
) -> xr.Dataset:
    """Share of each asset's capacity available in every hour, with random forced outages.

    Parameters
    ----------
    zone : Zone
        The zone: unit sizes and outage figures of technologies, links (``circuits``) and the grid connection.
    capacities : xarray.Dataset
        A Plan or :func:`greenzone.operate.existing_capacities` of the zone: ``capacity`` (node, technology)
        [MW], ``storage_discharge_capacity`` (node, storage) [MW] and ``link_capacity`` (link) [MW]. Storage
        units are sized by their discharge power; the share applies to the storage's power.
    time : pandas.DatetimeIndex
        Consecutive hours of the sampled year.
    seed : int
        Seed of the study [-], >= 0.
    year_index : int
        Which sampled year [-], >= 0; with ``seed`` it fixes every draw of that year.

    Returns
    -------
    xarray.Dataset
        Coordinates node, technology, storage, link and time as in a Plan, and the available share [-] of
        ``generator_availability`` (node, technology, time), ``storage_availability`` (node, storage, time),
        ``link_availability`` (link, time) and ``grid_availability`` (time): the share of the asset's units
        (or circuits) that are up, a multiple of 1 / n. The grid connection, max(import_max_mw,
        export_max_mw) split over its circuits, is all ones without ``zone.grid``; so is every asset with no
        capacity or a forced outage rate of 0.
    """
    _check_time(time)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if isinstance(year_index, bool) or not isinstance(year_index, (int, np.integer)) or year_index < 0:
        raise ValueError(f"year_index must be an integer >= 0, got {year_index!r}")
    nodes, techs, stores = zone.node_ids, list(zone.generator_ids), list(zone.storage_ids)
    links = [link.name for link in zone.links]
    n_hours = len(time)

    gen_cap = _capacity_grid(capacities, "capacity", {"node": nodes, "technology": techs})
    sto_cap = _capacity_grid(capacities, "storage_discharge_capacity", {"node": nodes, "storage": stores})
    link_cap = _capacity_grid(capacities, "link_capacity", {"link": links})

    out = {
        "generator": np.ones((len(nodes), len(techs), n_hours)),
        "storage": np.ones((len(nodes), len(stores), n_hours)),
        "link": np.ones((len(links), n_hours)),
        "grid": np.ones(n_hours),
    }

    # One child seed per asset, in an order fixed by the zone alone (not by capacities or outage rates).
    n_assets = len(nodes) * (len(techs) + len(stores)) + len(links) + 1
    children = iter(np.random.SeedSequence([int(seed), int(year_index)]).spawn(n_assets))
    assets: list[_Asset] = []

    def add(n: int, spec, group: str, index: tuple[int, ...]) -> None:
        child = next(children)
        if n > 0 and spec.forced_outage_rate > 0.0:
            assets.append(_Asset(n, spec.forced_outage_rate, spec.mean_time_to_repair_h, child, group, index))

    for group, ids, caps in (("generator", techs, gen_cap), ("storage", stores, sto_cap)):
        for i, node in enumerate(nodes):
            for k, tech_id in enumerate(ids):
                spec = zone.technologies[tech_id]
                try:
                    n = unit_count(caps[i, k], spec.unit_size_mw)
                except ValueError as err:
                    raise ValueError(f"capacities: {node}/{tech_id}: {err}") from None
                add(n, spec, group, (i, k))
    for j, link in enumerate(zone.links):
        add(link.circuits if link_cap[j] > CAPACITY_TOL_MW else 0, link, "link", (j,))
    grid = zone.grid
    if grid_capacity_mw(zone) > CAPACITY_TOL_MW:
        add(grid.circuits, grid, "grid", ())
    else:
        next(children)

    for asset in assets:
        fail, repair = transition_probabilities(asset.forced_outage_rate, asset.mean_time_to_repair_h)
        rng = np.random.default_rng(asset.seed)
        outages = _draw_outages(asset.n, n_hours, asset.forced_outage_rate, fail, repair, rng)
        out[asset.group][asset.index] = 1.0 - _down_count(outages, n_hours) / asset.n

    unit = {"units": "1"}
    return xr.Dataset(
        {
            "generator_availability": (
                ("node", "technology", "time"),
                out["generator"],
                {**unit, "long_name": "share of generating capacity not on forced outage"},
            ),
            "storage_availability": (
                ("node", "storage", "time"),
                out["storage"],
                {**unit, "long_name": "share of storage (discharge) power not on forced outage"},
            ),
            "link_availability": (
                ("link", "time"),
                out["link"],
                {**unit, "long_name": "share of link capacity not on forced outage"},
            ),
            "grid_availability": (
                ("time",),
                out["grid"],
                {**unit, "long_name": "share of the grid connection not on forced outage"},
            ),
        },
        coords={"node": nodes, "technology": techs, "storage": stores, "link": links, "time": time},
        attrs={
            "title": f"forced-outage availability of {zone.name}",
            "seed": int(seed),
            "year_index": int(year_index),
        },
    )


# ------------------------------------------------------------------------------------------ analytic
def _grid_keys(
    unit_mw: Sequence[float], forced_outage_rate: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.asarray(unit_mw, dtype=float).reshape(-1)
    rates = np.asarray(forced_outage_rate, dtype=float).reshape(-1)
    if sizes.shape != rates.shape:
        raise ValueError(
            f"unit_mw and forced_outage_rate must have the same length, got {sizes.size} and {rates.size}"
        )
    if not np.all(np.isfinite(sizes)) or np.any(sizes < 0):
        raise ValueError("unit_mw must be finite sizes >= 0 [MW]")
    if not np.all((rates >= 0) & (rates <= 1)):
        raise ValueError("forced_outage_rate must be in [0, 1]")
    return np.rint(sizes * _GRID_MW).astype(np.int64), rates


def _outage_distribution(keys: np.ndarray, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recursive convolution: sorted outage keys [1e-9 MW] and the probability of exactly each."""
    out_keys = np.zeros(1, dtype=np.int64)
    prob = np.ones(1)
    for size, q in zip(keys, rates, strict=True):
        merged = np.concatenate([out_keys, out_keys + size])
        weights = np.concatenate([prob * (1.0 - q), prob * q])
        out_keys, inverse = np.unique(merged, return_inverse=True)
        prob = np.bincount(inverse.reshape(-1), weights=weights, minlength=out_keys.size)
    return out_keys, prob


def capacity_outage_table(unit_mw: Sequence[float], forced_outage_rate: Sequence[float]) -> pd.Series:
    """Capacity outage probability table of independent two-state units (Billinton & Allan, chapter 2).

    Parameters
    ----------
    unit_mw : sequence of float
        Size of each unit [MW].
    forced_outage_rate : sequence of float
        Forced outage rate of each unit [-].

    Returns
    -------
    pandas.Series
        Index ``outage_mw``: capacity out of service [MW], sorted, each an exact sum of unit sizes (sums are
        taken on a 1e-9 MW grid, so equal sums are one entry); values: probability of exactly that outage [-].
        Built by adding one unit at a time, P'(X) = P(X)·(1 − q) + P(X − C)·q; the values sum to 1.
    """
    keys, rates = _grid_keys(unit_mw, forced_outage_rate)
    out_keys, prob = _outage_distribution(keys, rates)
    table = pd.Series(prob, index=pd.Index(out_keys / _GRID_MW, name="outage_mw"), name="probability")
    table.attrs["units"] = "1"
    return table


def loss_of_load_probability(
    unit_mw: Sequence[float], forced_outage_rate: Sequence[float], load_mw: float
) -> float:
    """Probability that the available capacity is below the load.

    Parameters
    ----------
    unit_mw : sequence of float
        Size of each unit [MW].
    forced_outage_rate : sequence of float
        Forced outage rate of each unit [-].
    load_mw : float
        Load to be met [MW].

    Returns
    -------
    float
        P(installed − outage < load) [-] from :func:`capacity_outage_table`; "below" is strict with a tolerance
        of 1e-9 MW, so capacity that exactly meets the load is enough.
    """
    keys, rates = _grid_keys(unit_mw, forced_outage_rate)
    out_keys, prob = _outage_distribution(keys, rates)
    available_mw = (int(keys.sum()) - out_keys) / _GRID_MW
    return min(1.0, float(prob[available_mw < float(load_mw) - CAPACITY_TOL_MW].sum()))
