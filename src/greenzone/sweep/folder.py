"""The sweep folder and its output policy.

A sweep folder grows: each run adds the cases it computes under ``cases/`` and rewrites ``catalog.parquet``;
it is never replaced whole, so an extended sweep or a restart keeps everything done. The policy of
:mod:`greenzone.output` applies with that difference: the folder must not be, hold or lie inside an input
(the sweep file, the zone file, the files the zone reads), and it must be new, empty, or a sweep folder
greenzone wrote (its ``manifest.json`` says ``"kind": "sweep"``); a run folder or a folder of one's own is
refused.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from greenzone.errors import OutputError
from greenzone.output import MANIFEST, check_output_folder, sha256_file, write_text
from greenzone.sweep.spec import Sweep

KIND = "sweep"


def sweep_inputs(sweep: Sweep) -> list[tuple[str, Path]]:
    """The sweep file, the zone file and every file the zone reads, for the output policy."""
    from greenzone.runfolder import zone_inputs

    inputs = [("the sweep file", sweep.path)]
    if sweep.base is not None:
        inputs += zone_inputs(sweep.zone_path, sweep.base)
    return inputs


def check_sweep_folder(out: str | Path, sweep: Sweep, *, option: str = "--out") -> Path:
    """Refuse a sweep folder that would touch an input or a folder greenzone did not write as a sweep.

    Raises
    ------
    OutputError
        naming the location, what it would touch, and what to give instead.
    """
    out = Path(out)
    target = out.resolve()
    for label, source in sweep_inputs(sweep):
        source = source.resolve()
        if source == target or target in source.parents:
            raise OutputError(
                f"{option} {out} holds {label} {source}: a sweep writes its cases and catalog into its folder; "
                f"give a folder of its own, e.g. {target / 'sweep'} or {target.parent / (target.name + '-sweep')}."
            )
        if source.is_dir() and source in target.parents:
            raise OutputError(f"{option} {out} lies inside {label} {source}; write to a folder outside it.")
    if target.is_dir() and any(target.iterdir()):
        kind = _kind(target)
        if kind != KIND:
            what = (
                "holds files greenzone did not write"
                if kind is None
                else f"is a folder greenzone wrote for '{kind}'"
            )
            raise OutputError(
                f"{option} {out} {what}, not a sweep folder; a sweep adds its cases to its folder. Give a new or "
                "empty folder, or a sweep folder from before."
            )
        return out
    return check_output_folder(out, [], option=option)


def _kind(folder: Path) -> str | None:
    """What greenzone wrote the folder for (``sweep``, or the command of a run folder), None when it did not."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("kind"):
        return str(manifest["kind"])
    command = manifest.get("command") or ["run"]
    return " ".join(str(c) for c in command[1:2]) or "run"


def prepare_folder(out: str | Path, sweep: Sweep) -> Path:
    """Check ``out`` and write its manifest (kind, greenzone's version, the inputs with their SHA-256) before
    any case, so that a run stopped early leaves a folder the next run accepts."""
    import sys

    from greenzone import __version__

    out = check_sweep_folder(out, sweep)
    inputs = [
        {"what": label, "path": str(path), **({"sha256": sha256_file(path)} if path.is_file() else {})}
        for label, path in sweep_inputs(sweep)
    ]
    record = {
        "kind": KIND,
        "greenzone": __version__,
        "written_utc": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
        "command": list(sys.argv),
        "inputs": inputs,
    }
    write_text(json.dumps(record, indent=2) + "\n", Path(out) / MANIFEST)
    _share_plotly(Path(out))
    return Path(out)


def _share_plotly(out: Path) -> None:
    """The one copy of plotly.js every case's report.html loads (``../../plotly.min.js``), written when missing
    or from another plotly version, so that a sweep folder stays readable offline and 100 reports do not carry
    100 copies."""
    from greenzone.report.html import plotly_js
    from greenzone.sweep.case import PLOTLY_FILE

    text = plotly_js()
    path = out / PLOTLY_FILE
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_text(text, path)
