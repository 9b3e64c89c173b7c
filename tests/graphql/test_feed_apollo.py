"""A real web client scrolls the feed: Apollo Client's cache with relayStylePagination(), run with node.

The app runs under uvicorn in its own process, on the test database; tests/js/feed_pagination.mjs
walks the feed with fetchMore until hasNextPage is false and prints what each page returned and what
Apollo's cache accumulated. `npm ci` runs once, when tests/js/node_modules is missing or older than
the lock file (node_modules is ignored by git, so a fresh clone installs on its first run).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.common import server
from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from tests.conftest import require_service
from tests.feed_world import SECRET, World

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "feed_pagination.mjs"
PAGE_SIZE = 7  # does not divide the number of items: the last page is a partial one


def _node_problem() -> str | None:
    if shutil.which("node") and shutil.which("npm"):
        return None
    return "node and npm are needed to run Apollo Client (tests/js); install Node.js >= 18"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    require_service("Node.js", _node_problem)
    npm = shutil.which("npm")
    assert npm is not None
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
        )
    return JS_DIR / "node_modules"


@pytest.fixture
def app_server(database: Database, tmp_path: Path) -> Iterator[str]:
    """The real app under uvicorn, on this test's database (SQLite file or Postgres schema)."""
    env = {
        "SECRET_KEY": SECRET,
        "MEDIA_DIR": str(tmp_path / "media"),
        "IMPORT_DIR": str(tmp_path / "imports"),
        "MODEL_DIR": str(tmp_path / "models"),
        "FEED_SNAPSHOT_TTL_SECONDS": "3600",
    }
    with server("shoppable.api.app:create_app", database.url, env) as base:
        yield base + "/graphql"


async def seed(database: Database) -> tuple[World, dict[str, Any]]:
    """8 creators x 5 posts, 6 merchants x 5 products; a shopper who follows two creators and liked posts."""
    world = World(database)
    await world.catalog(merchants=6, products_each=5)
    creators = await world.creators(8)
    for index, creator in enumerate(creators):
        tagged = world.product_ids[index * 3 : index * 3 + 2]
        await world.posts(creator, 5, tag=tagged, age_hours=1 + index)
    shopper = await world.user(consent=True)
    await world.follow(shopper["id"], creators[0])
    await world.follow(shopper["id"], creators[5])
    await world.like(shopper["id"], world.post_ids[12])
    await world.like(shopper["id"], world.post_ids[30])
    return world, shopper


def scroll(url: str, token: str | None) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(SCRIPT), url, *([token] if token else [])],
        cwd=JS_DIR,
        env=os.environ | {"FEED_FIRST": str(PAGE_SIZE)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("viewer", ["anonymous", "personalized"])
async def test_apollo_accumulates_every_feed_item_once(
    node_modules: Path, database: Database, app_server: str, viewer: str
) -> None:
    # given a world of posts and products, served by the real app over HTTP
    world, shopper = await seed(database)
    token = shopper["token"] if viewer == "personalized" else None

    # when Apollo Client scrolls the feed with fetchMore until hasNextPage is false
    walk = scroll(app_server, token)

    # then its cache holds exactly the pages the server returned, in order, each item once, all of them
    pages, accumulated = walk["pages"], walk["accumulated"]
    assert walk["hasNextPage"] is False, "the walk hit the page cap"
    assert len(pages) > 3 and all(len(page) == PAGE_SIZE for page in pages[:-1])
    assert 0 < len(pages[-1]) <= PAGE_SIZE
    assert accumulated == [item for page in pages for item in page]
    assert len(accumulated) == len(set(accumulated)), "an item was accumulated twice"
    assert walk["cachedPageInfo"]["hasNextPage"] is False
    personal = {"FOLLOWING", "PERSONALIZED"} & set(walk["sources"])
    assert bool(personal) is (viewer == "personalized"), walk["sources"]
    posts = {encode_id("Post", pk) for pk in world.post_ids}
    products = {encode_id("Product", pk) for pk in world.product_ids}
    assert set(accumulated) <= posts | products
    # Eight creators never run into the author-diversity limit, so no post may be missing; product
    # cards can be (the feed stops rather than show one merchant too often once posts run out).
    assert posts <= set(accumulated)


async def test_a_cold_server_answers_a_burst_of_feed_requests(database: Database, app_server: str) -> None:
    """More signed-in first pages at once than the connection pool holds, before the trending snapshot exists.

    Each request has read the viewer's hides with its connection when it starts waiting for the one
    computing the shared snapshot; that one must not need a second connection (SQLite's pool holds 15,
    PostgreSQL's 40), or every request waits for the pool's 30 s timeout and fails.
    """
    world = World(database)
    await world.catalog(merchants=2, products_each=5)
    for creator in await world.creators(3):
        await world.posts(creator, 4)
    shopper = await world.user(consent=True)
    body = {"query": "{ feed(first: 5) { edges { node { __typename } } } }"}
    headers = {"Authorization": f"Bearer {shopper['token']}"}
    async with httpx.AsyncClient(timeout=20) as client:
        responses = await asyncio.gather(
            *(client.post(app_server, json=body, headers=headers) for _ in range(48))
        )
    assert [r.status_code for r in responses] == [200] * 48
    assert all(len(r.json()["data"]["feed"]["edges"]) == 5 for r in responses)
