"""Generate ``docs/zone-file.md`` from the schema, so the reference cannot drift from the code.

Run ``python -m greenzone.zone.docs > docs/zone-file.md``; a test fails when the file is out of date.
"""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from greenzone.zone import dated, scenarios, schema
from greenzone.zone.load import load_catalogue

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Zone (top level)", schema.Zone),
    ("economics", schema.Economics),
    ("weather", schema.WeatherConfig),
    ("nodes[]", schema.Node),
    ("nodes[].demand", schema.Demand),
    ("nodes[].technologies.ID", schema.NodeTechnology),
    ("nodes[].technologies.ID.calibration", schema.Calibration),
    ("technologies.ID, every kind", schema.TechnologyBase),
    ("technologies.ID, kind: solar", schema.SolarTechnology),
    ("technologies.ID, kind: wind", schema.WindTechnology),
    ("technologies.ID, kind: hydro_ror or hydro_reservoir", schema.HydroTechnology),
    ("technologies.ID, kind: geothermal, biomass or gas_turbine", schema.DispatchableTechnology),
    ("technologies.ID, kind: battery, pumped_hydro or hydrogen", schema.StorageTechnology),
    ("links[]", schema.Link),
    ("grid", schema.GridConnection),
    ("policy", schema.Policy),
    ("pathway", dated.Pathway),
    ("pathway.grid", dated.DatedGrid),
    ("pathway.assets[]", dated.DatedAsset),
    ("pathway.scenarios[]", scenarios.ClearanceScenario),
    ("pathway.links[]", dated.DatedLink),
]


def _type_name(annotation) -> str:
    """A short, human type name for the reference table."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        if args[0] is schema.YearValue:
            return "number or {year: number}"
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        if set(names) == {"number", "HourlySeries"}:
            return "number or {csv, column}"
        text = " or ".join(names)
        return text + (" or empty" if type(None) in args else "")
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of id to {_type_name(args[1])}"
    if annotation is float or annotation is int:
        return "number" if annotation is float else "integer"
    if annotation is str:
        return "text"
    if annotation is bool:
        return "true or false"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)


def _default(field) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    if field.default_factory is not None:
        return "(see section)" if field.default_factory not in (list, dict) else "empty"
    if field.default is None:
        return "empty"
    if field.default == "":
        return '`""`'
    return f"`{field.default}`"


def render() -> str:
    """The Markdown reference of every zone-file field: type, default and description with its unit."""
    own = schema.TechnologyBase.model_fields
    lines = [
        "# Zone file reference",
        "",
        "Generated from `src/greenzone/zone/schema.py` by `python -m greenzone.zone.docs`; do not edit by hand.",
        "Every number states its unit in brackets. Unknown keys are rejected.",
        "",
    ]
    for title, model in SECTIONS:
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines += [
            f"## `{title}`",
            "",
            doc,
            "",
            "| field | type | default | description |",
            "| --- | --- | --- | --- |",
        ]
        for name, field in model.model_fields.items():
            if (
                model is not schema.TechnologyBase
                and issubclass(model, schema.TechnologyBase)
                and name in own
            ):
                continue
            key = field.alias or name
            desc = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
        lines.append("")
    lines += [
        "## Technology catalogue",
        "",
        "Defaults a zone may override (`src/greenzone/data/catalogue.yaml`).",
        "",
    ]
    lines += [
        "| id | kind | capex [USD/kW] | storage capex [USD/kWh] | lifetime [yr] | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for tech, spec in load_catalogue().items():
        lines.append(
            f"| `{tech}` | {spec['kind']} | {spec['capex_usd_per_kw']} | {spec.get('capex_usd_per_kwh', '')} | "
            f"{spec['lifetime_years']} | {spec.get('source', '')} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
