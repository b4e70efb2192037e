"""``greenzone operate`` and ``schedule``: a planned zone run from forecasts, and the next hours' schedule."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from greenzone.cli.common import OutOpt, PlanDirArg, Progress, app, check_step, console, output_folder

log = logging.getLogger("greenzone")


FORECASTS = ("perfect", "persistence", "climatology", "noisy")


def _check_forecast_name(value: str) -> str:
    if value not in FORECASTS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORECASTS)}")
    return value


@app.command()
def operate(
    plan_dir: PlanDirArg,
    out: OutOpt = Path("out/operation"),
    forecast: Annotated[
        str,
        typer.Option(
            "--forecast", help="forecast model: " + ", ".join(FORECASTS), callback=_check_forecast_name
        ),
    ] = "noisy",
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="hours per window")] = 48,
    step: Annotated[int, typer.Option("--step", min=1, help="hours committed per window")] = 24,
    seed: Annotated[int, typer.Option("--seed", min=0, help="seed of the noisy forecast")] = 0,
    hours: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--hours", min=1, help="operate the first N hours only (a quick look)"),
    ] = None,
) -> None:
    """Operate a planned zone in rolling windows from forecasts: OUT/operation.nc, kpis.json and report.html.

    kpis.json adds cost_of_forecast_error_usd: this forecast's operating cost over the operated hours minus
    that of rolling operation with perfect forecasts (same windows). OUT/report.html is the plan's report with
    an Operation section: plan against operation, the forecast's skill, the weeks hour by hour and the
    forecast error.
    """
    import json

    from greenzone.kpi import kpis
    from greenzone.operate import operate as run_operation
    from greenzone.output import write_netcdf, write_text
    from greenzone.report import write_report
    from greenzone.runfolder import read_run

    check_step(step, horizon)
    run = read_run(plan_dir)
    z, p, planned = run.zone, run.profiles, run.plan
    with Progress() as progress, output_folder(out, run.inputs(), zone=z) as folder:
        if hours is not None:
            p = p.isel(time=slice(0, hours))
            if "time" in planned.dims:
                planned = planned.isel(time=slice(0, hours))

        def windows(label: str):
            def report(done: int, total: int) -> None:
                log.debug("%s: window %d of %d", label, done, total)
                if progress._status is not None:
                    progress._status.update(f"[bold]{label}[/bold]: window {done} of {total}")

            return report

        runs = {}
        for name in dict.fromkeys((forecast, "perfect")):
            progress.stage(f"operate ({name})", f"{horizon} h windows every {step} h")
            runs[name] = run_operation(
                z,
                planned,
                p,
                forecast=name,
                horizon=horizon,
                step=step,
                seed=seed,
                progress=windows(f"operate ({name})"),
            )
        result = runs[forecast]
        progress.stage("write", f"writing {out}")
        figures = kpis(result, z)
        cost = result.attrs["operating_cost_usd"]
        perfect = runs["perfect"].attrs["operating_cost_usd"]
        figures.update(
            {
                "forecast": forecast,
                "forecast_seed": seed,
                "horizon_h": horizon,
                "step_h": step,
                "windows": int(result.attrs["windows"]),
                "operated_hours": int(result.sizes["time"]),
                "operating_cost_usd": cost,
                "perfect_forecast_operating_cost_usd": perfect,
                "cost_of_forecast_error_usd": cost - perfect,
                "unserved_energy_operated_mwh": float(result["unserved"].sum()),
                "mean_window_solve_s": float(result["window_solve_s"].mean()),
                "mean_window_iterations": float(result["window_iterations"].mean()),
            }
        )
        write_netcdf(result, folder / "operation.nc")
        write_text(json.dumps(figures, indent=2) + "\n", folder / "kpis.json")
        progress.stage("report", "writing the report with the operation")
        write_report(plan_dir, out=folder / "report.html", zone=z, operation=folder)
    table = Table(title=f"Operation with {forecast} forecasts ({horizon} h windows every {step} h)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in (
        ("operated hours", f"{figures['operated_hours']:,}"),
        ("operating cost [USD]", f"{cost:,.0f}"),
        ("with perfect forecasts [USD]", f"{perfect:,.0f}"),
        ("cost of forecast error [USD]", f"{cost - perfect:,.0f}"),
        ("unserved energy [MWh]", f"{figures['unserved_energy_operated_mwh']:,.1f}"),
        ("time per window [s]", f"{figures['mean_window_solve_s']:.3f}"),
    ):
        table.add_row(escape(label), value)
    console.print(table)
    console.print(f"wrote {out.resolve()}")
    console.print(f"report: [bold]{out.resolve() / 'report.html'}[/bold]")


@app.command()
def schedule(
    plan_dir: PlanDirArg,
    state: Annotated[Path, typer.Option("--state", help="JSON of storage levels [MWh] by 'node/technology'")],
    forecast: Annotated[
        Path, typer.Option("--forecast", help="forecast CSV (see greenzone.operate.schedule)")
    ],
    out: OutOpt = Path("out/schedule"),
    horizon: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--horizon", min=1, help="hours to schedule; default every row of the forecast"),
    ] = None,
) -> None:
    """The next hours' schedule per unit, link and grid connection: OUT/schedule.csv and schedule.nc."""
    from greenzone.operate.schedule import read_forecast_csv, read_state_json, schedule_table
    from greenzone.operate.schedule import schedule as make_schedule
    from greenzone.output import write_netcdf, write_text
    from greenzone.runfolder import read_run

    run = read_run(plan_dir)
    z, p, planned = run.zone, run.profiles, run.plan
    inputs = [*run.inputs(), ("the state file", state), ("the forecast file", forecast)]
    with Progress() as progress, output_folder(out, inputs, zone=z) as folder:
        progress.stage("read", f"reading {state.name} and {forecast.name}")
        levels = read_state_json(state)
        window = read_forecast_csv(forecast, z, p, horizon, capacities=planned)
        progress.stage("solve", f"scheduling {window.sizes['time']} hours")
        result = make_schedule(z, planned, window, levels)
        table = schedule_table(result)
        progress.stage("write", f"writing {out}")
        write_netcdf(result, folder / "schedule.nc")
        write_text(table.to_csv(float_format="%.4f"), folder / "schedule.csv")
    shown = Table(
        title=f"Schedule from {table.index[0]:%Y-%m-%d %H:%M} UTC ({len(table)} h; every hour in schedule.csv)"
    )
    for column in ("unit, link or grid", "first hour", "min", "mean", "max"):
        shown.add_column(column, justify="left" if column.startswith("unit") else "right")
    for column in table.columns:
        values = table[column]
        shown.add_row(
            escape(column),
            *(f"{v:,.1f}" for v in (values.iloc[0], values.min(), values.mean(), values.max())),
        )
    console.print(shown)
    console.print(f"wrote {out.resolve() / 'schedule.csv'}")
