"""The ``greenzone`` command line. No logic of its own: each command is a thin layer over the Python API, and
the policies every command shares (outputs, run folders, progress, errors) live once, in
:mod:`greenzone.cli.common` and the modules it calls.

One module per command or command group: ``plan`` (validate, profiles, run), ``calibrate``, ``report``, ``export``
(export-pypsa), ``operate`` (operate, schedule), ``adequacy``, ``pathway``, ``serve`` (serve, serve-admin) and ``sweep`` (sweep,
sweep-report); a new command gets a module of its own.

Exit codes: 0 ok, 1 other error (a bug in greenzone: the message says where the details are), 2 bad input
(zone, weather, run folder, options, output location), 3 infeasible, 4 solver failure or time limit,
130 interrupted.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.markup import escape

from greenzone.cli import (  # noqa: F401 (registers the commands)
    adequacy,
    calibrate,
    export,
    operate,
    pathway,
    plan,
    report,
    serve,
    sweep,
)
from greenzone.cli.common import METHODS, PYPSA_MISSING, Settings, app, errors
from greenzone.errors import GreenzoneError

log = logging.getLogger("greenzone")

__all__ = ["METHODS", "PYPSA_MISSING", "app", "main"]


def _fail(message: str, code: int) -> None:
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Entry point: run the app, turning every error into one message and an exit code, never a traceback
    (``--verbose`` shows the traceback of an unexpected error; ``--log-file`` always records it)."""
    try:
        code = app(standalone_mode=False)
    except GreenzoneError as exc:
        log.debug("error (exit %d): %s", exc.exit_code, exc)
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        log.debug("interrupted")
        errors.print("interrupted; previous results are left as they were")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: bad options or arguments (exit 2)
        if hasattr(exc, "show"):
            exc.show()
        else:
            errors.print(str(exc), highlight=False, markup=False)
        sys.exit(getattr(exc, "exit_code", 2))
    except MemoryError:
        _fail("out of memory; give a smaller input (fewer hours, nodes or weather years).", 1)
    except Exception as exc:  # a bug: one message, the traceback in the log
        log.debug("unexpected error", exc_info=True)
        if Settings.verbose:
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in greenzone; run again with --verbose (or "
            "--log-file FILE) for the details and report them. Previous results are left as they were.",
            1,
        )
    if isinstance(code, int) and code:
        sys.exit(code)
