"""Uvicorn's access lines never carry an upload grant or a token, and carry the request id."""

from __future__ import annotations

import io
import logging

from shoppable.api.request_ids import configure_logging, request_id_var


def test_access_lines_are_scrubbed_and_carry_the_request_id() -> None:
    configure_logging("INFO")
    access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    for handler in access.handlers:
        handler.setStream(stream)  # type: ignore[attr-defined]
    token = request_id_var.set("req-access-1")
    try:
        # The record uvicorn's httptools/h11 protocols emit for each response.
        access.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "PUT", "/v1/uploads/eyJ.grant.sig?x=1", "1.1", 204
        )
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/media/a.webp?token=abc", "1.1", 200)
    finally:
        request_id_var.reset(token)
    lines = stream.getvalue()
    assert "eyJ.grant.sig" not in lines and "token=abc" not in lines
    assert "/v1/uploads/[redacted]?x=1" in lines and "token=[redacted]" in lines
    assert lines.count("[req-access-1]") == 2
