"""The sweep file: a base zone, what each case runs, and the zone fields to vary; expanded into cases.

::

    zone: zone.yaml             # relative to the sweep file; left out: the embedded Karabakh zone
    run:
      kind: plan                # plan | pathway
      hours: 48                 # plan the first N hours, hourly (a quick look); or typical_days: 16, hourly: true
      method: ipm               # HiGHS method; time_limit_s: per case [s]; myopic: true (pathway)
      adequacy:                 # a plan's fleet then dispatched over weather years (LOLE, EUE per case)
        weather_years: 10       # synthetic years of the case's zone, or its weather file's whole years
        outages: true           # random forced outages; outage_seed: 0
      report: true              # each plan case's own report.html (default)
    parameters:
      grid:                     # every combination (product)
        grid.export_price_usd_per_mwh: [30, 45, 60]
        nodes[*].demand.annual_mwh: {scale: [0.8, 1.0, 1.2]}    # factors on the base zone's value
      paired:                   # taken together, row by row (lists of equal length)
        technologies.solar_fixed.capex_usd_per_kw: [600, 500, 400]
        technologies.battery.capex_usd_per_kw: [300, 250, 200]
      sample:                   # Latin hypercube over ranges
        n: 20
        seed: 1
        ranges:
          technologies.wind_onshore.capex_usd_per_kw: [900, 1500]        # uniform between
          weather.seed: [0, 1000]                                         # an integer field: rounded
          grid.import_price_usd_per_mwh: {range: [40, 120], distribution: loguniform}
          nodes[jabrayil].demand.annual_mwh: {scale: [0.9, 1.3]}
          technologies.battery.capex_usd_per_kw: {range: [150, 450], distribution: triangular, mode: 250}
          grid.export_max_mw: {choice: [300, 600, 900], weights: [1, 2, 1]}     # normal: mean, sd too
    retries: 2                  # a case whose worker fails is tried again this many times
    seed: 0                     # of the subset --max-cases takes

The cases are the product of the grid, the paired rows and the samples (each that is given). A path names
any zone field (:mod:`greenzone.sweep.paths`); a path that does not exist, a malformed entry or a case that is
not a valid zone is refused with one :class:`SweepError` naming the sweep file, the entry and the fix.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenzone.errors import GreenzoneError, ZoneError
from greenzone.safe_read import load_yaml
from greenzone.sweep.cache import case_hash
from greenzone.sweep.case import RunOptions
from greenzone.sweep.paths import PathError, assign, locate
from greenzone.zone.load import embedded_zone_path, read_zone_data, zone_from_data
from greenzone.zone.schema import Zone

DEFAULT_TYPICAL_DAYS = {"plan": 16, "pathway": 8}
"""Typical days per case unless the sweep file says hours, typical_days or hourly (as `greenzone run` and
`greenzone pathway`)."""


class SweepError(GreenzoneError):
    """A sweep file that cannot be read, names a field that does not exist, or makes a case that is not a
    valid zone."""

    exit_code = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdequacySection(_Strict):
    weather_years: int = Field(ge=1, le=1000)
    outages: bool = False
    outage_seed: int = Field(0, ge=0)


class RunSection(_Strict):
    kind: Literal["plan", "pathway"] = "plan"
    hours: int | None = Field(None, ge=24)
    typical_days: int | None = Field(None, ge=3)
    hourly: bool = False
    method: str = "ipm"
    time_limit_s: float | None = Field(None, gt=0)
    myopic: bool = False
    adequacy: AdequacySection | None = None
    report: bool = True


class SampleSection(_Strict):
    n: int = Field(ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    ranges: dict[str, Any] = Field(min_length=1)


class ParameterSection(_Strict):
    grid: dict[str, Any] = Field(default_factory=dict)
    paired: dict[str, Any] = Field(default_factory=dict)
    sample: SampleSection | None = None


class SweepFile(_Strict):
    zone: str | None = None
    run: RunSection = Field(default_factory=RunSection)
    parameters: ParameterSection
    retries: int = Field(2, ge=0, le=20)
    seed: int = Field(0, ge=0)


_SECTIONS = {
    (): SweepFile,
    ("run",): RunSection,
    ("run", "adequacy"): AdequacySection,
    ("parameters",): ParameterSection,
    ("parameters", "sample"): SampleSection,
}


@dataclass(frozen=True)
class Parameter:
    """One varied zone field: its path, whether its values are factors on the base value, the places it names
    in the zone data (several with ``[*]``) and the base values there."""

    path: str
    entry: str
    scale: bool
    places: list
    bases: list

    @property
    def column(self) -> str:
        """Its column in the catalog: the path, with `` (scale)`` for factors."""
        return f"{self.path} (scale)" if self.scale else self.path


@dataclass(frozen=True)
class Case:
    """One case: its number, its parameter values by catalog column, its validated zone and content hash."""

    index: int
    params: dict[str, Any]
    zone: Zone
    hash: str


@dataclass
class Sweep:
    """A sweep file read and expanded."""

    path: Path
    zone_path: Path
    options: RunOptions
    parameters: list[Parameter]
    cases: list[Case]
    retries: int = 2
    seed: int = 0
    base: Zone | None = field(default=None, repr=False)

    def subset(self, n: int | None) -> list[Case]:
        """``n`` cases drawn with the sweep's seed (in case order), or every case when ``n`` is None or not
        smaller; a larger ``n`` keeps every case a smaller one took."""
        if n is None or n >= len(self.cases):
            return list(self.cases)
        order = np.random.default_rng(self.seed).permutation(len(self.cases))[:n]
        return [self.cases[i] for i in sorted(order)]


def read_sweep(path: str | Path) -> Sweep:
    """Read a sweep file and expand it into its cases (each validated as a zone, with its hash).

    Raises
    ------
    SweepError
        naming the sweep file, the entry and the fix.
    """
    path = Path(path)
    raw = load_yaml(path, what="sweep file", error=SweepError)
    if not isinstance(raw, dict):
        raise SweepError(f"{path}: a sweep file must be a mapping (zone, run, parameters).")
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise SweepError(_validation_message(exc, path)) from None
    zone_path = embedded_zone_path() if spec.zone is None else (path.parent / spec.zone).resolve()
    try:
        data = read_zone_data(zone_path)
        base = zone_from_data(copy.deepcopy(data), zone_path)
    except ZoneError as exc:
        raise SweepError(f"{path}: zone: {exc}") from None
    options = _run_options(spec.run, path)
    dump = base.model_dump(by_alias=True)
    parameters, axes = _axes(spec.parameters, dump, path)
    cases = []
    for index, row in enumerate(itertools.product(*axes)):
        values = {name: value for part in row for name, value in part.items()}
        zone = _case_zone(data, parameters, values, zone_path, path, index)
        params = {p.column: values[p.column] for p in parameters}
        cases.append(Case(index, params, zone, case_hash(zone, options)))
    return Sweep(path, zone_path, options, parameters, cases, spec.retries, spec.seed, base)


def _validation_message(exc: ValidationError, path: Path) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            model = _SECTIONS.get(tuple(err["loc"][:-1]), SweepFile)
            valid = list(model.model_fields)
            close = difflib.get_close_matches(str(err["loc"][-1]), valid, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
            message = f"unknown key; {hint}"
        elif err["type"] == "missing":
            message = "required field is missing"
        else:
            message = err["msg"] + f" (got {err.get('input')!r:.60})"
        lines.append(f"{path}: {where}: {message}")
    return (
        lines[0] if len(lines) == 1 else f"{len(lines)} problems in the sweep file:\n  " + "\n  ".join(lines)
    )


def _run_options(run: RunSection, path: Path) -> RunOptions:
    from greenzone.optimize.solve import METHODS

    if run.method not in METHODS:
        raise SweepError(
            f"{path}: run.method: unknown HiGHS method '{run.method}'; use one of {', '.join(METHODS)}."
        )
    if run.hours is not None and run.typical_days is not None:
        raise SweepError(
            f"{path}: run: hours plans the first {run.hours} hours hour by hour; leave out typical_days "
            "(or hours)."
        )
    if run.myopic and run.kind != "pathway":
        raise SweepError(
            f"{path}: run.myopic: only a pathway is myopic; set run.kind: pathway or leave it out."
        )
    if run.adequacy is not None and run.kind != "plan":
        raise SweepError(
            f"{path}: run.adequacy: an adequacy study dispatches a plan's fleet; set run.kind: plan or leave "
            "run.adequacy out."
        )
    aggregate = not run.hourly and run.hours is None
    days = (run.typical_days or DEFAULT_TYPICAL_DAYS[run.kind]) if aggregate else None
    adequacy = run.adequacy
    return RunOptions(
        kind=run.kind,
        hours=run.hours,
        typical_days=days,
        method=run.method,
        time_limit_s=run.time_limit_s,
        myopic=run.myopic,
        adequacy_years=adequacy.weather_years if adequacy else None,
        outages=adequacy.outages if adequacy else False,
        outage_seed=adequacy.outage_seed if adequacy else 0,
        report=run.report,
    )


def _axes(section: ParameterSection, dump: dict, path: Path) -> tuple[list[Parameter], list[list[dict]]]:
    """The parameters and the case axes: the grid's product, the paired rows, the samples."""
    parameters: list[Parameter] = []
    axes: list[list[dict]] = []
    grid = [(_parameter(p, v, dump, path, "parameters.grid"), v) for p, v in section.grid.items()]
    if grid:
        lists = [_values(param, value, path) for param, value in grid]
        axes.append(
            [{g[0].column: v for g, v in zip(grid, row, strict=True)} for row in itertools.product(*lists)]
        )
    paired = [(_parameter(p, v, dump, path, "parameters.paired"), v) for p, v in section.paired.items()]
    if paired:
        lists = [_values(param, value, path) for param, value in paired]
        lengths = {param.path: len(values) for (param, _), values in zip(paired, lists, strict=True)}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{p}: {n}" for p, n in lengths.items())
            raise SweepError(f"{path}: parameters.paired: the lists must be of equal length, not {shown}.")
        axes.append(
            [{p.column: v for (p, _), v in zip(paired, row, strict=True)} for row in zip(*lists, strict=True)]
        )
    sampled = []
    if section.sample is not None:
        sampled = [
            (_parameter(p, v, dump, path, "parameters.sample.ranges"), v)
            for p, v in section.sample.ranges.items()
        ]
        axes.append(_sample(sampled, section.sample, path))
    for param, _ in [*grid, *paired, *sampled]:
        if any(param.path == other.path for other in parameters):
            raise SweepError(
                f"{path}: {param.entry}: {param.path} is varied twice; vary each field in one place."
            )
        parameters.append(param)
    if not axes:
        raise SweepError(f"{path}: parameters: nothing is varied; give grid, paired or sample entries.")
    return parameters, axes


