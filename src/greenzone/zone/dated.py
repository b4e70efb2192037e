"""The zone file's pathway section: investment periods and the values that change from one to the next.

A zone with a ``pathway`` section can be planned over several investment periods
(:func:`greenzone.planning.pathway.pathway`)::

    pathway:
      periods: [2027, 2030, 2035]        # each stands for the years until the next
      last_period_years: 5               # 2035 stands for 2035-2039
      capex_usd_per_kw: {solar: {2027: 620, 2035: 450}}   # interpolated between the given years
      grid: {export_max_mw: {2027: 0, 2030: 300}}
      assets:
        - {node: fuzuli, technology: solar, mw: 100, commissioned: 2029}     # under construction
        - {node: lachin, technology: gas_turbine, mw: 60, commissioned: 1995, lifetime_years: 40}   # retires
      links:
        - {link: jabrayil-fuzuli, mw: 300, commissioned: 2030}   # a second circuit
      weather_years: {2027: [2027], 2030: [2030, 2031], 2035: [2035]}   # each period on its own weather

Values by year use the house's one mechanism, :class:`~greenzone.zone.schema.YearValue`: a number or
``{year: value}``. Demand (``nodes[].demand.annual_mwh``, or ``population`` × ``use_mwh_per_person``, each
interpolated), costs and the grid's limits and prices are *interpolated* linearly between the given years
(held before the first and after the last); usable land (``nodes[].usable_land_km2``, land cleared by a year,
and ``nodes[].usable_land_by_kind_km2``, land cleared for one kind of technology) is a step function and, in
a pathway, may only grow. Dated link capacity (``links``) is added to the link's ``existing_mw`` while in
service, as an asset is to a node's.

An asset (and a new build) is in service in period p when commissioned ≤ p < commissioned + lifetime: a plant
commissioned in 2032 counts from the first period starting in 2032 or later. A node technology's
``existing_mw`` is in service in every period; give an asset with a commissioning year to make it retire.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from greenzone.zone.scenarios import ClearanceScenario, check_probabilities, check_scenarios
from greenzone.zone.schema import ID_PATTERN, Strict, YearValueField, Zone

Problem = tuple[str, str]


class DatedAsset(Strict):
    """A plant with a commissioning year and a lifetime: in service from its year, retired after it."""

    node: str = Field(pattern=ID_PATTERN, description="node id where the plant stands")
    technology: str = Field(description="technology id of the plant")
    mw: float = Field(ge=0, description="capacity [MW] (discharge power for storage)")
    energy_mwh: float = Field(0.0, ge=0, description="storage energy [MWh] (storage only)")
    commissioned: int = Field(
        ge=1900,
        le=2200,
        description="year the plant enters service (earlier than the first period: existing)",
    )
    lifetime_years: float | None = Field(
        None, gt=0, le=100, description="years in service [yr]; empty: the technology's lifetime"
    )
    note: str = Field("", description="free text: where the figures come from")


class DatedLink(Strict):
    """Transfer capacity added to a link in a year: a line or a reinforcement commissioned then, retired after
    its lifetime (added to the link's ``existing_mw``)."""

    link: str = Field(description="the link's id ('FROM-TO' unless the link names its own id)")
    mw: float = Field(ge=0, description="transfer capacity added [MW]")
    commissioned: int = Field(ge=1900, le=2200, description="year the capacity enters service")
    lifetime_years: float | None = Field(
        None, gt=0, le=100, description="years in service [yr]; empty: the link's lifetime_years"
    )
    note: str = Field("", description="free text: where the figures come from")


class DatedGrid(Strict):
    """The national-grid connection's limits and prices by year (override the grid section's numbers)."""

    import_max_mw: YearValueField | None = Field(
        None, description="largest import [MW]: a number or {year: MW}, interpolated"
    )
    export_max_mw: YearValueField | None = Field(
        None, description="largest export [MW]: a number or {year: MW}, interpolated (a corridor opening)"
    )
    import_price_usd_per_mwh: YearValueField | None = Field(
        None, description="price paid for imports [USD/MWh]: a number or {year: USD/MWh}, interpolated"
    )
    export_price_usd_per_mwh: YearValueField | None = Field(
        None, description="price earned for exports [USD/MWh]: a number or {year: USD/MWh}, interpolated"
    )


class Pathway(Strict):
    """Investment periods and the values that change with them (greenzone pathway)."""

    periods: list[int] = Field(
        min_length=1,
        description="first years of the investment periods, increasing; each stands for the years until "
        "the next",
    )
    last_period_years: int | None = Field(
        None,
        ge=1,
        le=100,
        description="years the last period stands for [yr]; empty: as long as the one before (1 with one "
        "period)",
    )
    capex_usd_per_kw: dict[str, YearValueField] = Field(
        default_factory=dict,
        description="investment by technology id and year [USD/kW], interpolated; replaces the "
        "technology's capex_usd_per_kw",
    )
    capex_usd_per_kwh: dict[str, YearValueField] = Field(
        default_factory=dict,
        description="storage energy investment by technology id and year [USD/kWh], interpolated",
    )
    grid: DatedGrid | None = Field(None, description="grid limits and prices by year")
    assets: list[DatedAsset] = Field(
        default_factory=list, description="plants with a commissioning year and a lifetime"
    )
    scenarios: list[ClearanceScenario] = Field(
        default_factory=list,
        description="clearance scenarios with probabilities summing to 1 (greenzone pathway --stochastic; "
        "greenzone.zone.scenarios)",
    )
    links: list[DatedLink] = Field(
        default_factory=list,
        description="link capacity with a commissioning year and a lifetime (a line or a reinforcement)",
    )
    weather_years: dict[int, list[int]] | None = Field(
        None,
        description="calendar weather years each period runs on, by period (e.g. {2027: [2027], 2030: "
        "[2030, 2031]}): synthetic weather is made for those years with the zone's seed, a weather file gives "
        "them as whole local calendar years; empty: every period on the same weather",
    )

    @field_validator("periods")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        for year in value:
            if not 1900 <= year <= 2200:
                raise ValueError(f"periods must be years such as 2027, got {year}")
        for a, b in zip(value, value[1:], strict=False):
            if b <= a:
                raise ValueError(
                    f"periods must increase: {b} follows {a}; list the first year of each period in order, "
                    "e.g. [2027, 2030, 2035]"
                )
        return value

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, value: list[ClearanceScenario]) -> list[ClearanceScenario]:
        return check_probabilities(value)

    @property
    def years(self) -> list[int]:
        """Years each period stands for [yr]."""
        spans = [b - a for a, b in zip(self.periods, self.periods[1:], strict=False)]
        last = self.last_period_years or (spans[-1] if spans else 1)
        return [*spans, last]

    @property
    def end_year(self) -> int:
        """The first year after the pathway."""
        return self.periods[-1] + self.years[-1]


