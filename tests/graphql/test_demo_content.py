"""Demo creators and posts: seeded through the real upload path, shoppable, and seeded only once."""

from __future__ import annotations

from shoppable.demo.content import DEMO_CREATORS, seed_content
from shoppable.services import build_services
from shoppable.settings import Settings
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.factories import create_merchant, product_input, sign_up, upsert

CREATOR = """query($h: String!) { creator(handle: $h) { followerCount avatar { url }
  posts { edges { node { status likeCount caption media { url width }
    productTags { product { status title } } disclosure { label } } } }
  products { edges { node { id } } } } }"""


async def test_seed_content_is_shoppable_and_idempotent(
    gql: GraphQL, database: Database, settings: Settings
) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind")
    products = [product_input(f"p{i}") for i in range(4)] + [product_input("secret", status="DRAFT")]
    assert (await upsert(gql, owner["token"], merchant["id"], products))["userErrors"] == []
    services = build_services(settings, database)

    await seed_content(services)
    files = sorted(p for p in settings.media_dir.rglob("*") if p.is_file())
    sana = (await gql(CREATOR, {"h": "sana.style"}))["data"]["creator"]
    assert sana["followerCount"] == 1 and sana["avatar"]["url"].startswith(
        "http://testserver.local/media/media/"
    )
    posts = [e["node"] for e in sana["posts"]["edges"]]
    assert len(posts) == len(DEMO_CREATORS[2].posts)
    assert all(p["status"] == "PUBLISHED" and p["likeCount"] == len(DEMO_CREATORS) - 1 for p in posts)
    assert all(p["media"][0]["width"] == 1080 and p["productTags"] for p in posts)
    assert {t["product"]["status"] for p in posts for t in p["productTags"]} == {"ACTIVE"}
    assert "Paid partnership" in {
        p["disclosure"]["label"] for p in posts if p["disclosure"]
    }  # until confirmed
    assert sana["products"]["edges"]

    await seed_content(services)
    await services.jobs.close()
    again = (await gql(CREATOR, {"h": "sana.style"}))["data"]["creator"]
    assert again == sana
    assert sorted(p for p in settings.media_dir.rglob("*") if p.is_file()) == files
