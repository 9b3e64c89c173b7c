"""Who is calling, for REST and GraphQL alike: bearer user token, `shp_` API key, or anonymous."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from shoppable.domain.identity import service
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.credentials import InvalidToken
from shoppable.domain.uow import UnitOfWork

MAX_DEVICE_ID = 128


def bearer_of(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthorizedException("Use `Authorization: Bearer <token or API key>`.")
    return value.strip()


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The peer's address; behind a reverse proxy, uvicorn puts the forwarded client here when the
    proxy is trusted (`FORWARDED_ALLOW_IPS`), so rate limits count callers, not the proxy."""
    return request.client.host if request.client else None


CHANNELS = frozenset({"APP", "WEB", "WATCH", "OTHER"})


def channel_of(request: Request[Any, Any, Any]) -> str:
    """`X-Channel: APP|WEB|WATCH` as the client says; anything else is OTHER."""
    channel = request.headers.get("x-channel", "").strip().upper()
    return channel if channel in CHANNELS else "OTHER"


def sends_gpc(request: Request[Any, Any, Any]) -> bool:
    """Global Privacy Control (https://privacycg.github.io/gpc-spec/): `Sec-GPC: 1`."""
    return request.headers.get("sec-gpc", "").strip() == "1"


async def actor_for(request: Request[Any, Any, Any], uow: UnitOfWork, secret: str) -> Actor:
    device_id = request.headers.get("x-device-id", "").strip()[:MAX_DEVICE_ID] or None
    try:
        actor = await service.authenticate(
            uow, secret, bearer_of(request), device_id, gpc=sends_gpc(request), channel=channel_of(request)
        )
        return replace(actor, ip=client_ip(request))
    except InvalidToken as exc:
        raise NotAuthorizedException(
            str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from None
