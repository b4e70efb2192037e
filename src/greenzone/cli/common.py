"""What every command shares: the application, its consoles and global options, progress by stage, the
option types, and the output and run-folder policies applied the same way for every command."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from greenzone.errors import OutputError

METHODS = ("ipm", "ipm_no_crossover", "ipx", "dual_simplex", "simplex", "primal_simplex", "pdlp", "choose")
"""HiGHS methods the CLI offers (greenzone.optimize.solve.METHODS; a test keeps them equal)."""

PYPSA_MISSING = "install the pypsa extra: pip install 'greenzone[pypsa]'"

app = typer.Typer(
    name="greenzone",
    help="Plan and operate a renewable green energy zone. Without a zone file, commands use the embedded "
    "Karabakh and East Zangezur zone.\n\n"
    "Global options (--quiet, --verbose, --log-file) go before the command: greenzone --quiet run.\n\n"
    "Exit codes: 0 ok; 1 other error; 2 bad input (zone file, weather, run folder, options); "
    "3 infeasible (the message says which limit cannot be met); 4 solver failure or time limit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: a message or path longer than the terminal is printed as one line (the terminal folds it), so a
# path copied from the output is the path; tables still fit the width.
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("greenzone")


class Settings:
    """What the global options chose; read by the commands."""

    quiet = False
    verbose = False


@app.callback()
def _global_options(
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="print nothing but errors: no progress, no tables")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="log every step and show the solver's own log")
    ] = False,
    log_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--log-file", help="also write a detailed log (timestamps, stages, errors) to this file"
        ),
    ] = None,
) -> None:
    """Options for every command."""
    if quiet and verbose:
        raise typer.BadParameter("choose --quiet or --verbose, not both")
    Settings.quiet, Settings.verbose = quiet, verbose
    console.quiet = quiet
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.DEBUG)
    log.propagate = False
    screen = RichHandler(console=errors, show_path=False, show_time=verbose, markup=False)
    screen.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    log.addHandler(screen)
    if log_file is not None:
        from greenzone.output import check_log_file

        check_log_file(log_file)
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            to_file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise OutputError(
                f"--log-file {log_file}: cannot write the log there ({exc.strerror or exc})."
            ) from None
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(to_file)
    log.debug("greenzone %s: %s", _version(), " ".join(sys.argv))


def _version() -> str:
    from greenzone import __version__

    return __version__


class Progress:
    """Progress by stage: a spinner naming the running stage, a line with its time when it ends.

    ``--quiet`` shows nothing; ``--verbose`` prints a line per stage instead of a spinner, so that the solver's
    own log is not mixed with a spinner (the log's lines name the stages). Every stage is logged (see
    ``--log-file``).
    """

    def __init__(self) -> None:
        self._status = None
        self._name: str | None = None
        self._start = 0.0

    def __enter__(self) -> Progress:
        if not Settings.quiet and not Settings.verbose:
            self._status = console.status("starting")
            self._status.start()
        return self

    def stage(self, name: str, text: str) -> None:
        """End the running stage and start ``name`` (weather, profiles, build, solve, report, write)."""
        self._finish()
        self._name, self._start = name, time.perf_counter()
        log.info("%s: %s", name, text)
        if self._status is not None:
            self._status.update(f"[bold]{name}[/bold]: {escape(text)}")

    def update(self, text: str) -> None:
        """Say how the running stage stands (e.g. a decomposition's bounds and gap), without ending it."""
        log.info("%s: %s", self._name, text)
        if self._status is not None:
            self._status.update(f"[bold]{self._name}[/bold]: {escape(text)}")

    def _finish(self) -> None:
        if self._name is not None:
            elapsed = time.perf_counter() - self._start
            log.info("%s: done in %.1f s", self._name, elapsed)
            if not Settings.verbose:  # --verbose shows the log line instead
                console.print(f"[green]done[/green] {self._name} ({elapsed:.1f} s)")
            self._name = None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._finish()
        elif self._name is not None:
            log.debug("%s: stopped by %s", self._name, exc_type.__name__)
        if self._status is not None:
            self._status.stop()


ZoneArg = Annotated[
    Optional[Path],  # noqa: UP045 (typer needs Optional on 3.10)
    typer.Argument(help="zone YAML file; default: the embedded Karabakh zone", show_default=False),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output folder")]
YearsOpt = Annotated[Optional[int], typer.Option("--weather-years", min=1, help="synthetic weather years")]  # noqa: UP045
SeedOpt = Annotated[Optional[int], typer.Option("--seed", min=0, help="seed of synthetic weather")]  # noqa: UP045
SourceOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--weather", help="weather source: synthetic, pvgis, csv, era5, atlite; default: the zone's"
    ),
]
WeatherFileOpt = Annotated[
    Optional[Path], typer.Option("--weather-file", help="weather file for csv, era5, atlite")  # noqa: UP045
]


def _check_method(value: str) -> str:
    if value not in METHODS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(METHODS)}")
    return value


MethodOpt = Annotated[
    str,
    typer.Option("--method", help="HiGHS method: " + ", ".join(METHODS), callback=_check_method),
]


def _check_time_limit(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be a positive number of seconds, got {value}")
    return value


TimeLimitOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--time-limit", help="solver time limit [s]; reaching it exits 4", callback=_check_time_limit
    ),
]
HoursOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--hours", min=24, help="plan on the first N hours only, annualised (a quick look)"),
]


PlanDirArg = Annotated[
    Path, typer.Argument(help="run folder written by 'greenzone run' (plan.nc, profiles.nc, zone.yaml)")
]


def check_step(step: int, horizon: int) -> None:
    """Refuse a committed step longer than its window."""
    if step > horizon:
        raise typer.BadParameter(f"--step ({step}) must not exceed --horizon ({horizon})")


# ---------------------------------------------------------------------------------------------- policies


def zone_and_inputs(zone_path: Path | None):
    """(zone file, Zone, inputs for the output policy) of a zone argument; the embedded zone by default."""
    from greenzone.runfolder import zone_inputs
    from greenzone.zone import embedded_zone_path, load_zone

    zone_path = zone_path or embedded_zone_path()
    zone = load_zone(zone_path)
    return zone_path, zone, zone_inputs(zone_path, zone)


@contextlib.contextmanager
def output_folder(out: Path, inputs, *, zone=None):
    """The staged output folder of a command: checked against its inputs by the output policy, filled in a
    temporary sibling, given its manifest (command, inputs, zone fingerprint, outputs) and swapped in."""
    from greenzone.output import staged_directory
    from greenzone.runfolder import manifest_record

    inputs = list(inputs)
    with staged_directory(out, inputs, manifest=manifest_record(inputs, zone=zone)) as folder:
        yield folder