def _parameter(name: str, value: Any, dump: dict, path: Path, section: str) -> Parameter:
    entry = f"{section}.{name}"
    try:
        places = locate(dump, name)
    except PathError as exc:
        raise SweepError(f"{path}: {section}: {exc}.") from None
    scale = isinstance(value, dict) and "scale" in value
    bases = [value_there for _, value_there in places]
    if scale:
        for base in bases:
            if not _scalable(base):
                raise SweepError(
                    f"{path}: {entry}: scale multiplies a number (or {{year: number}}), but the zone's value is "
                    f"{base!r}; give the values themselves."
                )
    return Parameter(name, entry, scale, [steps for steps, _ in places], bases)


def _scalable(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_number(v) for v in value.values())
    return _number(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _values(param: Parameter, value: Any, path: Path) -> list:
    """The list of values (or factors) of a grid or paired entry."""
    given = value["scale"] if param.scale else value
    if param.scale and set(value) != {"scale"}:
        raise SweepError(f"{path}: {param.entry}: write {{scale: [factors]}} with nothing beside scale.")
    if not isinstance(given, list) or not given:
        raise SweepError(
            f"{path}: {param.entry}: give a list of values, e.g. [30, 45, 60], or factors as {{scale: [0.8, 1.2]}}."
        )
    if param.scale and not all(_number(f) and f >= 0 for f in given):
        raise SweepError(f"{path}: {param.entry}: scale factors must be finite numbers >= 0, not {given!r}.")
    return given


DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "normal")
"""Distributions of a sampled range; ``{choice: [...]}`` samples among given values."""


