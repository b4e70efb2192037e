"""The zone schema: pydantic models for every section of a zone file, each field with its unit.

A zone file is YAML; :func:`greenzone.zone.load.load_zone` reads it, merges the technology catalogue and
validates it into a frozen :class:`Zone`. Field descriptions here are the documentation: ``docs/zone-file.md``
is generated from them (``python -m greenzone.zone.docs``), so the two cannot drift.

Units: [MW], [MWh], [km], [km^2], [m], [m^3/s], [USD/kW], [USD/kWh], [USD/MWh], [t CO2/MWh], [t CO2]; money is USD
of the zone's base year; shares and rates are fractions [-].

Values that change with the year (demand, usable land) are written either as one number or as a mapping
``{year: value}``; between years the value of the latest year at or before the asked year holds (a step
function), before the first year the first value holds. See :class:`YearValue`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:  # the pathway section builds on the models here; greenzone.zone.dated completes Zone
    from greenzone.zone.dated import Pathway

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
"""Node, technology and river ids: lower case letters, digits and underscores, starting with a letter."""


class Strict(BaseModel):
    """Base of every zone model: frozen, unknown keys are an error, and numbers are numbers.

    Every number must be finite: ``.inf`` and ``.nan`` are refused (an open limit is written by leaving the
    field out), and ``true``/``false`` where a number is meant is refused rather than read as 1 or 0.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        """Wrap a boolean given to a number field (also inside a list) so that the field refuses it."""
        if not isinstance(data, dict):
            return data
        fields = _number_fields(cls)
        out = dict(data)
        for key, value in data.items():
            if key in fields and _has_boolean(value):
                out[key] = (
                    [Boolean(v) if isinstance(v, bool) else v for v in value]
                    if isinstance(value, list)
                    else Boolean(value)
                )
        return out


class Boolean:
    """A YAML ``true``/``false`` written where a number is meant. No number field accepts it (pydantic would
    read it as 1 or 0), and :func:`greenzone.zone.load.format_validation_error` words the refusal."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _has_boolean(value: Any) -> bool:
    """True for a boolean, or a list holding one."""
    return isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value))


@functools.cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names and aliases of the fields of ``model`` that hold numbers (also in a list) and no booleans."""
    names = set()
    for name, field in model.model_fields.items():
        leaves = _leaf_types(field.annotation)
        if leaves & {int, float} and bool not in leaves:
            names.update({name, field.alias or name})
    return frozenset(names)


def _leaf_types(annotation: Any) -> set[Any]:
    """The plain types an annotation admits, looking through Annotated, Optional, Union and list."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if origin in (Union, UnionType, list):
        return {leaf for arg in get_args(annotation) for leaf in _leaf_types(arg)}
    return {annotation}


def _finite(value: float, what: str = "") -> float:
    """``value`` as a float, refused unless finite (an integer too large for a float is not finite)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{what}must be a finite number, not {_short_number(value)}")
    return number


def _non_negative_number(value: Any) -> bool:
    """True for a finite number >= 0 (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return _finite(value) >= 0
    except ValueError:
        return False


def _short_number(value: Any) -> str:
    """A value as YAML spells it (``.inf``, ``.nan``, ``true``), long integers shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return {"inf": ".inf", "-inf": "-.inf"}.get(repr(value), ".nan")
    text = repr(value)
    return text if len(text) <= 20 else f"{text[:8]}...({len(text)} digits)"


# ----------------------------------------------------------------------------------------------------------
# Values that vary by year
# ----------------------------------------------------------------------------------------------------------


