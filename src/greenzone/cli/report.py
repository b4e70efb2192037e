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
        Path,
        typer.Argument(
            help="run folder written by 'greenzone run' (plan.nc, kpis.json, zone.yaml), or a pathway folder "
            "written by 'greenzone pathway' (pathway.nc)"
        ),
    ],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="report file; default PLAN_DIR/report.html"),
    ] = None,
) -> None:
    """Write the report of a run: one self-contained HTML file that opens offline.

    A folder 'greenzone pathway' wrote (pathway.nc) gets the pathway's page, what to build when; a run folder
    that holds one in pathway/ gets both (the pathway's in pathway/report.html)."""
    from greenzone.report import write_report
    from greenzone.runfolder import check_unchanged

    pathway_dir = _pathway_folder(plan_dir)
    with Progress() as progress:
        if pathway_dir is not None:
            check_unchanged(pathway_dir, ("pathway.nc", "kpis.json", "zone.yaml"))
            progress.stage("report", f"reading {pathway_dir} and writing the pathway's report")
            alone = pathway_dir == plan_dir
            path = _pathway_report(pathway_dir, out if alone else None)
            log.info("wrote %s", path.resolve())
            console.print(f"pathway report: [bold]{path.resolve()}[/bold]")
            if alone:
                return
        check_unchanged(plan_dir, ("plan.nc", "kpis.json", "zone.yaml"))
        progress.stage("report", f"reading {plan_dir} and writing the report")
        path = write_report(plan_dir, out=out)
    log.info("wrote %s", path.resolve())
    console.print(f"report: [bold]{path.resolve()}[/bold]")


def _pathway_folder(folder: Path) -> Path | None:
    """The pathway folder of ``folder``: itself when it holds pathway.nc and no plan.nc, else pathway/ in it
    when that holds one; None without one."""
    if (folder / "pathway.nc").is_file() and not (folder / "plan.nc").is_file():
        return folder
    if (folder / "pathway" / "pathway.nc").is_file():
        return folder / "pathway"
    return None


def _pathway_report(folder: Path, out: Path | None) -> Path:
    """The pathway page of ``folder``, with the names of its zone.yaml when that can be read."""
    from greenzone.errors import GreenzoneError
    from greenzone.report.pathway_page import write_pathway_report

    zone = None
    if (folder / "zone.yaml").is_file():
        from greenzone.zone import load_zone

        try:
            zone = load_zone(folder / "zone.yaml")
        except GreenzoneError as exc:
            console.print(
                f"[yellow]the zone file beside the pathway cannot be read, so ids stand for names: {exc}[/yellow]"
            )
    return write_pathway_report(folder, out=out, zone=zone)
