"""Downloading catalog images from the URLs merchants give us, safely.

The same rules as every outgoing request (see API.md, "Merchant webhooks"): https only; the host is
resolved here and *every* address it resolves to must be public (not private, loopback, link-local
such as cloud metadata at 169.254.169.254, shared, multicast or reserved, IPv4 wrapped in IPv6
included), and the connection is pinned to a checked address (the URL's host kept for the Host
header, TLS SNI and certificate checks), so DNS cannot point the request elsewhere between check and
connect. No proxies from the environment; redirects are followed by hand, at most three, each hop
checked the same way; a total deadline; the body is read up to the size limit and no further; only
image types are accepted. `ALLOW_PRIVATE_NETWORK_FETCH=1` (development and tests) lifts the address
and https rules.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import httpx

from shoppable.domain.vision.limits import CATALOG_IMAGE_MAX_REDIRECTS, CATALOG_IMAGE_TIMEOUT_SECONDS
from shoppable.domain.vision.ports import FetchFailed, FetchRefused
from shoppable.domain.webhooks.addresses import BLOCKED_SUFFIXES, public_address

USER_AGENT = "ShoppableImageFetcher/1.0 (+catalog images for product pages)"
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why this URL may not be fetched, before any lookup; None when it may (names are checked resolved)."""
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "The URL contains spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL is not valid."
    if parts.scheme not in ({"https", "http"} if allow_private else {"https"}):
        return "Only https:// image URLs are fetched."
    if parts.username is not None or parts.password is not None:
        return "The URL must not contain a user name or password."
    host = (parts.hostname or "").rstrip(".")
    if not host or port == 0:
        return "The URL has no valid host."
    if allow_private:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(BLOCKED_SUFFIXES) or "." not in host:
            return "The URL must name a public host."
        return None
    if not public_address(host):
        return "The URL points at a private, loopback or link-local address."
    return None


class PinnedImageFetcher:
    """Implements `shoppable.domain.vision.ports.ImageFetcher`."""

    def __init__(
        self, *, allow_private: bool = False, timeout_seconds: float = CATALOG_IMAGE_TIMEOUT_SECONDS
    ) -> None:
        self.allow_private = allow_private
        self.timeout_seconds = timeout_seconds

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchFailed(f"Could not resolve {host}: {exc.strerror or exc}.") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise FetchFailed(f"{host} has no address.")
        return addresses

    async def fetch(self, url: str, *, max_bytes: int) -> bytes:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._fetch(url, max_bytes)
        except TimeoutError:
            raise FetchFailed(f"No complete answer within {self.timeout_seconds:g} seconds.") from None
        except httpx.TimeoutException:
            raise FetchFailed(f"No answer within {self.timeout_seconds:g} seconds.") from None
        except (httpx.HTTPError, OSError) as exc:
            raise FetchFailed(f"Could not download: {type(exc).__name__}: {exc}"[:300]) from None

    async def _fetch(self, url: str, max_bytes: int) -> bytes:
        for _hop in range(CATALOG_IMAGE_MAX_REDIRECTS + 1):
            problem = url_problem(url, allow_private=self.allow_private)
            if problem is not None:
                raise FetchRefused(problem)
            target = httpx.URL(url)
            host = target.host
            port = target.port or (443 if target.scheme == "https" else 80)
            addresses = await self._addresses(host, port)
            if not self.allow_private:
                for address in addresses:
                    if not public_address(address):
                        raise FetchRefused(
                            f"{host} resolves to {address}, a private, loopback or link-local address."
                        )
            pinned = target.copy_with(host=addresses[0])
            headers = {
                "host": host if target.port is None else f"{host}:{target.port}",
                "user-agent": USER_AGENT,
                "accept": "image/webp,image/jpeg,image/png,image/heic,image/*;q=0.5",
            }
            async with httpx.AsyncClient(
                trust_env=False, follow_redirects=False, timeout=httpx.Timeout(self.timeout_seconds)
            ) as client:
                request = client.build_request(
                    "GET",
                    pinned,
                    headers=headers,
                    extensions={"sni_hostname": host} if target.scheme == "https" else {},
                )
                response = await client.send(request, stream=True)
                try:
                    status = response.status_code
                    if 300 <= status < 400 and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if status in TRANSIENT_STATUSES:
                        raise FetchFailed(f"HTTP {status} from {host}.")
                    if status != 200:
                        raise FetchRefused(f"HTTP {status} from {host}.")
                    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                    if not content_type.startswith("image/"):
                        raise FetchRefused(f"Not an image: the answer is {content_type or 'untyped'}.")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchRefused(f"The image is larger than {max_bytes // (1024 * 1024)} MB.")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise FetchRefused(f"The image is larger than {max_bytes // (1024 * 1024)} MB.")
                    return bytes(body)
                finally:
                    await response.aclose()
        raise FetchRefused(f"More than {CATALOG_IMAGE_MAX_REDIRECTS} redirects.")
