"""A small world for feed tests, written straight to the database (fast: no uploads, no argon2)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update

from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
from shoppable.domain.catalog.money import Money
from shoppable.domain.catalog.service import plan
from shoppable.domain.identity.credentials import issue_token
from shoppable.domain.identity.records import Merchant
from shoppable.graphql.core.ids import encode_id
from shoppable.storage.catalog import SqlCatalogRepository
from shoppable.storage.db import Database
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.tables import (
    CreatorRow,
    FollowRow,
    LikeRow,
    PostRow,
    ProductRow,
    ProductTagRow,
    SkuRow,
    UserRow,
)

SECRET = "test-secret-key-0123456789-abcdefghijkl"
_ids = itertools.count(1)


@dataclass
class World:
    database: Database
    merchants: list[Merchant] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    creator_ids: list[int] = field(default_factory=list)
    creator_handles: dict[int, str] = field(default_factory=dict)
    post_ids: list[int] = field(default_factory=list)

    async def user(self, *, consent: bool = False, analytics: bool = True) -> dict[str, Any]:
        """A shopper; `consent` is personalization. Analytics is on unless asked otherwise, so that the
        events tests send are kept (without it nothing of the user's is stored)."""
        uow = self.database.unit_of_work(write=True)
        async with uow:
            n = next(_ids)
            user = await SqlIdentityRepository(uow).add_user(
                f"shopper{n}-{id(self)}@example.com", "x", f"Shopper {n}", is_admin=False
            )
            await uow.execute(
                update(UserRow.__table__)
                .where(UserRow.__table__.c.id == user.id)
                .values(consent_personalization=consent, consent_analytics=analytics)
            )
            await uow.commit()
        return {
            "id": user.id,
            "gid": encode_id("User", user.id),
            "token": issue_token(SECRET, user.id, 0, 3600),
        }

    async def catalog(self, merchants: int = 3, products_each: int = 10) -> None:
        uow = self.database.unit_of_work(write=True)
        async with uow:
            identity = SqlIdentityRepository(uow)
            owner = await identity.add_user(
                f"owner-{id(self)}-{next(_ids)}@example.com", "x", "Owner", is_admin=False
            )
            catalog = SqlCatalogRepository(uow)
            for m in range(merchants):
                merchant = await identity.add_merchant(
                    f"shop-{id(self) % 100000}-{next(_ids)}", f"Shop {m}", "EUR", 2, owner.id
                )
                self.merchants.append(merchant)
                drafts = [
                    ProductDraft(
                        handle=f"item-{m}-{i}",
                        title=f"Item {m}-{i}",
                        category=["Shoes", "Bags", "Knitwear"][i % 3],
                        skus=(SkuDraft(sku=f"S-{m}-{i}", price=Money(1000 + i * 100, "EUR"), quantity=10),),
                    )
                    for i in range(products_each)
                ]
                ids = await catalog.write_products(
                    merchant.id, (await plan(catalog, merchant, drafts)).writes
                )
                self.product_ids.extend(ids)
            await uow.commit()

    async def creators(self, count: int) -> list[int]:
        uow = self.database.unit_of_work(write=True)
        async with uow:
            identity = SqlIdentityRepository(uow)
            for _ in range(count):
                n = next(_ids)
                user = await identity.add_user(
                    f"creator{n}-{id(self)}@example.com", "x", f"Creator {n}", is_admin=False
                )
                handle = f"creator{n}"
                row = (
                    await uow.execute(
                        insert(CreatorRow.__table__)
                        .values(
                            user_id=user.id,
                            handle=handle,
                            display_name=f"Creator {n}",
                            bio="",
                            follower_count=0,
                            created_at=datetime.now(UTC),
                        )
                        .returning(CreatorRow.__table__.c.id)
                    )
                ).scalar_one()
                self.creator_ids.append(row)
                self.creator_handles[row] = handle
            await uow.commit()
        return self.creator_ids[-count:]

    async def posts(
        self, creator_id: int, count: int, *, tag: list[int] | None = None, age_hours: float = 1.0
    ) -> list[int]:
        uow = self.database.unit_of_work(write=True)
        created = []
        async with uow:
            for i in range(count):
                at = datetime.now(UTC) - timedelta(hours=age_hours, minutes=i)
                post_id = (
                    await uow.execute(
                        insert(PostRow.__table__)
                        .values(
                            creator_id=creator_id,
                            caption=f"post {i}",
                            hashtags=[],
                            mentions=[],
                            status="PUBLISHED",
                            like_count=0,
                            save_count=0,
                            created_at=at,
                            updated_at=at,
                            published_at=at,
                            listed_at=at,
                        )
                        .returning(PostRow.__table__.c.id)
                    )
                ).scalar_one()
                for position, product_id in enumerate(tag or []):
                    await uow.execute(
                        insert(ProductTagRow.__table__).values(
                            post_id=post_id,
                            position=position,
                            product_id=product_id,
                            media_index=0,
                            x=0.5,
                            y=0.5,
                        )
                    )
                created.append(post_id)
            await uow.commit()
        self.post_ids.extend(created)
        return created

    async def follow(self, user_id: int, creator_id: int) -> None:
        await self._insert(FollowRow, user_id=user_id, creator_id=creator_id, created_at=datetime.now(UTC))

    async def like(self, user_id: int, post_id: int) -> None:
        await self._insert(LikeRow, user_id=user_id, post_id=post_id, created_at=datetime.now(UTC))
        await self._update(PostRow, post_id, like_count=PostRow.__table__.c.like_count + 1)

    async def set_stock(self, product_id: int, quantity: int, availability: str) -> None:
        uow = self.database.unit_of_work(write=True)
        async with uow:
            skus = SkuRow.__table__
            await uow.execute(
                update(skus)
                .where(skus.c.product_id == product_id)
                .values(quantity=quantity, availability=availability)
            )
            await uow.execute(
                update(ProductRow.__table__)
                .where(ProductRow.__table__.c.id == product_id)
                .values(availability=availability)
            )
            await uow.commit()

    async def set_post(self, post_id: int, **values: Any) -> None:
        await self._update(PostRow, post_id, **values)

    async def _insert(self, table: Any, **values: Any) -> None:
        uow = self.database.unit_of_work(write=True)
        async with uow:
            await uow.execute(insert(table.__table__).values(**values))
            await uow.commit()

    async def _update(self, table: Any, pk: int, **values: Any) -> None:
        uow = self.database.unit_of_work(write=True)
        async with uow:
            await uow.execute(update(table.__table__).where(table.__table__.c.id == pk).values(**values))
            await uow.commit()
