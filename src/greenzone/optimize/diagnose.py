"""Infeasibility diagnosis with HiGHS alone, in the zone's own terms.

When a plan is infeasible, :func:`diagnose_infeasibility` rebuilds the same LP as an *elastic* problem: all
costs are set to zero, and each constraint family that can make a zone infeasible gets a non-negative slack
whose use is minimised (unserved load weighted 1,000 times more than the policy slacks, so a policy target
the zone cannot reach is named as such and not as a shortfall of supply):

- unserved load when ``policy.allow_unserved`` is false (its bound is opened) [MWh];
- the renewable-share row [MWh], the CO2 cap [t CO2/yr], land per node [km^2], the reservoirs' minimum
  release [MWh] and the operating reserve [MWh].

Every slack left positive at the optimum of the elastic problem is a cause, reported with the zone field to
change, e.g. ``node kalbajar, 14 Jan 17:00–21:00 local time: demand exceeds the most that can be supplied by
32 MW; raise links[6] (lachin-kalbajar).max_mw or allow unserved load``. For the renewable share a second LP
finds the highest share the potentials allow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from greenzone.errors import InfeasibleError
from greenzone.optimize.formulation import Model, build_model
from greenzone.optimize.formulation.policy import FOSSIL_KINDS
from greenzone.optimize.solve import SolverOptions, solve
from greenzone.zone.schema import GRAVITY, WATER_DENSITY, Zone

TOLERANCE = 1e-6
UNSERVED_PENALTY = 1e3
"""Weight of forbidden unserved load against policy slacks in the elastic problem [-]."""
_OPTIONS = SolverOptions(method="dual_simplex")


def diagnose_infeasibility(
    zone: Zone, profiles: xr.Dataset, *, year: int | None = None, weights: np.ndarray | None = None
) -> InfeasibleError:
    """An :class:`InfeasibleError` whose message names each cause of infeasibility and the field to change."""
    model = build_model(zone, profiles, year=year, weights=weights)
    lp = model.lp
    for name in lp.variables:
        lp.update_costs(name, 0.0)
    lp.set_objective_constant(0.0)
    slacks = add_slacks(model)
    solution = solve(lp, _OPTIONS)
    if not solution.ok:
        return InfeasibleError(
            f"'{zone.name}' has no feasible plan, and the causes greenzone checks (unserved load, renewable "
            f"share, CO2 cap, land, minimum release, reserve) do not explain it (elastic problem: "
            f"{solution.status.name.lower()}). Check existing capacities against potentials and storage sizes."
        )
    messages: list[str] = []
    x = solution.x
    if "unserved" in slacks:
        messages += unserved_messages(model, lp.variable_values("unserved", x), x)
    if "renewable_share" in slacks and lp.variable_values("slack_renewable_share", x).sum() > TOLERANCE:
        messages.append(_renewable_message(zone, profiles, year, weights))
    if "land" in slacks:
        messages += land_row_messages(model, lp.variable_values("slack_land", x), x)
    if "land_by_kind" in slacks:
        messages += land_row_messages(model, lp.variable_values("slack_land_by_kind", x), x, by_kind=True)
    messages += policy_messages(model, slacks, x)
    if not messages:
        messages.append("the zone is infeasible only by tolerances; try another solver method")
    head = f"'{zone.name}' has no feasible plan:"
    return InfeasibleError(head + "\n  " + "\n  ".join(messages))


def policy_messages(model: Model, slacks: dict[str, str], x: np.ndarray) -> list[str]:
    """The causes among the CO2 cap, the reservoirs' minimum release and the reserve, from the elastic
    problem's solution ``x`` (one period's ``model`` of a pathway, or a plan's)."""
    lp, d = model.lp, model.data
    zone = d.zone
    messages = []
    if "co2_cap" in slacks:
        excess = float(lp.variable_values("slack_co2_cap", x).sum())
        if excess > TOLERANCE:
            cap = zone.policy.co2_cap_t
            messages.append(
                f"policy.co2_cap_t {cap:,.0f} t cannot be met: at least {cap + excess:,.0f} t CO2/yr are needed; "
                "raise the cap, or raise renewable and storage potentials"
            )
    if "min_release" in slacks:
        messages += _release_messages(model, lp.variable_values("slack_min_release", x))
    if "reserve" in slacks:
        short = lp.variable_values("slack_reserve", x)
        hours = np.flatnonzero(short > TOLERANCE)
        if hours.size:
            messages.append(
                f"policy.reserve_share {zone.policy.reserve_share:g} cannot be held in {hours.size} hours "
                f"(first {_local(d.time[hours[0]], zone.timezone):%d %b %H:%M} local time, short by "
                f"{short.max():.1f} MW); lower reserve_share or raise dispatchable and storage potentials"
            )
    return messages


