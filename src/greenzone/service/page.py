"""The control-room page: the zone's latest schedule and the last days' schedules against their actuals.

``GET /control-room`` is a static page (``static/control-room.html``, ``.js``, ``.css``) that draws with
plotly.js, served by the service itself from the installed plotly package; a Content-Security-Policy lets the
page load nothing from anywhere else. The page reads the zone and a token from the address's fragment
(``/control-room#zone=ZONE&token=TOKEN``, never sent to a server) and calls the API with it, so the page itself
holds no data and needs no token to load.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import Response

__all__ = ["add_page"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
STATIC = {
    "control-room.js": "text/javascript; charset=utf-8",
    "control-room.css": "text/css; charset=utf-8",
    "plotly.min.js": "text/javascript; charset=utf-8",
}


@functools.lru_cache(maxsize=8)
def _asset(name: str) -> bytes:
    if name == "plotly.min.js":
        import plotly

        return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return resources.files("greenzone.service").joinpath("static", name).read_bytes()


def add_page(app: FastAPI) -> None:
    """Add ``/control-room`` and its ``/static/`` files to ``app``."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @app.get("/control-room", include_in_schema=False)
    def control_room() -> Response:
        return Response(_asset("control-room.html"), media_type="text/html; charset=utf-8", headers=headers)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, f"no file {name!r}")
        return Response(
            _asset(name),
            media_type=STATIC[name],
            headers={**headers, "Cache-Control": "public, max-age=3600"},
        )