class YearValue:
    """A non-negative quantity that is either constant or given for some years (a step function).

    Written in YAML as ``400000`` or as ``{2027: 400000, 2035: 700000}``.
    """

    __slots__ = ("_points",)

    def __init__(self, points: Mapping[int, float]):
        self._points = tuple(sorted((int(y), float(v)) for y, v in points.items()))

    @classmethod
    def constant(cls, value: float) -> YearValue:
        return cls({0: value})

    @property
    def is_constant(self) -> bool:
        return len(self._points) == 1 and self._points[0][0] == 0

    @property
    def years(self) -> list[int]:
        """Years at which the value is given (empty for a constant)."""
        return [] if self.is_constant else [y for y, _ in self._points]

    def at(self, year: int) -> float:
        """The value that holds in ``year`` read as a step function (usable land: cleared by that year)."""
        value = self._points[0][1]
        for y, v in self._points:
            if y <= year:
                value = v
        return value

    def interpolated(self, year: float) -> float:
        """The value in ``year`` interpolated linearly between the given years, held before the first and
        after the last (demand, costs and grid limits)."""
        points = self._points
        if year <= points[0][0]:
            return points[0][1]
        for (y0, v0), (y1, v1) in zip(points, points[1:], strict=False):
            if year <= y1:
                return v0 + (v1 - v0) * (year - y0) / (y1 - y0)
        return points[-1][1]

    def to_yaml(self) -> float | dict[int, float]:
        return self._points[0][1] if self.is_constant else dict(self._points)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, YearValue) and self._points == other._points

    def __hash__(self) -> int:
        return hash(self._points)

    def __repr__(self) -> str:
        return f"YearValue({self.to_yaml()!r})"


def _parse_year_value(value: Any) -> YearValue:
    if isinstance(value, YearValue):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a number or a mapping {year: number}, got a boolean")
    if isinstance(value, (int, float)):
        number = _finite(value)
        if number < 0:
            raise ValueError(f"must be >= 0, not {value!r}")
        return YearValue.constant(number)
    if isinstance(value, Mapping) and value:
        points = {}
        for year, v in value.items():
            if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200:
                raise ValueError(f"years must be integers such as 2027, got {year!r}")
            if not _non_negative_number(v):
                raise ValueError(f"the value for {year} must be a finite number >= 0, not {_short_number(v)}")
            points[year] = float(v)
        return YearValue(points)
    raise ValueError(f"expected a number or a mapping {{year: number}}, got {value!r}")


YearValueField = Annotated[
    YearValue,
    PlainValidator(_parse_year_value),
    PlainSerializer(lambda v: v.to_yaml(), return_type=Any),
]


class HourlySeries(Strict):
    """An hourly series read from a CSV file with a ``time`` column in the zone's local time."""

    csv: str = Field(description="path of the CSV file, relative to the zone file")
    column: str = Field("value", description="the column holding the values")
    _zone_file: str | None = PrivateAttr(None)  # set by load_zone, named in messages about the CSV


def _parse_price(value: Any) -> float | HourlySeries:
    if isinstance(value, HourlySeries):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a price in USD/MWh or {csv: FILE, column: NAME}")
    if isinstance(value, (int, float)):
        return _finite(value, "a price ")
    if isinstance(value, Mapping):
        return HourlySeries.model_validate(value)
    raise ValueError(f"expected a price in USD/MWh or {{csv: FILE, column: NAME}}, got {value!r}")


PriceField = Annotated[
    Union[float, HourlySeries],  # noqa: UP007
    PlainValidator(_parse_price),
    PlainSerializer(lambda v: v if isinstance(v, float) else v.model_dump(), return_type=Any),
]

MonthlyValues = Annotated[
    list[Annotated[float, Field(ge=0)]],
    Field(min_length=12, max_length=12, description="twelve values, January to December"),
]

# ----------------------------------------------------------------------------------------------------------
# Technologies
# ----------------------------------------------------------------------------------------------------------

GeneratorKind = Literal[
    "solar", "wind", "hydro_ror", "hydro_reservoir", "geothermal", "biomass", "gas_turbine"
]
StorageKind = Literal["battery", "pumped_hydro", "hydrogen"]

LandKind = Literal[
    "solar",
    "wind",
    "hydro_ror",
    "hydro_reservoir",
    "geothermal",
    "biomass",
    "gas_turbine",
    "battery",
    "pumped_hydro",
    "hydrogen",
]
"""Technology kinds a node may hold land for apart (``usable_land_by_kind_km2``)."""

RENEWABLE_KINDS = frozenset({"solar", "wind", "hydro_ror", "hydro_reservoir", "geothermal", "biomass"})
VARIABLE_KINDS = frozenset({"solar", "wind", "hydro_ror"})
HYDRO_KINDS = frozenset({"hydro_ror", "hydro_reservoir"})
STORAGE_KINDS = frozenset({"battery", "pumped_hydro", "hydrogen"})


