"""Training the ranker from events and serving it in the feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from shoppable.jobs.recs_train import recs_train
from shoppable.services import Services
from shoppable.settings import Settings
from shoppable.storage import recs_artifacts as artifact
from shoppable.storage.db import Database
from shoppable.storage.tables import EventRow
from tests.conftest import GraphQL
from tests.feed_world import World

FEED = """query { feed(first: 40) { edges { source reasons { code text } node { __typename ... on Product { id title } } } } }"""


async def _view(database: Database, user_id: int, product_id: int, n: int, when: datetime) -> None:
    uow = database.unit_of_work(write=True)
    async with uow:
        await uow.execute(
            insert(EventRow.__table__).values(
                event_id=f"v-{user_id}-{product_id}-{n}",
                actor_key=f"u:{user_id}",
                user_id=user_id,
                type="VIEW",
                subject_type="Product",
                subject_id=product_id,
                channel="APP",
                occurred_at=when,
                received_at=when,
            )
        )
        await uow.commit()


async def test_training_uses_consented_events_and_the_feed_serves_the_model(
    database: Database, settings: Settings, services: Services, gql: GraphQL, client: Any
) -> None:
    world = World(database)
    await world.catalog(merchants=2, products_each=12)
    consenting = [await world.user(consent=True) for _ in range(6)]
    refusing = await world.user(consent=False)
    now = datetime.now(UTC)
    shoes = [pid for i, pid in enumerate(world.product_ids) if i % 3 == 0]
    for u, user in enumerate(consenting):
        for n, product in enumerate(shoes[:4]):
            await _view(database, user["id"], product, n, now - timedelta(hours=u + n))
    await _view(database, refusing["id"], world.product_ids[1], 0, now)
    info = await recs_train(services)
    assert info is not None and info["users"] == 6, info
    trained = artifact.load(Path(settings.model_dir))
    assert str(refusing["id"]) not in trained.users.ids
    # A shopper who viewed two of those products gets the other two, named by what they viewed.
    shopper = await world.user(consent=True)
    await _view(database, shopper["id"], shoes[0], 0, now)
    await _view(database, shopper["id"], shoes[1], 1, now)
    client.app.state.services.models.check_every = 0  # pick the new model up at once
    edges = (await gql(FEED, token=shopper["token"]))["data"]["feed"]["edges"]
    personal = [e for e in edges if e["source"] == "PERSONALIZED" and e["node"]["__typename"] == "Product"]
    codes = {r["code"] for e in personal for r in e["reasons"]}
    assert codes & {"SIMILAR_TO_VIEWED", "PICKED_FOR_YOU"}, edges
    texts = {r["text"] for e in personal for r in e["reasons"]}
    assert any(t.startswith("Because you viewed Item") for t in texts), texts


async def test_no_consented_events_keeps_the_model(
    database: Database, settings: Settings, services: Services
) -> None:
    assert await recs_train(services) is None
    assert artifact.latest_path(settings.model_dir) is None
