"""Liveness and database readiness."""

from __future__ import annotations

import logging

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

log = logging.getLogger("shoppable.api")


@get("/health", include_in_schema=False)
async def health(state: State) -> Response[dict[str, str]]:
    database = state.services.database
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return Response({"status": "error", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})