class ForcedOutages(Strict):
    """Forced-outage figures of what can fail: a unit, or a circuit of a link or the grid connection."""

    forced_outage_rate: float = Field(
        0.0, ge=0, lt=1, description="share of time one unit (or circuit) is on forced outage [-]"
    )
    mean_time_to_repair_h: float = Field(
        24.0, ge=1, description="mean duration of a forced outage [h]; at least the hour of the time step"
    )


class CircuitOutages(ForcedOutages):
    """A link or grid connection of parallel circuits that fail on their own."""

    circuits: int = Field(
        1,
        ge=1,
        description="number of parallel circuits; each carries an equal share of the capacity and fails on its own",
    )


class TechnologyBase(ForcedOutages):
    """What every technology has: costs, lifetime, land use and reliability figures."""

    name: str = Field("", description="a human-readable name")
    capex_usd_per_kw: float = Field(
        ge=0, description="overnight investment per unit of (discharge) power [USD/kW]; for solar per kW AC"
    )
    fixed_om_usd_per_kw_year: float = Field(
        0.0, ge=0, description="fixed operation and maintenance [USD/kW/yr]"
    )
    variable_om_usd_per_mwh: float = Field(
        0.0, ge=0, description="variable operation and maintenance [USD/MWh]"
    )
    lifetime_years: float = Field(gt=0, le=100, description="economic lifetime for the annuity [yr]")
    land_use_km2_per_mw: float = Field(
        0.0,
        ge=0,
        description="land taken per MW of capacity [km^2/MW]; counted against the node's usable land",
    )
    unit_size_mw: float = Field(
        gt=0, description="size of one unit [MW]; adequacy draws outages unit by unit"
    )
    source: str = Field("", description="where the figures come from; 'est.' marks an estimate")


class SolarTechnology(TechnologyBase):
    """Photovoltaics. Capacity is AC (inverter) capacity; capacity factors are relative to it."""

    kind: Literal["solar"] = "solar"
    tracking: Literal["fixed", "single_axis"] = Field(
        "fixed", description="fixed tilt or single-axis tracking"
    )
    tilt_deg: float | None = Field(
        None, ge=0, le=90, description="module tilt [deg]; empty: a latitude-based rule (fixed only)"
    )
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="module azimuth [deg], 180 = south")
    dc_ac_ratio: float = Field(1.25, ge=0.5, le=3, description="DC module rating per AC inverter rating [-]")
    temp_coefficient_per_c: float = Field(
        -0.0035, ge=-0.01, le=0, description="power temperature coefficient [1/degC]"
    )
    system_losses: float = Field(0.14, ge=0, lt=1, description="DC losses: soiling, wiring, mismatch... [-]")
    inverter_efficiency: float = Field(0.96, gt=0, le=1, description="nominal inverter efficiency [-]")
    albedo: float = Field(0.2, ge=0, le=1, description="ground reflectance [-]")
    max_angle_deg: float = Field(55.0, gt=0, le=90, description="tracker rotation limit [deg]")
    gcr: float = Field(0.35, gt=0, lt=1, description="tracker ground coverage ratio [-]")


class WindTechnology(TechnologyBase):
    """Onshore wind with a named turbine from windpowerlib's turbine library."""

    kind: Literal["wind"] = "wind"
    turbine: str = Field(description="windpowerlib turbine type, e.g. 'E-115/3200'")
    hub_height_m: float = Field(gt=10, le=250, description="hub height above ground [m]")
    loss_factor: float = Field(0.10, ge=0, lt=1, description="wake, availability and electrical losses [-]")


class HydroTechnology(TechnologyBase):
    """Run-of-river or reservoir hydro; the plant itself (river, head, flow) is described per node."""

    kind: Literal["hydro_ror", "hydro_reservoir"]


class DispatchableTechnology(TechnologyBase):
    """Geothermal, biomass, or the gas turbine that stands for fossil supply."""

    kind: Literal["geothermal", "biomass", "gas_turbine"]
    availability: float = Field(
        0.9, gt=0, le=1, description="share of capacity available on average (planned maintenance) [-]"
    )
    fuel_price_usd_per_mwh_th: float = Field(0.0, ge=0, description="fuel price per thermal MWh [USD/MWh]")
    efficiency: float = Field(1.0, gt=0, le=1, description="fuel to electricity efficiency [-]")
    emission_factor_t_per_mwh: float = Field(0.0, ge=0, description="CO2 per MWh of electricity [t CO2/MWh]")

    @property
    def fuel_cost_usd_per_mwh(self) -> float:
        """Fuel cost per MWh of electricity [USD/MWh]."""
        return self.fuel_price_usd_per_mwh_th / self.efficiency