def _sample(entries: list[tuple[Parameter, Any]], sample: SampleSection, path: Path) -> list[dict]:
    """Latin hypercube samples (scipy.stats.qmc, seeded): each entry's stratified uniform draw taken through
    the inverse of its distribution (:func:`_inverse`)."""
    from scipy.stats import qmc

    inverses = [_inverse(param, value, path) for param, value in entries]
    unit = qmc.LatinHypercube(d=len(entries), seed=sample.seed).random(sample.n)
    rows = []
    for u in unit:
        row = {}
        for (param, _), (inverse, discrete), x in zip(entries, inverses, u, strict=True):
            v = inverse(float(x))
            integer = (
                not discrete
                and not param.scale
                and all(isinstance(b, int) and not isinstance(b, bool) for b in param.bases)
            )
            row[param.column] = v if discrete else int(round(v)) if integer else float(v)
        rows.append(row)
    return rows


_RANGE_HELP = (
    "give [low, high], {range: [low, high]} or {scale: [low, high]} with optionally distribution: "
    "uniform, loguniform, triangular (mode: M) or normal (mean: M, sd: S; truncated to the range), "
    "or {choice: [values], weights: [w, ...]}"
)


def _inverse(param: Parameter, value: Any, path: Path):
    """(x ↦ value for x uniform in [0, 1), discrete) of a sampled entry: the inverse of its distribution."""
    if isinstance(value, dict) and "choice" in value:
        return _choice(param, value, path), True
    distribution, options = "uniform", {}
    if isinstance(value, dict):
        known = {"range", "scale", "distribution", "mode", "mean", "sd"}
        if set(value) - known or ("range" in value) == ("scale" in value):
            raise SweepError(f"{path}: {param.entry}: {_RANGE_HELP}.")
        distribution = value.get("distribution", "uniform")
        options = {k: value[k] for k in ("mode", "mean", "sd") if k in value}
        value = value.get("range", value.get("scale"))
    if distribution not in DISTRIBUTIONS:
        raise SweepError(
            f"{path}: {param.entry}: distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}."
        )
    if not (
        isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value) and value[0] < value[1]
    ):
        raise SweepError(
            f"{path}: {param.entry}: a range is [low, high] with finite numbers low < high, not {value!r}."
        )
    low, high = float(value[0]), float(value[1])
    allowed = {"triangular": {"mode"}, "normal": {"mean", "sd"}}.get(distribution, set())
    if set(options) - allowed:
        extra = ", ".join(sorted(set(options) - allowed))
        raise SweepError(f"{path}: {param.entry}: {extra} does not apply to a {distribution} range.")
    if not all(_number(v) for v in options.values()):
        raise SweepError(f"{path}: {param.entry}: mode, mean and sd must be finite numbers, not {options!r}.")
    if distribution == "uniform":
        return (lambda x: low + x * (high - low)), False
    if distribution == "loguniform":
        if low <= 0:
            raise SweepError(f"{path}: {param.entry}: a loguniform range must start above 0, not at {low}.")
        return (lambda x: math.exp(math.log(low) + x * (math.log(high) - math.log(low)))), False
    from scipy import stats

    if distribution == "triangular":
        mode = float(options.get("mode", (low + high) / 2))
        if not low <= mode <= high:
            raise SweepError(f"{path}: {param.entry}: mode {mode} lies outside the range [{low}, {high}].")
        frozen = stats.triang(c=(mode - low) / (high - low), loc=low, scale=high - low)
    else:
        mean = float(options.get("mean", (low + high) / 2))
        sd = float(options.get("sd", (high - low) / 4))
        if sd <= 0:
            raise SweepError(f"{path}: {param.entry}: sd must be above 0, not {sd}.")
        frozen = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    return (lambda x: min(max(float(frozen.ppf(x)), low), high)), False