def add_slacks(model: Model) -> dict[str, str]:
    """Open the infeasible-prone families with penalised slack columns; return the families touched."""
    lp, d = model.lp, model.data
    zone = d.zone
    touched: dict[str, str] = {}
    w = d.weights
    if not zone.policy.allow_unserved:
        lp.update_bounds("unserved", upper=d.demand)
        # physical shortfall is the last resort: policy slacks are tried first, so that a target the
        # potentials cannot reach is named as such rather than as unserved load
        lp.update_costs("unserved", UNSERVED_PENALTY * np.broadcast_to(w, d.demand.shape))
        touched["unserved"] = "unserved"
    rows = lp.constraints
    if "renewable_share" in rows:
        s = lp.add_variables("slack_renewable_share", coords={}, cost=1.0)
        lp.add_terms("renewable_share", [(-1.0, s.index)])
        touched["renewable_share"] = s.name
    if "co2_cap" in rows:
        s = lp.add_variables("slack_co2_cap", coords={}, cost=1.0)
        lp.add_terms("co2_cap", [(-1.0, s.index)])
        touched["co2_cap"] = s.name
    if "land" in rows:
        block = rows["land"]
        s = lp.add_variables("slack_land", coords={"node": list(block.coords["node"])}, cost=1e3)
        lp.add_terms("land", [(-1.0, s.index)])
        touched["land"] = s.name
    if "land_by_kind" in rows:
        block = rows["land_by_kind"]
        s = lp.add_variables("slack_land_by_kind", coords={"area": list(block.coords["area"])}, cost=1e3)
        lp.add_terms("land_by_kind", [(-1.0, s.index)])
        touched["land_by_kind"] = s.name
    if "min_release" in rows:
        block = rows["min_release"]
        shape = block.shape
        s = lp.add_variables(
            "slack_min_release",
            coords={k: list(v) for k, v in block.coords.items()},
            cost=np.broadcast_to(w, shape).copy(),
        )
        lp.add_terms("min_release", [(1.0, s.index)])
        touched["min_release"] = s.name
    if "reserve" in rows:
        s = lp.add_variables("slack_reserve", coords={"time": d.time}, cost=w.copy())
        lp.add_terms("reserve", [(1.0, s.index)])
        touched["reserve"] = s.name
    return touched


