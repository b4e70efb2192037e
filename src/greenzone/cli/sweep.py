"""``greenzone sweep``: the cases of a sweep file on Dask, cached by content, listed in one Parquet catalog."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from greenzone.cli.common import OutOpt, Settings, app, console


@app.command("sweep")
def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="sweep YAML file (base zone, run, parameters)")],
    out: OutOpt = Path("out/sweep"),
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler",
            help="address of a running Dask scheduler (tcp://HOST:8786); default: a local cluster",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--workers", min=1, help="worker processes of the local cluster (default: one per core)"
        ),
    ] = None,
    max_cases: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-cases", min=1, help="run a subset of N cases drawn with the sweep file's seed"),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="print how many cases there are, how many are cached, and how long the rest take",
        ),
    ] = False,
) -> None:
    """Run every case of a sweep file that OUT does not hold yet.

    Each case is one Dask task (one HiGHS thread); its result is stored under OUT/cases/<hash>/ (kpis.json and
    plan.nc or pathway.nc), the hash being that of the case's zone, options and greenzone's version, so a
    rerun, an extended sweep or a restart after a crash computes only what is missing. OUT/catalog.parquet
    lists every case: parameters, status, time, key figures and result folder
    (pandas.read_parquet("OUT/catalog.parquet")).
    """
    from greenzone.sweep import read_sweep
    from greenzone.sweep.folder import check_sweep_folder
    from greenzone.sweep.run import estimate, run_sweep

    if scheduler is not None and workers is not None:
        raise typer.BadParameter(
            "--workers sizes the local cluster; with --scheduler the cases run on that scheduler's workers. "
            "Give one of them."
        )
    sweep = read_sweep(sweep_file)
    cases = sweep.subset(max_cases)
    check_sweep_folder(out, sweep)
    if dry_run:
        console.print(estimate(sweep, out, cases, workers=workers, scheduler=scheduler))
        return
    status = None if Settings.quiet or Settings.verbose else console.status("starting the Dask cluster")
    if status is not None:
        status.start()

    def shown(progress) -> None:
        if status is not None:
            status.update(escape(progress.line()))
        elif Settings.verbose:
            console.print(progress.line())

    try:
        outcome = run_sweep(sweep, out, cases=cases, scheduler=scheduler, workers=workers, on_progress=shown)
    finally:
        if status is not None:
            status.stop()
    p = outcome.progress
    console.print(
        f"{p.total} cases: {p.done} done ({p.computed} computed, {p.cached} cached), {p.failed} failed"
    )
    for row in outcome.rows:
        if row["status"] == "failed":
            console.print(f"[yellow]case {row['case']} failed:[/yellow] {escape(row['error'])}")
    console.print(f"catalog: [bold]{outcome.catalog}[/bold]")


@app.command("sweep-report")
def sweep_report_command(
    folder: Annotated[Path, typer.Argument(help="sweep folder written by 'greenzone sweep'")],
    kpi: Annotated[
        str, typer.Option("--kpi", help="key figure of the tornado (a catalog column)")
    ] = "total_cost_usd_per_year",
) -> None:
    """Which assumption moves which answer: the tornado of one key figure (each parameter's main effect, from
    its lowest to its highest mean over the cases) and the rank correlations of every parameter with the main
    key figures, from FOLDER/catalog.parquet; FOLDER/report.html shows them with the key figures' distributions,
    the cases on the cost-renewable-share plane coloured by land, capacity by case and a table of every case."""
    from rich.table import Table

    from greenzone.sweep.catalog import read_catalog
    from greenzone.sweep.sensitivity import rank_correlations, tornado
    from greenzone.sweep.spec import SweepError

    catalog = read_catalog(folder)
    if kpi not in catalog.columns:
        import difflib

        close = difflib.get_close_matches(kpi, [str(c) for c in catalog.columns], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "."
        raise SweepError(f"--kpi {kpi}: {folder}/catalog.parquet has no such column{hint}")
    done = int((catalog["status"] == "done").sum())
    console.print(f"{len(catalog)} cases, {done} done, {len(catalog) - done} failed or pending")
    table = Table(title=escape(f"Tornado: {kpi}"))
    for column in ("parameter", "at", "lowest mean", "at", "highest mean", "swing"):
        table.add_column(column, justify="left" if column in ("parameter", "at") else "right")
    for name, row in tornado(catalog, kpi).iterrows():
        table.add_row(
            escape(str(name)),
            f"{row['low_value']:g}",
            f"{row['low']:,.4g}",
            f"{row['high_value']:g}",
            f"{row['high']:,.4g}",
            f"{row['swing']:,.4g}",
        )
    console.print(table)
    correlations = rank_correlations(catalog)
    table = Table(title="Rank correlations (Spearman) of parameters with key figures")
    table.add_column("parameter")
    for column in correlations.columns:
        table.add_column(escape(column), justify="right")
    for name, row in correlations.iterrows():
        table.add_row(escape(str(name)), *("" if math.isnan(v) else f"{v:+.2f}" for v in row))
    console.print(table)
    from greenzone.sweep.page import write_sweep_report

    console.print(f"report: [bold]{write_sweep_report(folder).resolve()}[/bold]")
