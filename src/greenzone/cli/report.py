"""``greenzone report``: the report of a run folder, one self-contained HTML file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from greenzone.cli.common import Progress, app, console

log = logging.getLogger("greenzone")


@app.command()
def report(
    plan_dir: Annotated[
        Path, typer.Argument(help="run folder written by 'greenzone run' (plan.nc, kpis.json, zone.yaml)")
    ],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="report file; default PLAN_DIR/report.html"),
    ] = None,
) -> None:
    """Write the report of a run: one self-contained HTML file that opens offline."""
    from greenzone.report import write_report
    from greenzone.runfolder import check_unchanged

    check_unchanged(plan_dir, ("plan.nc", "kpis.json", "zone.yaml"))
    with Progress() as progress:
        progress.stage("report", f"reading {plan_dir} and writing the report")
        path = write_report(plan_dir, out=out)
    log.info("wrote %s", path.resolve())
    console.print(f"report: [bold]{path.resolve()}[/bold]")
