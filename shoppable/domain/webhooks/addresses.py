"""Where webhook deliveries (and any other outgoing request) may go: public addresses only.

A name is resolved by the sender, every address it resolves to is checked here, and the connection is
pinned to a checked address, so a name that resolves to a public address once and to 127.0.0.1 the
next time (DNS rebinding) cannot reach the inside. Development and tests lift the rule with
ALLOW_PRIVATE_NETWORK_FETCH=1.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_URL_CHARS = 2048
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def public_address(address: str) -> bool:
    """A globally routable unicast address: not private, loopback, link-local (cloud metadata at
    169.254.169.254), shared (100.64/10), multicast, reserved or unspecified, including IPv4 addresses
    wrapped in IPv6 (::ffff:10.0.0.1, 64:ff9b::10.0.0.1)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return public_address(str(ip.ipv4_mapped))
        if ip in NAT64:
            return public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None:
            return public_address(str(ip.sixtofour))
        if ip.teredo is not None:
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


def endpoint_url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a URL cannot be a webhook endpoint, or None. Names are checked again, resolved, when sending."""
    if not isinstance(url, str) or not url.strip():
        return "Give the endpoint's URL."
    if len(url) > MAX_URL_CHARS:
        return f"The URL is longer than {MAX_URL_CHARS} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "The URL contains spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL is not valid."
    allowed_schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed_schemes:
        return "The URL must start with https://."
    if parts.username is not None or parts.password is not None:
        return "The URL must not contain a user name or password."
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "The URL has no host."
    if port == 0:
        return "The URL's port is not valid."
    if parts.fragment:
        return "The URL must not contain a #fragment."
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
