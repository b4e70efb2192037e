"""Running greenzone's command line from tests."""

from __future__ import annotations

import sys


def cli_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process as a user would (errors through ``main``): (exit code, stdout, stderr)."""
    from greenzone import cli

    monkeypatch.setattr(sys, "argv", ["greenzone", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err