class StorageTechnology(TechnologyBase):
    """Battery and pumped hydro (one power rating shared by charge and discharge), or hydrogen (electrolyser,
    tank and fuel cell each sized on its own). ``capex_usd_per_kw`` is the discharge (or shared) power."""

    kind: Literal["battery", "pumped_hydro", "hydrogen"]
    capex_usd_per_kwh: float = Field(ge=0, description="investment per unit of energy capacity [USD/kWh]")
    charge_capex_usd_per_kw: float = Field(
        0.0,
        ge=0,
        description="investment in charging power [USD/kW]: the electrolyser for hydrogen; 0 otherwise",
    )
    charge_fixed_om_usd_per_kw_year: float = Field(
        0.0, ge=0, description="fixed O&M of charging power [USD/kW/yr] (hydrogen only)"
    )
    efficiency_charge: float = Field(gt=0, le=1, description="charging efficiency [-]")
    efficiency_discharge: float = Field(gt=0, le=1, description="discharging efficiency [-]")
    standing_loss_per_h: float = Field(
        0.0, ge=0, lt=1, description="share of stored energy lost per hour [1/h]"
    )
    max_duration_h: float | None = Field(
        None, gt=0, description="largest energy-to-power ratio allowed [h]; empty: no limit"
    )

    @property
    def separate_charge_rating(self) -> bool:
        """True when charging power is sized on its own (hydrogen)."""
        return self.kind == "hydrogen"


Technology = Annotated[
    Union[  # noqa: UP007
        SolarTechnology, WindTechnology, HydroTechnology, DispatchableTechnology, StorageTechnology
    ],
    Field(discriminator="kind"),
]

# ----------------------------------------------------------------------------------------------------------
# Nodes
# ----------------------------------------------------------------------------------------------------------


class Demand(Strict):
    """Electricity demand at a node: an annual total shaped by a profile, or an hourly CSV."""

    annual_mwh: YearValueField | None = Field(
        None,
        description="annual demand [MWh]; a number or {year: MWh}, interpolated linearly between the given "
        "years; scales the profile or the CSV",
    )
    population: YearValueField | None = Field(
        None,
        description="residents [persons]; a number or {year: persons}, interpolated linearly; with "
        "use_mwh_per_person, instead of annual_mwh: annual demand = population × use per person",
    )
    use_mwh_per_person: YearValueField | None = Field(
        None,
        description="electricity use per resident [MWh/person/yr]; a number or {year: MWh/person/yr}, "
        "interpolated linearly (demand = the interpolated population × the interpolated use)",
    )
    profile: Literal["residential", "commercial", "industrial", "mixed", "flat"] = Field(
        "mixed", description="built-in hourly shape (synthetic, in local time) when no CSV is given"
    )
    csv: str | None = Field(
        None,
        description="CSV of hourly demand [MW] in local time: columns time, value; relative to the zone file",
    )
    heating_share_per_degc: float = Field(
        0.02, ge=0, le=0.2, description="extra load per degC of mean daily temperature below 15 degC [1/degC]"
    )
    cooling_share_per_degc: float = Field(
        0.01, ge=0, le=0.2, description="extra load per degC of mean daily temperature above 22 degC [1/degC]"
    )

    @property
    def has_annual(self) -> bool:
        """True when an annual total is given: ``annual_mwh``, or population with use per person."""
        return self.annual_mwh is not None or (
            self.population is not None and self.use_mwh_per_person is not None
        )

    def annual_at(self, year: float) -> float:
        """Annual demand in ``year`` [MWh]: ``annual_mwh`` interpolated, or the population interpolated times
        the use per person interpolated (each linearly between its own given years)."""
        if self.annual_mwh is not None:
            return self.annual_mwh.interpolated(year)
        if self.population is None or self.use_mwh_per_person is None:
            raise ValueError(
                "demand has no annual total: give annual_mwh, or population and use_mwh_per_person"
            )
        return self.population.interpolated(year) * self.use_mwh_per_person.interpolated(year)


