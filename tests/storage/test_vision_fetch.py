"""Catalog image downloads never reach private, loopback or link-local addresses (nor plain http)
unless ALLOW_PRIVATE_NETWORK_FETCH=1; a refused image is final and its product never surfaces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from shoppable.domain.vision.ports import FetchFailed, FetchRefused
from shoppable.domain.webhooks.addresses import public_address
from shoppable.services import build_services
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.image_fetch import PinnedImageFetcher, url_problem
from shoppable.storage.tables import CatalogImageRow
from tests.conftest import GraphQL
from tests.factories import create_merchant, sign_up, upsert
from tests.graphql.test_vision_search import ImageServer, photo, product, wait_until_indexed


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "fe80::1",
        "224.0.0.1",
        "2002:7f00:1::",
    ],
)
def test_private_addresses_are_not_public(address: str) -> None:
    assert not public_address(address)


def test_public_addresses_are() -> None:
    assert public_address("93.184.216.34") and public_address("2606:2800:220:1:248:1893:25c8:1946")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://cdn.example.com/a.jpg", "https"),
        ("https://127.0.0.1/a.jpg", "private"),
        ("https://[::1]/a.jpg", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://localhost/a.jpg", "public host"),
        ("https://printer.local/a.jpg", "public host"),
        ("https://user:pw@cdn.example.com/a.jpg", "user name"),
        ("file:///etc/passwd", "https"),
        ("https://cdn.example.com/a b.jpg", "spaces"),
    ],
)
def test_urls_refused_before_any_lookup(url: str, why: str) -> None:
    problem = url_problem(url, allow_private=False)
    assert problem is not None and why in problem


async def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = PinnedImageFetcher()

    async def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]  # one public, one private: nothing is sent

    monkeypatch.setattr(fetcher, "_addresses", rebinding)
    with pytest.raises(FetchRefused, match="private"):
        await fetcher.fetch("https://images.example.com/a.jpg", max_bytes=1000)


async def test_size_type_and_redirect_limits(image_server: ImageServer) -> None:
    fetcher = PinnedImageFetcher(allow_private=True)
    image_server.files["/big.jpg"] = (b"\xff\xd8\xff" + bytes(5000), "image/jpeg")
    image_server.files["/page.html"] = (b"<html></html>", "text/html")
    with pytest.raises(FetchRefused, match="larger"):
        await fetcher.fetch(image_server.url("/big.jpg"), max_bytes=1000)
    with pytest.raises(FetchRefused, match="Not an image"):
        await fetcher.fetch(image_server.url("/page.html"), max_bytes=1000)
    with pytest.raises(FetchRefused, match="404"):
        await fetcher.fetch(image_server.url("/missing.jpg"), max_bytes=1000)
    assert (
        await fetcher.fetch(image_server.url("/big.jpg"), max_bytes=10_000)
        == image_server.files["/big.jpg"][0]
    )
    with pytest.raises(FetchFailed):
        await PinnedImageFetcher(allow_private=True, timeout_seconds=2).fetch(
            "http://127.0.0.1:9/x.jpg", max_bytes=10
        )


async def test_product_images_on_private_addresses_are_refused_and_never_searchable(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    settings: Settings,
    image_server: ImageServer,
) -> None:
    assert not settings.allow_private_network_fetch  # the production default
    worker = build_services(settings)
    try:
        owner = await sign_up(gql)
        merchant = await create_merchant(gql, owner["token"])
        path = "/images/lamp.jpg"
        image_server.files[path] = (photo("table-lamp", "Lamp", "Black", "x"), "image/jpeg")
        payload = await upsert(
            gql,
            owner["token"],
            merchant["id"],
            [product("table-lamp", "Lamp", "Black", "10.00", image_server.url(path))],
        )
        assert payload["userErrors"] == []
        await wait_until_indexed(database, worker, 1)
        images = CatalogImageRow.__table__
        async with database.engine.connect() as conn:
            rows = (await conn.execute(select(images.c.status, images.c.error, images.c.embedding))).all()
        assert [r.status for r in rows] == ["FAILED"]
        assert "https" in rows[0].error and rows[0].embedding is None
        assert image_server.requests == []  # nothing was ever sent to the private address
        more = await gql(
            "query($input: VisualSearchInput!) { visualSearch(input: $input) { matches { similarity } userErrors { code } } }",
            {"input": {"productId": payload["products"][0]["id"]}},
        )
        assert more["data"]["visualSearch"]["userErrors"][0]["code"] == "INVALID"  # not indexed
    finally:
        await worker.close()