def _choice(param: Parameter, value: dict, path: Path):
    """x ↦ one of the given values, each with its weight's share of [0, 1)."""
    choices, weights = value["choice"], value.get("weights")
    if set(value) - {"choice", "weights"} or not isinstance(choices, list) or not choices:
        raise SweepError(f"{path}: {param.entry}: a choice is {{choice: [values], weights: [w, ...]}}.")
    weights = [1.0] * len(choices) if weights is None else weights
    if (
        not isinstance(weights, list)
        or len(weights) != len(choices)
        or not all(_number(w) and w >= 0 for w in weights)
        or sum(weights) <= 0
    ):
        raise SweepError(
            f"{path}: {param.entry}: weights must be {len(choices)} numbers >= 0 with a positive sum, "
            f"not {weights!r}."
        )
    edges = np.cumsum(weights) / sum(weights)
    return lambda x: copy.deepcopy(
        choices[min(int(np.searchsorted(edges, x, side="right")), len(choices) - 1)]
    )


def _case_zone(
    data: dict, parameters: list[Parameter], values: dict, zone_path: Path, path: Path, index: int
) -> Zone:
    """The validated zone of one case: the base zone data with each parameter's value set."""
    raw = copy.deepcopy(data)
    for param in parameters:
        value = values[param.column]
        for steps, base in zip(param.places, param.bases, strict=True):
            assign(raw, steps, _scaled(base, value) if param.scale else copy.deepcopy(value))
    try:
        return zone_from_data(raw, zone_path)
    except ZoneError as exc:
        shown = ", ".join(f"{name} = {value!r}" for name, value in values.items())
        raise SweepError(
            f"{path}: case {index} ({shown}) is not a valid zone: {exc}. Change the values or ranges in "
            "parameters."
        ) from None


def _scaled(base: Any, factor: float) -> Any:
    if isinstance(base, dict):
        return {year: v * factor for year, v in base.items()}
    return base * factor