CALIBRATION_QUANTITIES = {
    "hydro_ror": "flow",
    "hydro_reservoir": "flow",
    "solar": "dc_yield",
    "wind": "yield",
}
"""What a calibration factor multiplies, by technology kind: ``flow``, the river discharge that reaches a hydro
plant (before its residual flow and design-flow cap); ``dc_yield``, a PV plant's DC output before the inverter
(and its clipping); ``yield``, a wind farm's output after its losses (capped at its rating)."""


class Calibration(Strict):
    """A factor fitted by ``greenzone calibrate`` to observed output, applied when profiles are made.

    The other fields record what it was fitted to, so that anyone can rerun the fit.
    """

    quantity: Literal["flow", "dc_yield", "yield"] = Field(
        description="what the factor multiplies: 'flow' (hydro: river discharge reaching the plant), "
        "'dc_yield' (solar: DC output before the inverter), 'yield' (wind: output after losses)"
    )
    factor: float = Field(gt=0, le=10, description="the fitted factor [-]; 1 changes nothing")
    group: str = Field("", description="the observed group the factor was fitted to")
    observed: str = Field("", description="the observed-output CSV it was fitted to (name as given)")
    observed_sha256: str = Field("", description="SHA-256 of that CSV")
    periods: list[str] = Field(
        default_factory=list, description="the observed periods fitted, e.g. ['2024', '2025']"
    )
    observed_mwh: float | None = Field(
        None, ge=0, description="observed energy of the group over those periods [MWh]"
    )
    modelled_before_mwh: float | None = Field(
        None, ge=0, description="the group's modelled energy over those periods before this fit [MWh]"
    )
    source: str = Field("", description="where the observed figures come from (the CSV's source column)")
    weather: str = Field("", description="the weather the model was run on for the fit")
    date: str = Field("", description="date of the fit (ISO 8601)")


class NodeTechnology(Strict):
    """A technology at one node: what exists, what may be built, and plant specifics."""

    existing_mw: float = Field(
        0.0, ge=0, description="capacity in service [MW] (discharge power for storage)"
    )
    max_mw: float | None = Field(
        None, ge=0, description="technical potential [MW]; empty: no limit (hydro: the plant's rated power)"
    )
    land_use_km2_per_mw: float | None = Field(
        None, ge=0, description="overrides the technology's land use at this node [km^2/MW]"
    )
    # storage
    existing_energy_mwh: float = Field(0.0, ge=0, description="storage energy in service [MWh]")
    max_energy_mwh: float | None = Field(
        None, ge=0, description="largest storage energy [MWh]; empty: no limit"
    )
    existing_charge_mw: float = Field(0.0, ge=0, description="electrolyser in service [MW] (hydrogen only)")
    max_charge_mw: float | None = Field(None, ge=0, description="largest electrolyser [MW] (hydrogen only)")
    # fuel
    fuel_budget_mwh: float | None = Field(
        None, ge=0, description="largest annual generation from local fuel [MWh/yr] (biomass)"
    )
    # hydro
    river: str | None = Field(None, description="river id in the weather's discharge (hydro only)")
    flow_share: float = Field(
        1.0, gt=0, le=1, description="share of the river's discharge available to the plant [-] (hydro)"
    )
    head_m: float | None = Field(None, gt=0, description="net head [m] (hydro; sum of heads for a cascade)")
    design_flow_m3s: float | None = Field(None, gt=0, description="turbine design flow [m^3/s] (hydro)")
    efficiency: float = Field(0.88, gt=0, le=1, description="turbine and generator efficiency [-] (hydro)")
    residual_flow_m3s: float = Field(
        0.0, ge=0, description="ecological flow left in the river, never turbined [m^3/s] (run-of-river)"
    )
    storage_mwh: float | None = Field(None, gt=0, description="usable reservoir content [MWh] (reservoir)")
    initial_storage_share: float = Field(
        0.5, ge=0, le=1, description="reservoir filling at the start of operation [-] (reservoir)"
    )
    min_release_m3s: MonthlyValues | None = Field(
        None, description="minimum release by month, turbined plus spilled [m^3/s] (reservoir)"
    )
    calibration: Calibration | None = Field(
        None, description="a factor fitted to observed output (greenzone calibrate); empty: none"
    )
    note: str = Field("", description="free text: where the figures come from")

    @property
    def calibration_factor(self) -> float:
        """The calibrated factor [-], 1 without a calibration."""
        return 1.0 if self.calibration is None else self.calibration.factor

    @property
    def rated_power_mw(self) -> float | None:
        """Power at design flow, rho g H Q eta [MW]; None unless head and design flow are given."""
        if self.head_m is None or self.design_flow_m3s is None:
            return None
        return WATER_DENSITY * GRAVITY * self.head_m * self.design_flow_m3s * self.efficiency / 1e6