# Zone names its pathway section by a forward reference (the section builds on schema.py's models): complete
# it here. greenzone.zone imports this module, so every Zone is complete before use.
Zone.model_rebuild(_types_namespace={"Pathway": Pathway})


def capex_at(zone: Zone, tech: str, field: str, year: int) -> float:
    """A technology's ``capex_usd_per_kw`` or ``capex_usd_per_kwh`` in ``year``: the pathway's dated value,
    interpolated, where given; else the technology's own [USD/kW] or [USD/kWh]."""
    by_year = getattr(zone.pathway, field) if zone.pathway is not None else {}
    if tech in by_year:
        return by_year[tech].interpolated(year)
    return float(getattr(zone.technologies[tech], field))


def grid_at(zone: Zone, field: str, year: int) -> float | None:
    """A grid limit [MW] or price [USD/MWh] of ``pathway.grid`` in ``year``, interpolated; None where the
    pathway does not date it (the grid section's value holds)."""
    dated = zone.pathway.grid if zone.pathway is not None else None
    value = None if dated is None else getattr(dated, field)
    return None if value is None else value.interpolated(year)


def _shrinking_land(at: str, land) -> list[Problem]:
    """The first year in which a cleared area given by year shrinks, as a problem of field ``at``."""
    if land is None or land.is_constant:
        return []
    years = land.years
    for a, b in zip(years, years[1:], strict=False):
        if land.at(b) < land.at(a):
            return [
                (
                    at,
                    f"cleared land shrinks from {land.at(a):g} km^2 in {a} to {land.at(b):g} km^2 in {b}; "
                    "in a pathway land cleared stays cleared: give each year the total cleared by then",
                )
            ]
    return []


