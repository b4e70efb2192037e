"""Typical days: cluster the calendar days of a year of profiles into a few representative days.

``typical_days(profiles, n_days)`` follows the method of tsam (Kotzur et al. 2018, "Impact of different time
series aggregation methods on optimal energy system design", Renewable Energy 117), written with numpy and
scipy so that greenzone keeps its own pins:

1. Cut the time axis into calendar days of 24 hours (UTC, or local midnight with ``timezone``).
2. Describe each day by its hourly values of every *attribute*: the capacity factor of each available
   (node, technology) pair whose profile varies, each reservoir's inflow and each node's demand. Each
   attribute is min-max normalised over the whole horizon (to [0, 1]), as tsam does, so that no unit
   dominates the distance between days.
3. With ``extremes``, take out the day of highest net load and the day of lowest renewable availability
   (one day if they coincide); each becomes a period of its own that stands for that day (and for any day
   identical to it, so that the same weather year given twice gives the same typical days as once).
4. Cluster the other days with hierarchical Ward clustering (``scipy.cluster.hierarchy.linkage``), cutting
   the tree at ``n_days`` minus the number of extreme periods clusters.
5. Represent each cluster by its medoid: the member day closest (Euclidean, normalised) to the cluster's
   centre. Representatives are real days, so every hourly value stays physically consistent.

The result, :class:`Aggregation`, carries the representative profiles on the representative days' real
hours (so all per-hour code works unchanged), the weight of each representative hour (the number of days its
cluster stands for), the cluster of every original day, and :meth:`Aggregation.expand` to map results on the
representative hours back onto every original hour.

Everything is deterministic: ties go to the earliest day (a medoid within rounding of the closest counts as
tied). Profiles over several weather years are clustered as one horizon: the days of all years together.

Net load and renewable availability
-----------------------------------
Net load of a day is Σ_hours (Σ_n D_{n,t} − Σ_g W_g cf_{g,t}) [MWh] over solar, wind and run-of-river pairs g,
with W_g [MW] from ``net_load_weights``. By default every such pair gets the same W, chosen so that their
mean total output equals the mean total demand (renewables that cover the demand on average). Renewable
availability of a day is Σ_hours Σ_g W_g cf_{g,t}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.cluster.hierarchy import linkage

from greenzone.errors import GreenzoneError, WeatherError

HOURS_PER_DAY = 24
RENEWABLE_ID_HINTS = ("solar", "wind", "ror")
"""Without ``renewables``, technology ids that contain one of these count as variable renewables."""

__all__ = ["AggregationError", "Aggregation", "typical_days"]


class AggregationError(GreenzoneError, ValueError):
    """The typical-period options do not fit the profiles (too few or too many typical days)."""

    exit_code = 2


@dataclass(frozen=True, eq=False)
class Aggregation:
    """Typical days of a set of profiles.

    Attributes
    ----------
    profiles : xarray.Dataset
        The representative days' profiles: ``time`` holds the real hours of each representative day,
        concatenated in cluster order (cluster k covers positions k·H … k·H + H − 1).
    weights : numpy.ndarray
        Per representative hour: the number of days its cluster stands for [h per h] (shape (K·H,)).
    day_cluster : numpy.ndarray
        The cluster index of every original day, in calendar order (shape (D,)).
    cluster_days : pandas.DatetimeIndex
        The original date (its first hour) of each cluster's representative day (length K).
    original_time : pandas.DatetimeIndex
        The original time axis (length D·H).
    extreme_clusters : tuple of int
        Clusters that hold one extreme day on their own (highest net load, lowest renewable availability),
        with any day identical to it.
    n_hours_per_period : int
        Hours per period H (24).
    """

    profiles: xr.Dataset
    weights: np.ndarray
    day_cluster: np.ndarray
    cluster_days: pd.DatetimeIndex
    original_time: pd.DatetimeIndex
    extreme_clusters: tuple[int, ...] = ()
    n_hours_per_period: int = HOURS_PER_DAY

    @property
    def n_periods(self) -> int:
        """Number of representative periods K."""
        return len(self.cluster_days)

    @property
    def n_original_periods(self) -> int:
        """Number of original days D."""
        return len(self.day_cluster)

    @property
    def cluster_size(self) -> np.ndarray:
        """Days each cluster stands for (shape (K,))."""
        return np.bincount(self.day_cluster, minlength=self.n_periods)

    def hour_index(self) -> np.ndarray:
        """For every original hour, the position of the representative hour that stands for it (D·H,)."""
        h = self.n_hours_per_period
        return (self.day_cluster[:, None] * h + np.arange(h)[None, :]).ravel()

    def expand(self, values, axis: int = 0):
        """Map values over the representative hours onto every original hour.

        Parameters
        ----------
        values : numpy.ndarray or xarray.DataArray or xarray.Dataset
            A numpy array whose ``axis`` has length K·H, or an xarray object with a ``time`` dimension over
            the representative hours (its ``time`` becomes the original time axis).
        axis : int
            The time axis of a numpy array (default 0).

        Returns
        -------
        numpy.ndarray or xarray object
            Every original day takes its cluster's representative day; the time axis has length D·H.
        """
        index = self.hour_index()
        if isinstance(values, (xr.DataArray, xr.Dataset)):
            if values.sizes.get("time") != len(self.weights):
                raise ValueError(
                    f"expand: expected a time dimension of {len(self.weights)} representative hours, "
                    f"got {values.sizes.get('time')}"
                )
            return values.isel(time=index).assign_coords(time=self.original_time.values)
        arr = np.asarray(values)
        if arr.shape[axis] != len(self.weights):
            raise ValueError(
                f"expand: axis {axis} has length {arr.shape[axis]}, but there are {len(self.weights)} "
                "representative hours"
            )
        return np.take(arr, index, axis=axis)


def _days(time: pd.DatetimeIndex, timezone: str | None) -> int:
    """Number of whole days of the time axis; raises unless it is hourly and cut at midnight."""
    if len(time) == 0:
        raise WeatherError("typical days: the profiles have no hours.")
    if len(time) > 1 and not (np.diff(time.values) == np.timedelta64(1, "h")).all():
        raise WeatherError(
            "typical days: the profiles' time axis must be hourly without gaps; resample or fill it first."
        )
    start = time[0]
    where = "UTC"
    if timezone is not None:
        local = time.tz_localize("UTC").tz_convert(timezone)
        start, where = local[0], f"local time ({timezone})"
        if len(set(local.map(lambda t: t.utcoffset()))) > 1:
            raise WeatherError(
                f"typical days: {timezone} changes its UTC offset within the profiles (daylight saving), so "
                "its days do not all have 24 hours; use timezone=None (UTC days)."
            )
    if start.hour != 0 or start.minute != 0 or len(time) % HOURS_PER_DAY:
        raise WeatherError(
            f"typical days need whole days: the profiles start at {start:%Y-%m-%d %H:%M} {where} and have "
            f"{len(time)} hours ({len(time) % HOURS_PER_DAY} beyond whole days); give profiles that start at "
            f"midnight {where} and cover whole days."
        )
    return len(time) // HOURS_PER_DAY


def _vre_mask(profiles: xr.Dataset, renewables: Sequence[str] | None) -> np.ndarray:
    """(node, technology) pairs of variable renewables (solar, wind, run-of-river) that stand."""
    techs = [str(t) for t in profiles["technology"].values]
    if renewables is None:
        is_vre = np.array([any(h in t for h in RENEWABLE_ID_HINTS) for t in techs], dtype=bool)
    else:
        unknown = sorted(set(renewables) - set(techs))
        if unknown:
            raise ValueError(f"renewables: {unknown} are not technologies of the profiles ({techs})")
        is_vre = np.array([t in renewables for t in techs], dtype=bool)
    available = profiles["available"].transpose("node", "technology").values.astype(bool)
    return available & is_vre[None, :]


def _features(profiles: xr.Dataset, n_days: int) -> np.ndarray:
    """(day, attribute × hour) matrix of min-max normalised attributes (constant attributes dropped)."""
    columns = []
    cf = profiles["capacity_factor"].transpose("node", "technology", "time").values
    available = profiles["available"].transpose("node", "technology").values.astype(bool)
    columns += [cf[i, k] for i, k in zip(*np.nonzero(available), strict=True)]
    inflow = profiles["inflow"].transpose("node", "technology", "time").values
    columns += [inflow[i, k] for i, k in zip(*np.nonzero(available), strict=True)]
    demand = profiles["demand"].transpose("node", "time").values
    columns += list(demand)
    normalised = []
    for values in columns:
        low, high = float(values.min()), float(values.max())
        if high - low <= 1e-12 * max(1.0, abs(high)):
            continue  # constant: says nothing about which days are alike
        normalised.append(((values - low) / (high - low)).reshape(n_days, HOURS_PER_DAY))
    if not normalised:
        return np.zeros((n_days, 1))
    return np.concatenate(normalised, axis=1)


def _net_load_weights(profiles: xr.Dataset, vre: np.ndarray, given) -> np.ndarray:
    """W_g [MW] per (node, technology): given, or equal for every VRE pair so that they cover mean demand."""
    shape = vre.shape
    if given is not None:
        if isinstance(given, xr.DataArray):
            w = given.transpose("node", "technology").values.astype(float)
        elif isinstance(given, Mapping):
            w = np.zeros(shape)
            nodes = [str(n) for n in profiles["node"].values]
            techs = [str(t) for t in profiles["technology"].values]
            for (node, tech), mw in given.items():
                w[nodes.index(node), techs.index(tech)] = float(mw)
        else:
            w = np.asarray(given, dtype=float)
        if w.shape != shape:
            raise ValueError(f"net_load_weights must have shape (node, technology) {shape}, got {w.shape}")
        return np.where(vre, w, 0.0)
    cf = profiles["capacity_factor"].transpose("node", "technology", "time").values
    mean_cf = cf.mean(axis=2)
    supply = float(mean_cf[vre].sum())
    demand = float(profiles["demand"].sum("node").mean())
    if supply <= 0:
        return np.zeros(shape)
    scale = demand / supply if demand > 0 else 1.0
    return np.where(vre, scale, 0.0)


def _extreme_days(profiles: xr.Dataset, n_days: int, net_load_weights, renewables) -> list[int]:
    """Days of highest net load and of lowest renewable availability (deduplicated, in that order)."""
    vre = _vre_mask(profiles, renewables)
    w = _net_load_weights(profiles, vre, net_load_weights)
    cf = profiles["capacity_factor"].transpose("time", "node", "technology").values
    renewable = (cf * w[None]).sum(axis=(1, 2)).reshape(n_days, HOURS_PER_DAY).sum(axis=1)
    demand = profiles["demand"].sum("node").values.reshape(n_days, HOURS_PER_DAY).sum(axis=1)
    days = [int(np.argmax(demand - renewable))]
    if vre.any() and (w > 0).any():
        low = int(np.argmin(renewable))
        if low not in days:
            days.append(low)
    return days


def _ward_clusters(features: np.ndarray, n_clusters: int) -> np.ndarray:
    """Cluster label of each row, cutting the Ward tree at exactly ``n_clusters`` clusters."""
    n = len(features)
    if n_clusters >= n:
        return np.arange(n)
    if n_clusters == 1:
        return np.zeros(n, dtype=int)
    tree = linkage(features, method="ward", metric="euclidean")
    # replay the first n − k merges (union-find): exactly k clusters, ties broken as scipy ordered them
    parent = np.arange(2 * n - 1)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for m in range(n - n_clusters):
        a, b = int(tree[m, 0]), int(tree[m, 1])
        parent[root(a)] = n + m
        parent[root(b)] = n + m
    roots = np.array([root(i) for i in range(n)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels


def _medoid(features: np.ndarray, members: np.ndarray) -> int:
    """The member closest to the centre of its cluster (the earliest on ties, within rounding: a cluster of two
    days has its centre half-way, and which day rounding favours must not depend on how many days repeat)."""
    centre = features[members].mean(axis=0)
    distance = ((features[members] - centre) ** 2).sum(axis=1)
    closest = distance <= distance.min() * (1.0 + 1e-9) + 1e-12
    return int(members[int(np.argmax(closest))])


def typical_days(
    profiles: xr.Dataset,
    n_days: int,
    *,
    extremes: bool = True,
    timezone: str | None = None,
    renewables: Sequence[str] | None = None,
    net_load_weights: xr.DataArray | Mapping[tuple[str, str], float] | np.ndarray | None = None,
    keep_days: Sequence[int] = (),
) -> Aggregation:
    """Cluster the days of ``profiles`` into ``n_days`` typical days (see this module's docstring).

    Parameters
    ----------
    profiles : xarray.Dataset
        Profiles (:func:`greenzone.profiles`) on an hourly axis of whole days.
    n_days : int
        Number of representative days K, extreme days included; at most the number of days. With K equal to
        the number of days every day is its own cluster and the profiles come back unchanged.
    extremes : bool
        Keep the day of highest net load and the day of lowest renewable availability as periods of their
        own (default True).
    timezone : str, optional
        Cut days at local midnight of this IANA zone (whose UTC offset must not change within the profiles);
        default UTC midnight.
    renewables : sequence of str, optional
        Technology ids of the variable renewables (solar, wind, run-of-river) that enter net load and
        renewable availability; default the ids that contain "solar", "wind" or "ror".
    net_load_weights : xarray.DataArray (node, technology), mapping (node, technology) → MW, or array, optional
        Capacity W_g [MW] that weighs each variable renewable's capacity factor in net load; default equal
        weights that cover the mean demand.
    keep_days : sequence of int, optional
        Days (index from the first day) kept as periods of their own, like the extreme days, e.g. the stress
        days of reliability-constrained planning (:mod:`greenzone.planning.reliable`); they count among ``n_days``.

    Returns
    -------
    Aggregation

    Raises
    ------
    WeatherError
        If the time axis is not hourly or does not cover whole days.
    AggregationError
        If ``n_days`` is below the number of extreme periods + 1 or above the number of days.
    """
    time = pd.DatetimeIndex(profiles.indexes["time"])
    n_total = _days(time, timezone)
    if isinstance(n_days, bool) or not isinstance(n_days, (int, np.integer)):
        raise AggregationError(f"typical days: n_days must be an integer, got {n_days!r}")
    n_days = int(n_days)
    if n_days > n_total:
        raise AggregationError(
            f"typical days: {n_days} typical days asked for, but the profiles have only {n_total} days; "
            f"ask for at most {n_total}."
        )
    features = _features(profiles, n_total)
    extreme = _extreme_days(profiles, n_total, net_load_weights, renewables) if extremes else []
    for day in keep_days:
        if isinstance(day, bool) or not isinstance(day, (int, np.integer)) or not 0 <= day < n_total:
            raise AggregationError(
                f"typical days: keep_days holds {day!r}, not a day of the profiles (0 … {n_total - 1})"
            )
        if int(day) not in extreme:
            extreme.append(int(day))
    if n_days < len(extreme) + 1:
        raise AggregationError(
            f"typical days: {n_days} typical day(s) cannot hold the {len(extreme)} extreme period(s) "
            "(highest net load, lowest renewable availability, days kept) and at least one typical day; ask for at "
            f"least {len(extreme) + 1}, or pass extremes=False."
        )
    labels = np.full(n_total, -1)
    for j, day in enumerate(extreme):
        labels[day] = n_days - len(extreme) + j
    # an extreme period also stands for every day identical to its day (the same weather year given twice
    # then gives the same typical days as once, each standing for twice the days), unless that would leave
    # fewer days than clusters to fill
    twins = [np.flatnonzero((features == features[day]).all(axis=1) & (labels < 0)) for day in extreme]
    if n_total - len(extreme) - sum(t.size for t in twins) >= n_days - len(extreme):
        for j, days in enumerate(twins):
            labels[days] = n_days - len(extreme) + j
    rest = np.flatnonzero(labels < 0)
    labels[rest] = _ward_clusters(features[rest], n_days - len(extreme))
    # number clusters in order of their first day: with one day per cluster, the calendar order
    first_day = {}
    for day, label in enumerate(labels):
        first_day.setdefault(int(label), day)
    order = sorted(first_day, key=first_day.get)
    renumber = np.empty(n_days, dtype=int)
    renumber[order] = np.arange(n_days)
    day_cluster = renumber[labels]
    medoids = np.array([_medoid(features, np.flatnonzero(day_cluster == k)) for k in range(n_days)])
    extreme_clusters = tuple(int(day_cluster[day]) for day in extreme)

    hours = (medoids[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)[None, :]).ravel()
    representative = profiles.isel(time=hours)
    representative.attrs = {
        **profiles.attrs,
        "typical_days": n_days,
        "typical_days_extremes": int(extremes),
    }
    size = np.bincount(day_cluster, minlength=n_days)
    return Aggregation(
        profiles=representative,
        weights=np.repeat(size.astype(float), HOURS_PER_DAY),
        day_cluster=day_cluster,
        cluster_days=time[medoids * HOURS_PER_DAY],
        original_time=time,
        extreme_clusters=extreme_clusters,
        n_hours_per_period=HOURS_PER_DAY,
    )
