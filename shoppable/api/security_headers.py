"""Security headers on every response.

API answers are data, never documents: a strict policy stops a browser from running or framing
anything in them, and media (user uploads) are sandboxed so an image that sniffs as HTML cannot act
on our origin. GraphiQL (DEBUG only) is the one HTML page; its policy allows the CDN it loads from.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
MEDIA_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox; frame-ancestors 'none'"
GRAPHIQL_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; font-src 'self' data: https://unpkg.com; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _policy(path: str, content_type: str) -> str:
    if path.startswith("/media/"):
        return MEDIA_POLICY
    if content_type.startswith("text/html"):
        return GRAPHIQL_POLICY
    return API_POLICY


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault(
                    "Content-Security-Policy", _policy(scope["path"], headers.get("content-type") or "")
                )
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
