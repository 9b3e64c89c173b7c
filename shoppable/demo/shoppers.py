"""Demo shoppers with follows, likes and a week of events, so the demo feed shows personal reasons.

`shopper@shoppable.dev` has personalization on (FOR_YOU explains itself: "Because you follow
@mila.outdoors", "Tagged in a post you liked", "Because you viewed …"); `private@shoppable.dev` has
it off and sees the non-personalized feed. A few generated shoppers give the ranker co-engagement
to learn from. Event ids are deterministic, so seeding again stores nothing twice.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from shoppable.demo.catalog import DEMO_PASSWORD
from shoppable.domain.feed.events import EventInput, EventType, track
from shoppable.domain.identity import credentials
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION, Consent
from shoppable.domain.rate_limits import UNLIMITED
from shoppable.storage.db import Database
from shoppable.storage.feed import queries as tables

SHOPPERS = (
    ("shopper@shoppable.dev", "Sam Shopper", True),
    ("private@shoppable.dev", "Pat Private", False),
    *((f"demo-shopper-{n}@shoppable.dev", f"Demo Shopper {n}", True) for n in range(1, 11)),
)


async def seed_shoppers(database: Database) -> int:
    """Create the shoppers (once), their follows and likes, and their events; returns events stored."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    stored = 0
    uow = database.unit_of_work(write=True)
    async with uow:
        creators = [
            r.id for r in await uow.execute(select(tables.creators.c.id).order_by(tables.creators.c.id))
        ]
        posts = [
            r.id
            for r in await uow.execute(select(tables.posts.c.id).where(tables.posts.c.status == "PUBLISHED"))
        ]
        products = [
            r.id
            for r in await uow.execute(
                select(tables.products.c.id).where(tables.products.c.status == "ACTIVE")
            )
        ]
        tagged = [
            r.product_id for r in await uow.execute(select(tables.tags.c.post_id, tables.tags.c.product_id))
        ]
        identity = uow.identity
        shoppers = []
        for email, name, consent in SHOPPERS:
            found = await identity.get_user_with_password(email)
            user = (
                found[0]
                if found
                else await identity.add_user(
                    email, await credentials.hash_password(DEMO_PASSWORD), name, is_admin=False
                )
            )
            if not found:
                await identity.set_consent(
                    user.id, Consent(consent, consent, False, CURRENT_POLICY_VERSION, now)
                )
                for creator_id in rng.sample(creators, k=min(2, len(creators))):
                    await uow.execute(
                        insert(tables.follows).values(user_id=user.id, creator_id=creator_id, created_at=now)
                    )
                for post_id in rng.sample(posts, k=min(3, len(posts))):
                    await uow.execute(
                        insert(tables.likes).values(user_id=user.id, post_id=post_id, created_at=now)
                    )
                    await uow.execute(
                        update(tables.posts)
                        .where(tables.posts.c.id == post_id)
                        .values(like_count=tables.posts.c.like_count + 1)
                    )
            shoppers.append((user, found[0].consent.analytics if found else consent))
        await uow.commit()
        if not products:
            return 0
        liked_products = tagged or products
        for user, analytics in shoppers:
            taste = rng.sample(products, k=min(6, len(products)))
            batch = []
            for n in range(25):
                product = rng.choice(taste if rng.random() < 0.7 else liked_products)
                kind = rng.choices(
                    [EventType.VIEW, EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE],
                    [10, 5, 2, 1],
                )[0]
                when = now - timedelta(hours=rng.uniform(1, 6 * 24))
                batch.append(EventInput(f"demo-{user.id}-{n}", kind, ("Product", product), when))
            result = await track(
                uow, Actor(user_id=user.id, analytics_consent=analytics), batch, now, rate_limits=UNLIMITED
            )
            stored += result.accepted
    return stored
