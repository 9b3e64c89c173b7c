"""Outgoing HTTP requests to addresses merchants give us (webhook endpoints), safely.

The host is resolved here, *every* address it resolves to must be public (else nothing is sent), and
the connection is made to one of those checked addresses (the URL's host is kept for the Host header,
TLS SNI and certificate checks), so DNS cannot point the request elsewhere between check and connect.
No proxies from the environment, no redirects followed, a total deadline per request, and only the
first KB of the answer is read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections import OrderedDict

import httpx

from shoppable.domain.webhooks.addresses import public_address
from shoppable.domain.webhooks.schedule import TIMEOUT_SECONDS, Answer

MAX_EXCERPT_BYTES = 1024
MAX_CLIENTS = 128


class AddressRefused(Exception):
    pass


class PinnedHttpSender:
    """Implements `shoppable.domain.webhooks.ports.WebhookSender`."""

    def __init__(self, *, allow_private: bool = False, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self.allow_private = allow_private
        self.timeout_seconds = timeout_seconds
        # One pooled client per (scheme, host name, address, port): a kept-alive TLS connection made
        # for one name is never reused for another name that resolves to the same address.
        self._clients: OrderedDict[tuple[str, str, str, int], httpx.AsyncClient] = OrderedDict()

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host`; AddressRefused unless all of them are public (or private ones are allowed)."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise AddressRefused(f"Could not resolve {host}: {exc.strerror or exc}.") from None
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise AddressRefused(f"{host} has no address.")
        if not self.allow_private:
            for address in addresses:
                if not public_address(address):
                    raise AddressRefused(
                        f"{host} resolves to {address}, a private, loopback or link-local address; not sent."
                    )
        return addresses

    def _client(self, scheme: str, host: str, address: str, port: int) -> httpx.AsyncClient:
        key = (scheme, host, address, port)
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                trust_env=False,
                follow_redirects=False,
                timeout=httpx.Timeout(self.timeout_seconds),
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
            )
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                _key, old = self._clients.popitem(last=False)
                asyncio.get_running_loop().create_task(old.aclose())
        else:
            self._clients.move_to_end(key)
        return client

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            target = httpx.URL(url)
            host = target.host
            port = target.port or (443 if target.scheme == "https" else 80)
            async with asyncio.timeout(self.timeout_seconds):
                address = (await self.resolve(host, port))[0]
                pinned = target.copy_with(host=address)
                host_header = host if target.port is None else f"{host}:{target.port}"
                client = self._client(target.scheme, host, address, port)
                request = client.build_request(
                    "POST",
                    pinned,
                    headers={**headers, "host": host_header},
                    content=body,
                    extensions={"sni_hostname": host} if target.scheme == "https" else {},
                )
                response = await client.send(request, stream=True)
                try:
                    excerpt = b""
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= MAX_EXCERPT_BYTES:
                            break
                finally:
                    await response.aclose()
        except AddressRefused as exc:
            return Answer(None, elapsed(), error=str(exc))
        except TimeoutError:
            return Answer(None, elapsed(), error=f"No answer within {self.timeout_seconds:g} seconds.")
        except httpx.TimeoutException:
            return Answer(None, elapsed(), error=f"No answer within {self.timeout_seconds:g} seconds.")
        except (httpx.HTTPError, OSError, ValueError) as exc:
            return Answer(None, elapsed(), error=f"Could not connect: {type(exc).__name__}: {exc}"[:500])
        status = response.status_code
        note = None
        if 300 <= status < 400:
            note = f"HTTP {status}: redirects are not followed; give the final URL."
        return Answer(
            status,
            elapsed(),
            error=note,
            retry_after=response.headers.get("retry-after"),
            body_excerpt=excerpt[:MAX_EXCERPT_BYTES].decode("utf-8", "replace") or None,
        )

    async def close(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