WATER_DENSITY = 1000.0
"""[kg/m^3]"""
GRAVITY = 9.81
"""[m/s^2]"""


class Node(Strict):
    """A site of the zone: where demand is and technologies may stand."""

    id: str = Field(pattern=ID_PATTERN, description="short id used everywhere else, e.g. 'kalbajar'")
    name: str = Field("", description="display name")
    lat: float = Field(ge=-90, le=90, description="latitude [deg]")
    lon: float = Field(ge=-180, le=180, description="longitude [deg]")
    elevation_m: float = Field(0.0, ge=-500, le=8000, description="elevation of the weather site [m]")
    roughness_length_m: float = Field(0.1, gt=0, le=5, description="surface roughness length for wind [m]")
    usable_land_km2: YearValueField | None = Field(
        None,
        description="land usable for new plants [km^2]; a number or {year: km^2} as demining clears land",
    )
    usable_land_by_kind_km2: dict[LandKind, YearValueField] = Field(
        default_factory=dict,
        description="land usable by one class of technology [km^2], by technology kind, e.g. {solar: {2027: "
        "12, 2035: 30}, wind: 40}: a step function of land cleared for that class by a year; the node's "
        "plants of that kind must fit in it, and all of them in usable_land_km2 where given",
    )
    demand: Demand | None = Field(None, description="electricity demand; empty: none")
    technologies: dict[str, NodeTechnology] = Field(
        default_factory=dict, description="technologies at this node, by technology id"
    )
    note: str = Field("", description="free text: where the figures come from")


# ----------------------------------------------------------------------------------------------------------
# Network, grid, policy, economics, weather
# ----------------------------------------------------------------------------------------------------------


class Link(CircuitOutages):
    """A transmission line between two nodes; power may flow both ways."""

    id: str | None = Field(None, description="link id; default 'FROM-TO'")
    from_node: str = Field(alias="from", description="node id at one end")
    to_node: str = Field(alias="to", description="node id at the other end")
    length_km: float = Field(gt=0, description="route length [km]")
    existing_mw: float = Field(0.0, ge=0, description="transfer capacity in service [MW]")
    max_mw: float | None = Field(None, ge=0, description="largest transfer capacity [MW]; empty: no limit")
    loss_per_100km: float = Field(0.01, ge=0, lt=1, description="share of power lost per 100 km [-]")
    capex_usd_per_mw_km: float = Field(1000.0, ge=0, description="investment in new capacity [USD/(MW km)]")
    fixed_om_share: float = Field(0.02, ge=0, lt=1, description="fixed O&M per year as a share of capex [-]")
    lifetime_years: float = Field(40.0, gt=0, description="economic lifetime [yr]")
    source: str = Field("", description="where the figures come from; 'est.' marks an estimate")

    @property
    def name(self) -> str:
        return self.id or f"{self.from_node}-{self.to_node}"

    @property
    def loss(self) -> float:
        """Share of the sent power lost on the way [-]."""
        return min(self.loss_per_100km * self.length_km / 100.0, 0.5)


class GridConnection(CircuitOutages):
    """The connection to the national grid at one node."""

    node: str = Field(description="node id where the zone connects")
    import_max_mw: float = Field(0.0, ge=0, description="largest import [MW]")
    export_max_mw: float = Field(0.0, ge=0, description="largest export [MW]")
    import_price_usd_per_mwh: PriceField = Field(
        0.0, description="price paid for imports [USD/MWh]: a number or {csv: FILE, column: NAME} hourly"
    )
    export_price_usd_per_mwh: PriceField = Field(
        0.0, description="price earned for exports [USD/MWh]: a number or {csv: FILE, column: NAME} hourly"
    )
    emission_factor_t_per_mwh: float = Field(
        0.45, ge=0, description="CO2 of imported electricity [t CO2/MWh]"
    )
    renewable_share: float = Field(0.0, ge=0, le=1, description="renewable share of imported electricity [-]")
    source: str = Field("", description="where the figures come from")


