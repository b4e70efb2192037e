"""The report's first screen: why the plan is what it is (:mod:`greenzone.explain`), as a sentence and rows of
text: what one more MW of each limit or new plant would be worth, and what a new plant would need to pay."""

from __future__ import annotations

from typing import Any


def why_section(why: dict[str, Any] | None) -> dict[str, Any] | None:
    """The summary sentence and table rows (what, value of one more MW [USD/MW/yr], how it stands); None when
    the run's key figures hold no explanation (made before greenzone explained its plans)."""
    if not why:
        return None
    rows = []
    for c in why.get("candidates", []):
        rows.append(
            (
                f"new {c['technology'].replace('_', ' ')} at {c['node']}",
                f"{c['value_usd_per_mw_year']:+,.0f}",
                f"earns {c['earned_usd_per_mwh']:,.1f} USD/MWh against a levelised cost of "
                f"{c['lcoe_usd_per_mwh']:,.1f}; pays at a capex of {c['break_even_capex_usd_per_kw']:,.0f} USD/kW "
                f"(now {c['capex_usd_per_kw']:,.0f}) or a price of {c['break_even_price_usd_per_mwh']:,.1f} USD/MWh",
            )
        )
    for x in why.get("limits", []):
        name = x["limit"]
        if "value_usd_per_mw_year" in x:
            state = (
                f"{'binds' if x['binds'] else 'does not bind'}: at its limit {x['share_of_hours_at_limit']:.1%} of "
                f"hours; its price ({x['price_usd_per_mwh']:,.1f} USD/MWh) sets the zone's price "
                f"{x['share_of_hours_price_set']:.0%} of hours"
            )
            rows.append((f"{name} (one more MW)", f"{x['value_usd_per_mw_year']:+,.0f}", state))
        elif name == "land":
            state = f"{'binds' if x['binds'] else 'does not bind'}: {x['used_km2']:,.1f} km² used"
            value = ""
            if x.get("nodes"):
                state += f"; binding at {', '.join(x['nodes'])}"
                value = f"{x['value_usd_per_km2_year']:+,.0f} per km²"
            rows.append((f"{name} (one more km²)", value, state))
        else:
            rows.append(
                (
                    name,
                    "",
                    f"{'binds' if x['binds'] else 'does not bind'}: {x['unserved_mwh']:,.0f} MWh/yr unserved",
                )
            )
    return {"summary": why.get("summary", ""), "rows": rows}
