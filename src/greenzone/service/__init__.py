"""The operator's service: day-ahead schedules over HTTP, with accounts, history and limits.

``greenzone serve --db PATH`` runs :func:`greenzone.service.app.create_app` on uvicorn; the modules each
hold one job: :mod:`~greenzone.service.db` (tables and migrations), :mod:`~greenzone.service.auth` (tokens
and roles), :mod:`~greenzone.service.limits` (request size and rate), :mod:`~greenzone.service.zones` (the
zones a service knows, read from their run folders), :mod:`~greenzone.service.scheduling` (requests →
the same :func:`greenzone.operate.schedule.schedule` the CLI calls, stored with their inputs),
:mod:`~greenzone.service.app` (the routes) and :mod:`~greenzone.service.page` (the control-room page).
See docs/service.md.
"""