class Policy(Strict):
    """Targets and limits the plan must respect."""

    renewable_share_min: float | None = Field(
        None, ge=0, le=1, description="least renewable share of local demand served [-]; empty: none"
    )
    co2_cap_t: float | None = Field(None, ge=0, description="largest annual CO2 [t CO2]; empty: none")
    value_of_lost_load_usd_per_mwh: float = Field(5000.0, gt=0, description="cost of unserved load [USD/MWh]")
    allow_unserved: bool = Field(True, description="whether load may go unserved (at the value of lost load)")
    lole_target_h_per_year: float | None = Field(
        3.0, ge=0, description="reliability target: loss-of-load expectation [h/yr]; empty: none"
    )
    reserve_share: float = Field(
        0.0, ge=0, le=1, description="operating reserve held as upward headroom, as a share of load [-]"
    )
    source: str = Field("", description="where the targets come from")


class Economics(Strict):
    """Money: all costs are USD of the base year."""

    discount_rate: float = Field(0.08, ge=0, lt=1, description="real discount rate for annuities [-]")
    currency: Literal["USD"] = Field("USD", description="currency of every cost; only USD")


class WeatherConfig(Strict):
    """Which weather a run uses unless the command line says otherwise."""

    source: Literal["synthetic", "pvgis", "csv", "era5", "atlite"] = Field(
        "synthetic", description="weather source"
    )
    path: str | None = Field(None, description="file for csv, era5 or atlite; relative to the zone file")
    climatology: str | None = Field(
        None, description="climatology for synthetic weather; empty: the embedded Karabakh climatology"
    )
    discharge: str | None = Field(
        None,
        description="CSV of hourly river discharge [m^3/s] (columns time, then one per river id); empty: from the "
        "weather source, or synthetic from the climatology when the source has none",
    )
    years: int = Field(1, ge=1, le=200, description="number of synthetic weather years")
    start_year: int | None = Field(
        None, ge=1900, le=2200, description="first calendar year of synthetic weather; empty: the zone's year"
    )
    seed: int = Field(0, ge=0, description="random seed of synthetic weather")


class Zone(Strict):
    """A green energy zone: nodes, technologies, links, the national grid and the policy."""

    name: str = Field(description="name of the zone")
    description: str = Field("", description="free text")
    timezone: str = Field(description="IANA time zone of local-time inputs and of reports, e.g. 'Asia/Baku'")
    year: int = Field(ge=1900, le=2200, description="base year: picks year-dependent demand and land")
    economics: Economics = Field(default_factory=Economics)
    weather: WeatherConfig = Field(default_factory=WeatherConfig)
    nodes: list[Node] = Field(min_length=1, description="the zone's sites")
    technologies: dict[str, Technology] = Field(
        default_factory=dict,
        description="technology parameters by id; catalogue entries fill what a zone leaves out",
    )
    links: list[Link] = Field(default_factory=list, description="transmission lines between nodes")
    grid: GridConnection | None = Field(None, description="the national-grid connection; empty: islanded")
    policy: Policy = Field(default_factory=Policy)
    sources: list[str] = Field(default_factory=list, description="references for the figures in this file")
    pathway: Pathway | None = Field(
        None, description="investment periods and dated values (greenzone pathway); empty: one year"
    )
    _zone_file: str | None = PrivateAttr(None)

    @property
    def zone_file(self) -> str | None:
        """The file the zone was read from (None for a zone built in code); messages about the files it
        refers to name it."""
        return self._zone_file

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
            raise ValueError(
                f"unknown IANA time zone {value!r}; use a name such as 'Asia/Baku' or 'UTC'"
            ) from None
        return value

    @field_validator("technologies")
    @classmethod
    def _technology_ids(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.match(ID_PATTERN, key):
                raise ValueError(f"technology id {key!r} must be lower case letters, digits and underscores")
        return value

    # convenience views -------------------------------------------------------------------------------
    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def technology_ids(self, kinds: frozenset[str] | set[str] | None = None) -> list[str]:
        """Technology ids in file order, optionally only those of some kinds."""
        return [t for t, spec in self.technologies.items() if kinds is None or spec.kind in kinds]

    @property
    def generator_ids(self) -> list[str]:
        return [t for t, spec in self.technologies.items() if spec.kind not in STORAGE_KINDS]

    @property
    def storage_ids(self) -> list[str]:
        return self.technology_ids(STORAGE_KINDS)
