"""``greenzone calibrate``: fit the zone's plants to observed output; write the calibrated zone and the fit."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from greenzone.cli.common import (
    OutOpt,
    Progress,
    SeedOpt,
    SourceOpt,
    WeatherFileOpt,
    ZoneArg,
    app,
    console,
    output_folder,
    zone_and_inputs,
)


def embedded_observed_path() -> Path:
    """The observed output shipped with the embedded Karabakh zone (``greenzone/data/karabakh/observed.csv``)."""
    from importlib import resources

    return Path(str(resources.files("greenzone.data.karabakh").joinpath("observed.csv")))


@app.command("calibrate")
def calibrate_command(
    zone: ZoneArg = None,
    observed: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--observed",
            help="CSV of observed energy: group, units (node/technology;...), period (2025 or 2025-03), "
            "energy_mwh, source[, capacity_mw]; default with the embedded zone: its packaged record",
        ),
    ] = None,
    out: OutOpt = Path("out/calibrate"),
    weather_years: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--weather-years", min=2, help="synthetic weather years the model is averaged over [default 10]"
        ),
    ] = None,
    seed: SeedOpt = None,
    weather: SourceOpt = None,
    weather_file: WeatherFileOpt = None,
) -> None:
    """Fit one bounded factor per observed group (hydro: flow; solar: DC yield; wind: yield); write OUT/zone.yaml
    (the calibrated zone), OUT/calibration.csv (before and after per group and period), OUT/calibration.json and
    OUT/report.html (the same table, the factors with their bounds and a figure; self-contained, opens offline)."""
    from greenzone.calibrate import DEFAULT_SYNTHETIC_YEARS, calibrate, write_calibration
    from greenzone.weather import load_weather

    if observed is None:
        if zone is not None:
            raise typer.BadParameter("give the observed output of this zone", param_hint="--observed")
        observed = embedded_observed_path()
    zone_path, z, inputs = zone_and_inputs(zone)
    policy_inputs = [*inputs, ("the observed CSV", observed), ("the weather file", weather_file)]
    with Progress() as progress, output_folder(out, policy_inputs, zone=z) as folder:
        progress.stage("weather", f"making the weather of {zone_path.name}")
        years = weather_years or DEFAULT_SYNTHETIC_YEARS
        w = load_weather(z, source=weather, path=weather_file, years=years, seed=seed)
        progress.stage("calibrate", f"fitting {zone_path.name} to {observed.name}")
        result = calibrate(z, observed, weather=w)
        progress.stage("write", f"writing {out}")
        write_calibration(result, folder)
    _print_table(result)
    console.print(
        f"wrote {out / 'zone.yaml'}, {out / 'calibration.csv'}, {out / 'calibration.json'} and "
        f"{out / 'report.html'}"
    )


def _print_table(result) -> None:
    """Before and after per group and period; with synthetic weather, the spread across years."""
    table = Table(title=f"Calibration ({escape(result.weather)})")
    columns = [
        "group",
        "period",
        "factor [-]",
        "observed [MWh]",
        "before [MWh]",
        "after [MWh]",
        "error before",
        "error after",
        "spread [MWh]",
    ]
    for column in columns:
        table.add_column(escape(column), justify="left" if column in ("group", "period") else "right")
    for row in result.table.itertuples():
        spread = "" if math.isnan(row.spread_mwh) else f"{row.spread_mwh:,.0f}"
        table.add_row(
            escape(row.group),
            row.period,
            f"{row.factor:.4f}",
            f"{row.observed_mwh:,.0f}",
            f"{row.before_mwh:,.0f}",
            f"{row.after_mwh:,.0f}",
            _percent(row.error_before),
            _percent(row.error_after),
            spread,
        )
    console.print(table)
    for fit in result.fits:
        lo, hi = fit.bounds
        console.print(
            f"{escape(fit.group.name)}: {fit.group.quantity} factor {fit.factor:.4f} (bounds {lo:g}-{hi:g}) on "
            f"{escape(', '.join(f'{n}/{t}' for n, t in fit.group.units))}"
        )
        for r in fit.rows:
            if r.spread_mwh > 0 and abs(r.row.energy_mwh - r.after_mwh) > r.spread_mwh:
                off = (r.row.energy_mwh - r.after_mwh) / r.spread_mwh
                console.print(
                    f"  {r.row.period.text}: observed lies {abs(off):.1f} year-to-year spreads "
                    f"{'above' if off > 0 else 'below'} the calibrated model's mean"
                )


def _percent(value: float) -> str:
    return "" if math.isnan(value) else f"{100 * value:+.1f}%"
