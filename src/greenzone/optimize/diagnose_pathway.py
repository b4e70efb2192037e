"""Infeasibility diagnosis of a pathway, by period (and scenario), in the zone's own terms.

The same elastic re-solve as :mod:`greenzone.optimize.diagnose`, on the pathway LP itself: every cost set to
zero, each period's infeasible-prone families opened with penalised slacks through the period's
:class:`~greenzone.optimize.formulation.view.PeriodView` (its blocks ``"<period>/…"``, ``"<scenario>/<period>/…"``
in a stochastic pathway), and each slack left positive reported with its period, e.g.::

    2035, scenario slow, node fuzuli: the solar_fixed needed takes 14.2 km^2, more than the 12 km^2 cleared
    by then; enough is cleared by 2040 (by 2032 in scenario fast); raise nodes[1].usable_land_km2 for 2035, or
    allow unserved load (policy.allow_unserved: true)

Land is named where more cleared land would cure the shortfall (a land slack costs less than unserved load),
with the first year the zone's layers clear the land needed, in this scenario and in each other.
"""

from __future__ import annotations

import numpy as np

from greenzone.errors import InfeasibleError
from greenzone.optimize.diagnose import (
    _OPTIONS,
    TOLERANCE,
    add_slacks,
    land_row_messages,
    policy_messages,
    unserved_messages,
)
from greenzone.optimize.formulation import Model
from greenzone.optimize.formulation.pathway import PathwayModel
from greenzone.optimize.solve import solve
from greenzone.zone.schema import Zone


def diagnose_pathway(model: PathwayModel, name: str, what: str = "") -> InfeasibleError:
    """An :class:`InfeasibleError` naming each period (and scenario) that cannot be planned, its cause and the
    field to change. ``model`` is the pathway LP that was infeasible (changed in place); ``name`` the zone's,
    ``what`` which LP it was (e.g. "period 2030, 2035")."""
    head = f"the pathway of '{name}'" + (f" ({what})" if what else "")
    lp = model.lp
    for block in lp.variables:
        lp.update_costs(block, 0.0)
    lp.set_objective_constant(0.0)
    parts = _parts(model)
    touched = [add_slacks(m) for _, _, m in parts]
    solution = solve(lp, _OPTIONS)
    if not solution.ok:
        return InfeasibleError(
            f"{head} has no feasible plan, and the causes greenzone checks by period (unserved "
            "load, renewable share, CO2 cap, land, minimum release, reserve) do not explain it (elastic "
            f"problem: {solution.status.name.lower()}); check dated assets against potentials"
        )
    x = solution.x
    messages = []
    for (scenario, period, m), slacks in zip(parts, touched, strict=True):
        where = f"{period}" if scenario is None else f"{period}, scenario {scenario}"
        messages += [f"{where}, {text}" for text in period_messages(model, m, slacks, x, scenario)]
    if not messages:
        messages.append("the pathway is infeasible only by tolerances; try another solver method")
    return InfeasibleError(f"{head} has no feasible plan:\n  " + "\n  ".join(messages))


def _parts(model: PathwayModel) -> list[tuple[str | None, int, Model]]:
    """Each period's model once: (scenario or None, period, model); the shared first period without one."""
    out, seen = [], set()
    for scenario in model.scenarios:
        for k, period in enumerate(model.periods):
            m = model.model(period, scenario)
            if id(m) not in seen:
                seen.add(id(m))
                out.append((scenario if model.stochastic and k else None, period, m))
    return out


def period_messages(
    model: PathwayModel, m: Model, slacks: dict[str, str], x: np.ndarray, scenario: str | None
) -> list[str]:
    """The causes found in one period's slacks (see the module's docstring)."""
    lp, d = m.lp, m.data
    messages = []
    if "unserved" in slacks:
        messages += unserved_messages(m, lp.variable_values("unserved", x), x)
    if "renewable_share" in slacks:
        short = float(lp.variable_values("slack_renewable_share", x).sum())
        if short > TOLERANCE:
            messages.append(
                f"policy.renewable_share_min {d.zone.policy.renewable_share_min:g} cannot be met: renewable "
                f"supply falls short by {short:,.0f} MWh a year; lower it, or raise renewable potentials and the "
                "land cleared by then"
            )
    if "land" in slacks:
        messages += land_messages(model, m, lp.variable_values("slack_land", x), x, scenario)
    if "land_by_kind" in slacks:  # land usable for one technology kind, as a single-year plan names it
        messages += land_row_messages(m, lp.variable_values("slack_land_by_kind", x), x, by_kind=True)
    return messages + policy_messages(m, slacks, x)


def land_messages(
    model: PathwayModel, m: Model, slack: np.ndarray, x: np.ndarray, scenario: str | None
) -> list[str]:
    """Nodes whose plants in service need more land than is cleared by the period [km^2], and when enough is
    cleared (in this scenario's layers, and in each other scenario's)."""
    d = m.data
    period = d.year
    capacity = m.lp.variable_values("capacity", x)
    power = m.lp.variable_values("storage_power", x) if d.sto_labels else np.zeros(0)
    messages = []
    for j, node_id in enumerate(m.lp.constraint_block("land").coords["node"]):
        if slack[j] <= TOLERANCE:
            continue
        n = d.nodes.index(node_id)
        uses = [(d.gen_tech[g], capacity[g] * d.gen_land[g]) for g in np.flatnonzero(d.gen_node == n)]
        uses += [(d.sto_tech[s], power[s] * d.sto_land[s]) for s in np.flatnonzero(d.sto_node == n)]
        techs = [t for t, use in sorted(uses, key=lambda u: -u[1]) if use > TOLERANCE]
        cleared = float(d.usable_land[n])
        need = cleared + float(slack[j])
        last = model.periods[-1]  # a scenario's own zone (the first period's is the zone's)
        others = [
            _by(_enough_by(model.model(last, s).data.zone, node_id, need), s)
            for s in model.scenarios
            if model.stochastic and s != scenario
        ]
        if model.stochastic and scenario is None:  # the shared first period: when, in each scenario
            text = "enough is cleared " + ", ".join(others)
        else:
            when = _enough_by(d.zone, node_id, need, period)
            text = f"enough is cleared by {when}" if when else "no later layer clears that much"
            text += f" ({'; '.join(others)})" if others else ""
        messages.append(
            f"node {node_id}: the {' and '.join(techs) or 'plants'} needed take{'s' if len(techs) == 1 else ''} "
            f"{need:.3g} km^2, more than the {cleared:g} km^2 cleared by then; {text}; raise "
            f"nodes[{n}].usable_land_km2 for {period}, or allow unserved load (policy.allow_unserved: true)"
        )
    return messages


def _by(year: int | None, scenario: str) -> str:
    return f"by {year} in scenario {scenario}" if year else f"never in scenario {scenario}"


def _enough_by(zone: Zone, node_id: str, need: float, after: int | None = None) -> int | None:
    """The first year (after ``after``, where given) by which a node's cleared land reaches ``need`` [km^2]
    (None: never)."""
    land = next(n for n in zone.nodes if n.id == node_id).usable_land_km2
    if land is None:
        return None
    for year in land.years:
        if (after is None or year > after) and land.at(year) >= need - TOLERANCE:
            return year
    return None


__all__ = ["diagnose_pathway", "land_messages", "period_messages"]
