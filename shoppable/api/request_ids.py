"""Request ids: taken from `X-Request-Id` or generated, echoed back, and stamped on every log line."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


_SECRET_IN_URL = re.compile(r"(/v1/uploads/)[^/?\s]+|((?:^|[?&])(?:token|key|signature)=)[^&\s]+")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def scrub_url(url: str) -> str:
    """An URL fit for logs: upload grants (in the path) and token-like query values replaced."""
    return _SECRET_IN_URL.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", url)


class AccessLogScrubber(logging.Filter):
    """Uvicorn's access lines carry the full path: the upload endpoint's path is a signed grant."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], scrub_url(record.args[2]), *record.args[3:])
        return True


def configure_logging(level: str) -> None:
    """Every line of ours and uvicorn's carries the request id; access lines are scrubbed of secrets."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    root = logging.getLogger("shoppable")
    root.handlers = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    access = logging.getLogger("uvicorn.access")
    access.handlers = [handler]
    access.setLevel(level.upper())
    access.propagate = False
    if not any(isinstance(f, AccessLogScrubber) for f in access.filters):
        access.addFilter(AccessLogScrubber())


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

    return middleware