def _local(timestamp, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(timestamp).tz_localize("UTC").tz_convert(timezone)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of True as (first, last) index pairs."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def unserved_messages(model: Model, unserved: np.ndarray, x: np.ndarray) -> list[str]:
    lp, d = model.lp, model.data
    zone = d.zone
    messages = []
    link_cap = lp.variable_values("link_capacity", x) if d.link_labels else np.zeros(0)
    gen_cap = lp.variable_values("capacity", x)
    for n, node in enumerate(d.nodes):
        runs = _runs(unserved[n] > TOLERANCE)
        if not runs:
            continue
        runs.sort(key=lambda r: -unserved[n, r[0] : r[1] + 1].max())
        fixes = []
        for i, link in enumerate(zone.links):
            if node in (link.from_node, link.to_node) and np.isfinite(d.link_max[i]):
                if link_cap[i] >= d.link_max[i] - 1e-6:
                    fixes.append(f"links[{i}] ({link.name}).max_mw")
        for g in np.flatnonzero(d.gen_node == n):
            if np.isfinite(d.gen_max[g]) and gen_cap[g] >= d.gen_max[g] - 1e-6 and d.gen_max[g] > 0:
                fixes.append(f"nodes[{n}].technologies.{d.gen_tech[g]}.max_mw")
        fix = ("raise " + " or ".join(fixes[:3]) + ", or ") if fixes else "add supply or a link to it, or "
        for first, last in runs[:3]:
            start = _local(d.time[first], zone.timezone)
            end = _local(d.time[last], zone.timezone) + pd.Timedelta(hours=1)
            span = (
                f"{start:%d %b %H:%M}–{end:%H:%M}"
                if end.date() == start.date() or end.hour == 0
                else (f"{start:%d %b %H:%M}–{end:%d %b %H:%M}")
            )
            short = unserved[n, first : last + 1].max()
            messages.append(
                f"node {node}, {span} local time: demand exceeds the most that can be supplied by {short:,.0f} MW; "
                f"{fix}allow unserved load (policy.allow_unserved: true)"
            )
        if len(runs) > 3:
            messages.append(f"node {node}: {len(runs) - 3} more such periods")
    return messages


def _renewable_message(zone: Zone, profiles, year, weights) -> str:
    """The highest renewable share the zone can reach, from an LP that minimises fossil and imported energy."""
    model = build_model(zone, profiles, year=year, weights=weights)
    lp, d = model.lp, model.data
    for name in lp.variables:
        lp.update_costs(name, 0.0)
    lp.set_objective_constant(0.0)
    lp.update_rhs("renewable_share", np.inf)
    fossil = np.array([k in FOSSIL_KINDS for k in d.gen_kind])
    cost = np.zeros((len(d.gen_labels), len(d.time)))
    cost[fossil] = d.weights
    lp.update_costs("dispatch", cost)
    if "grid_import" in lp.variables:
        lp.update_costs("grid_import", d.weights * (1.0 - d.import_renewable_share))
    # unserved load counts as not served: it must not be used to dodge fossil supply
    lp.update_costs("unserved", np.broadcast_to(d.weights, d.demand.shape) * 1.0)
    solution = solve(lp, _OPTIONS)
    target = zone.policy.renewable_share_min
    if not solution.ok:
        return f"policy.renewable_share_min {target:g} cannot be met; lower it or raise renewable potentials"
    served = float(
        (d.demand * d.weights).sum() - (lp.variable_values("unserved", solution.x) * d.weights).sum()
    )
    fossil_energy = float(
        (lp.variable_values("dispatch", solution.x)[fossil] * d.weights).sum()
        + (
            lp.variable_values("grid_import", solution.x) @ d.weights * (1.0 - d.import_renewable_share)
            if "grid_import" in lp.variables
            else 0.0
        )
    )
    best = 1.0 - fossil_energy / served if served > 0 else 0.0
    return (
        f"policy.renewable_share_min {target:g} cannot be met: the potentials reach at most {best:.2f}; lower it, "
        "or raise renewable and storage potentials (max_mw) and usable land"
    )


def land_row_messages(model: Model, slack: np.ndarray, x: np.ndarray, *, by_kind: bool = False) -> list[str]:
    """Land rows (``land``, or ``land_by_kind``) short, in the zone's fields: existing plants that alone take
    more than is usable, or new plants needed to serve the load that do (the elastic problem prefers a km^2 of
    land slack to unserved load)."""
    d = model.data
    zone = d.zone
    rows = (
        d.land_by_kind
        if by_kind
        else [(d.nodes.index(n), None, None) for n in model.lp.constraints["land"].coords["node"]]
    )
    messages = []
    for j, (n, kind, area) in enumerate(rows):
        if slack[j] <= TOLERANCE:
            continue
        node = zone.nodes[n]
        parts, existing = [], 0.0
        for g in np.flatnonzero(d.gen_node == n):
            use = d.gen_existing[g] * d.gen_land[g]
            if use > 0 and kind in (None, d.gen_kind[g]):
                existing += use
                parts.append(f"{d.gen_tech[g]} {d.gen_existing[g]:g} MW × {d.gen_land[g]:g} km^2/MW")
        for s in np.flatnonzero(d.sto_node == n):
            use = d.sto_power_existing[s] * d.sto_land[s]
            if use > 0 and kind in (None, d.sto_kind[s]):
                existing += use
                parts.append(f"{d.sto_tech[s]} {d.sto_power_existing[s]:g} MW × {d.sto_land[s]:g} km^2/MW")
        field = "usable_land_km2" if kind is None else f"usable_land_by_kind_km2.{kind}"
        usable = d.usable_land[n] if kind is None else area
        what = "usable" if kind is None else f"usable for {kind}"
        if existing <= usable + TOLERANCE:  # new plants are needed on land that is not there
            messages += _land_needed(model, n, usable + float(slack[j]), x, field, usable, what, kind)
            continue
        messages.append(
            f"nodes[{n}].{field}: node {node.id} has {usable:g} km^2 {what} in {d.year}, but existing "
            f"plants alone take {existing:.2f} km^2 ({'; '.join(parts) or 'none'}); raise {field} for "
            f"{d.year} or lower existing capacity"
        )
    return messages


def _land_needed(
    model: Model, n: int, need: float, x: np.ndarray, field: str, usable: float, what: str, kind: str | None
) -> list[str]:
    """A node whose plants (of ``kind``, or all) needed to serve the load take ``need`` [km^2], more than the
    ``usable`` [km^2] its ``field`` gives."""
    d = model.data
    capacity = model.lp.variable_values("capacity", x)
    uses = [
        (d.gen_tech[g], capacity[g] * d.gen_land[g])
        for g in np.flatnonzero(d.gen_node == n)
        if kind in (None, d.gen_kind[g])
    ]
    if d.sto_labels:
        power = model.lp.variable_values("storage_power", x)
        uses += [
            (d.sto_tech[s], power[s] * d.sto_land[s])
            for s in np.flatnonzero(d.sto_node == n)
            if kind in (None, d.sto_kind[s])
        ]
    techs = [t for t, use in sorted(uses, key=lambda u: -u[1]) if use > TOLERANCE]
    return [
        f"nodes[{n}].{field}: node {d.nodes[n]} needs {need:.3g} km^2 for the "
        f"{' and '.join(techs) or 'plants'} that would serve its load, more than the {usable:g} km^2 {what} "
        f"in {d.year}; raise {field} for {d.year}, add supply elsewhere and links, or allow unserved load "
        "(policy.allow_unserved: true)"
    ]


def _release_messages(model: Model, slack: np.ndarray) -> list[str]:
    d = model.data
    zone = d.zone
    messages = []
    for r, g in enumerate(d.res_gen):
        short = slack[r]
        if short.max() <= TOLERANCE:
            continue
        n = int(d.gen_node[g])
        tech = d.gen_tech[g]
        plant = zone.nodes[n].technologies[tech]
        per_m3s = WATER_DENSITY * GRAVITY * plant.head_m * plant.efficiency / 1e6
        months = pd.DatetimeIndex(d.time).tz_localize("UTC").tz_convert(zone.timezone).month
        bad = sorted(set(months[short > TOLERANCE]))
        names = ", ".join(pd.Timestamp(2001, m, 1).strftime("%b") for m in bad)
        messages.append(
            f"nodes[{n}].technologies.{tech}.min_release_m3s: the {plant.river} cannot give the minimum release in "
            f"{names}: short by up to {short.max() / per_m3s:.1f} m^3/s ({short.max():.1f} MW equivalent); lower "
            "min_release_m3s for those months"
        )
    return messages