def check_pathway(zone: Zone) -> list[Problem]:
    """Cross-field problems of a zone's pathway section: ids that must exist, cleared land that shrinks,
    commissioning years after the last period (each ``(field path, message)`` with the fix)."""
    pw = zone.pathway
    if pw is None:
        return []
    problems: list[Problem] = []
    for i, node in enumerate(zone.nodes):
        areas = {f"nodes[{i}].usable_land_km2": node.usable_land_km2} | {
            f"nodes[{i}].usable_land_by_kind_km2.{kind}": land
            for kind, land in node.usable_land_by_kind_km2.items()
        }
        for at, land in areas.items():
            problems += _shrinking_land(at, land)
    for field in ("capex_usd_per_kw", "capex_usd_per_kwh"):
        for tech in getattr(pw, field):
            if tech not in zone.technologies:
                problems.append(
                    (
                        f"pathway.{field}.{tech}",
                        f"unknown technology '{tech}'; use one of the zone's technologies",
                    )
                )
    if pw.grid is not None and zone.grid is None:
        problems.append(("pathway.grid", "the zone has no grid section; add one or remove pathway.grid"))
    nodes = {n.id: n for n in zone.nodes}
    for i, asset in enumerate(pw.assets):
        at = f"pathway.assets[{i}]"
        if asset.node not in nodes:
            problems.append((f"{at}.node", f"unknown node '{asset.node}'; use one of {', '.join(nodes)}"))
        elif asset.technology not in nodes[asset.node].technologies:
            problems.append(
                (
                    f"{at}.technology",
                    f"'{asset.technology}' does not stand at node '{asset.node}'; add it under "
                    f"nodes[].technologies of that node first",
                )
            )
        spec = zone.technologies.get(asset.technology)
        if spec is not None and asset.energy_mwh and not hasattr(spec, "capex_usd_per_kwh"):
            problems.append(
                (
                    f"{at}.energy_mwh",
                    f"only storage has energy; '{asset.technology}' is {spec.kind}: remove energy_mwh",
                )
            )
        life = asset.lifetime_years or (spec.lifetime_years if spec is not None else None)
        if life is not None and asset.commissioned + life <= pw.periods[0]:
            problems.append(
                (
                    f"{at}.lifetime_years",
                    f"commissioned {asset.commissioned} with a lifetime of {life:g} years, the plant retires in "
                    f"{asset.commissioned + life:g}, before the first period ({pw.periods[0]}); give its real "
                    "lifetime or remove it",
                )
            )
        if asset.commissioned > pw.periods[-1]:
            problems.append(
                (
                    f"{at}.commissioned",
                    f"{asset.commissioned} is after the last period ({pw.periods[-1]}), so the plant never "
                    "enters the pathway; add a later period or remove the asset",
                )
            )
    problems += check_scenarios(zone)
    problems += _check_links(zone)
    problems += _check_weather_years(pw)
    return problems


def _check_weather_years(pw: Pathway) -> list[Problem]:
    """Weather years, when given, name every period and only periods, each with at least one year."""
    if pw.weather_years is None:
        return []
    problems: list[Problem] = []
    periods = ", ".join(str(p) for p in pw.periods)
    for period, years in pw.weather_years.items():
        at = f"pathway.weather_years.{period}"
        if period not in pw.periods:
            problems.append(
                (at, f"{period} is not a period; key the weather years by the periods ({periods})")
            )
        if not years:
            problems.append((at, f"no weather year given; list at least one, e.g. {period}: [{period}]"))
        for year in years:
            if not 1900 <= year <= 2200:
                problems.append((at, f"{year} is not a calendar year; give years such as {period}"))
        if len(set(years)) < len(years):
            problems.append((at, "a weather year is listed twice; list each once"))
    for period in pw.periods:
        if period not in pw.weather_years:
            problems.append(
                (
                    "pathway.weather_years",
                    f"period {period} has no weather years; give every period its own, e.g. {period}: "
                    f"[{period}], or remove weather_years to run every period on the same weather",
                )
            )
    return problems


def _check_links(zone: Zone) -> list[Problem]:
    """Dated link capacity names a link of the zone and enters service within the pathway."""
    pw = zone.pathway
    problems: list[Problem] = []
    names = [link.name for link in zone.links]
    for i, dated in enumerate(pw.links):
        at = f"pathway.links[{i}]"
        if dated.link not in names:
            known = ", ".join(names) or "none: add the line under links first"
            problems.append((f"{at}.link", f"unknown link '{dated.link}'; use one of {known}"))
        if dated.commissioned > pw.periods[-1]:
            problems.append(
                (
                    f"{at}.commissioned",
                    f"{dated.commissioned} is after the last period ({pw.periods[-1]}), so the capacity never "
                    "enters the pathway; add a later period or remove the entry",
                )
            )
    return problems


__all__ = ["DatedAsset", "DatedLink", "DatedGrid", "Pathway", "capex_at", "check_pathway", "grid_at"]
