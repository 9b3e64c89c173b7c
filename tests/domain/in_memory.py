"""In-memory identity, catalog, import-job and idempotency repositories, and a unit of work over them.

They implement the domain's protocols with plain dicts, so domain operations are tested without a
database. The unit of work keeps what was committed: `rollback` (and `close`) go back to it, as the
SQL one does.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from shoppable.domain.catalog.availability import Availability
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.formats import RowError
from shoppable.domain.catalog.importing import ImportCounts, ImportJob, ImportMode, ImportStatus
from shoppable.domain.catalog.money import Money
from shoppable.domain.catalog.ports import ProductFilter
from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.catalog.sync import ExistingProduct, ProductWrite
from shoppable.domain.idempotency import KeyAlreadyClaimed, StoredResponse
from shoppable.domain.identity.consent import Consent
from shoppable.domain.identity.records import ApiKey, Merchant, User
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.domain.rate_limits import RateLimit, RateLimited

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class InMemoryIdentity:
    users: dict[int, User] = field(default_factory=dict)
    password_hashes: dict[int, str] = field(default_factory=dict)
    merchants: dict[int, Merchant] = field(default_factory=dict)
    members: set[tuple[int, int]] = field(default_factory=set)  # (merchant id, user id)
    api_keys: dict[int, ApiKey] = field(default_factory=dict)
    api_key_hashes: dict[int, str] = field(default_factory=dict)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    async def get_user(self, user_id: int) -> User | None:
        return self.users.get(user_id)

    async def get_user_with_password(self, email: str) -> tuple[User, str] | None:
        user = next((u for u in self.users.values() if u.email == email), None)
        return (user, self.password_hashes[user.id]) if user else None

    async def add_user(self, email: str, password_hash: str, display_name: str, *, is_admin: bool) -> User:
        user = User(next(self.ids), email, display_name, is_admin, 0, Consent(), NOW)
        self.users[user.id] = user
        self.password_hashes[user.id] = password_hash
        return user

    async def set_admin(self, user_id: int, password_hash: str | None) -> None:
        self.users[user_id] = replace(self.users[user_id], is_admin=True)
        if password_hash:
            self.password_hashes[user_id] = password_hash

    async def set_consent(self, user_id: int, consent: Consent) -> None:
        self.users[user_id] = replace(self.users[user_id], consent=consent)

    async def merchant_ids_of(self, user_id: int) -> frozenset[int]:
        return frozenset(m for m, u in self.members if u == user_id)

    async def get_merchant(self, merchant_id: int) -> Merchant | None:
        return self.merchants.get(merchant_id)

    async def get_merchants(self, merchant_ids: Sequence[int]) -> list[Merchant]:
        return [self.merchants[i] for i in merchant_ids if i in self.merchants]

    async def get_merchant_by_handle(self, handle: str) -> Merchant | None:
        return next((m for m in self.merchants.values() if m.handle == handle), None)

    async def add_merchant(
        self, handle: str, name: str, currency: str, low_stock: int, owner_id: int
    ) -> Merchant | None:
        if any(m.handle == handle for m in self.merchants.values()):
            return None
        merchant = Merchant(next(self.ids), handle, name, currency, low_stock, NOW)
        self.merchants[merchant.id] = merchant
        self.members.add((merchant.id, owner_id))
        return merchant

    async def add_api_key(self, merchant_id: int, name: str, prefix: str, key_hash: str, by: int) -> ApiKey:
        key = ApiKey(next(self.ids), merchant_id, name, prefix, NOW, None)
        self.api_keys[key.id] = key
        self.api_key_hashes[key.id] = key_hash
        return key

    async def get_api_key(self, api_key_id: int) -> ApiKey | None:
        return self.api_keys.get(api_key_id)

    async def list_api_keys(self, merchant_id: int) -> list[ApiKey]:
        return sorted(
            (k for k in self.api_keys.values() if k.merchant_id == merchant_id), key=lambda k: -k.id
        )

    async def find_active_api_key(self, key_hash: str) -> ApiKey | None:
        return next(
            (
                k
                for k in self.api_keys.values()
                if self.api_key_hashes[k.id] == key_hash and k.revoked_at is None
            ),
            None,
        )

    async def revoke_api_key(self, api_key_id: int, at: datetime) -> None:
        self.api_keys[api_key_id] = replace(self.api_keys[api_key_id], revoked_at=at)


@dataclass
class InMemoryCatalog:
    products: dict[int, Product] = field(default_factory=dict)
    content_hashes: dict[int, str] = field(default_factory=dict)
    skus: dict[int, Sku] = field(default_factory=dict)
    images: dict[int, ProductImage] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)  # merchants whose catalog a writer holds
    ids: Any = field(default_factory=lambda: itertools.count(1))

    async def get_products(self, ids: Sequence[int]) -> list[Product]:
        return [self.products[i] for i in ids if i in self.products]

    async def get_products_by_handle(self, merchant_id: int, handle: str) -> Product | None:
        return next(
            (p for p in self.products.values() if p.merchant_id == merchant_id and p.handle == handle), None
        )

    async def list_products(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        rows = [
            p
            for p in sorted(self.products.values(), key=lambda p: -p.id)
            if p.status in where.statuses
            and where.merchant_id in (None, p.merchant_id)
            and (page.after is None or p.id < int(page.after[0]))
        ]
        return page_from_rows(rows[: page.first + 1], page, lambda p: (p.id,))

    async def skus_of_products(self, product_ids: Sequence[int]) -> list[Sku]:
        return [s for s in self.skus.values() if s.product_id in product_ids]

    async def images_of_products(self, product_ids: Sequence[int]) -> list[ProductImage]:
        return [i for i in self.images.values() if i.product_id in product_ids]

    async def get_skus(self, ids: Sequence[int]) -> list[Sku]:
        return [self.skus[i] for i in ids if i in self.skus]

    async def skus_by_codes(self, merchant_id: int, codes: Sequence[str]) -> list[Sku]:
        return [s for s in self.skus.values() if s.merchant_id == merchant_id and s.sku in codes]

    async def existing_products(self, merchant_id: int, handles: Sequence[str]) -> dict[str, ExistingProduct]:
        return {
            p.handle: ExistingProduct(p.id, self.content_hashes[p.id])
            for p in self.products.values()
            if p.merchant_id == merchant_id and p.handle in handles
        }

    async def lock_catalog(self, merchant_id: int) -> None:
        self.locked.add(merchant_id)

    async def sku_owners(self, merchant_id: int, codes: Sequence[str]) -> dict[str, int]:
        return {s.sku: s.product_id for s in await self.skus_by_codes(merchant_id, codes)}

    async def write_products(self, merchant_id: int, writes: Sequence[ProductWrite]) -> list[int]:
        written = []
        for write in writes:
            d = write.draft
            product_id = write.product_id or next(self.ids)
            self.products[product_id] = Product(
                product_id, merchant_id, d.handle, d.title, d.description, d.brand, d.category, d.status,
                d.option_names, write.availability, NOW, NOW,
            )  # fmt: skip
            self.content_hashes[product_id] = write.content_hash
            kept = {s.sku: s.id for s in self.skus.values() if s.product_id == product_id}
            for sku_id in kept.values():
                del self.skus[sku_id]
            for draft, availability in zip(d.skus, write.sku_availability, strict=True):
                sku_id = kept.get(draft.sku) or next(self.ids)
                self.skus[sku_id] = Sku(
                    sku_id, product_id, merchant_id, draft.sku, draft.title, draft.options, draft.price,
                    draft.compare_at_price, draft.quantity, draft.inventory_policy, availability,
                    draft.gtin, draft.mpn, draft.image_url,
                )  # fmt: skip
            written.append(product_id)
        return written

    async def set_status(self, product_id: int, status: ProductStatus) -> None:
        self.products[product_id] = replace(self.products[product_id], status=status)
        self.content_hashes[product_id] = ""

    async def change_quantity(
        self,
        sku_id: int,
        *,
        quantity: int | None,
        delta: int | None,
        expected: int | None,
        floor: int | None,
        ceiling: int | None = None,
    ) -> int | None:
        sku = self.skus[sku_id]
        if delta is not None and sku.quantity is None:
            return None
        if expected is not None and sku.quantity != expected:
            return None
        new = quantity if quantity is not None else (sku.quantity or 0) + (delta or 0)
        if floor is not None and delta is not None and new < floor:
            return None
        if ceiling is not None and delta is not None and new > ceiling:
            return None
        self.skus[sku_id] = replace(sku, quantity=new)
        return new

    async def set_prices(self, changes: Sequence[tuple[int, int, int | None]]) -> None:
        for sku_id, price, compare_at in changes:
            sku = self.skus[sku_id]
            currency = sku.price.currency
            self.skus[sku_id] = replace(
                sku,
                price=Money(price, currency),
                compare_at_price=None if compare_at is None else Money(compare_at, currency),
            )
            self.content_hashes[sku.product_id] = ""

    async def set_availability(
        self, skus: Sequence[tuple[int, Availability]], products: Sequence[tuple[int, Availability]]
    ) -> None:
        for sku_id, state in skus:
            self.skus[sku_id] = replace(self.skus[sku_id], availability=state)
        for product_id, state in products:
            self.products[product_id] = replace(self.products[product_id], availability=state)
            self.content_hashes[product_id] = ""

    async def live_product_id_chunks(self, merchant_id: int, after: int, limit: int) -> list[int]:
        return sorted(
            p.id
            for p in self.products.values()
            if p.merchant_id == merchant_id and p.status is not ProductStatus.ARCHIVED and p.id > after
        )[:limit]

    async def archive(self, product_ids: Sequence[int]) -> None:
        for product_id in product_ids:
            await self.set_status(product_id, ProductStatus.ARCHIVED)


@dataclass
class InMemoryImportJobs:
    jobs: dict[int, ImportJob] = field(default_factory=dict)
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    async def create(
        self, merchant_id: int, format_: str, mode: ImportMode, force: bool, file_path: str, file_size: int
    ) -> ImportJob:
        job = ImportJob(
            next(self.ids), merchant_id, format_, mode, force, ImportStatus.QUEUED, file_path, file_size,
            0, ImportCounts(), 0, None, NOW, None, None,
        )  # fmt: skip
        self.jobs[job.id] = job
        return job

    async def get(self, job_id: int) -> ImportJob | None:
        return self.jobs.get(job_id)

    async def unfinished(self) -> list[ImportJob]:
        return [j for j in self.jobs.values() if not j.status.finished]

    async def errors_of(self, job_id: int, limit: int = 1000) -> list[RowError]:
        return self.errors.get(job_id, [])[:limit]

    async def claim(self, job_id: int) -> bool:
        job = self.jobs[job_id]
        if job.status is not ImportStatus.QUEUED:
            return False
        self.jobs[job_id] = replace(
            job, status=ImportStatus.RUNNING, started_at=NOW, attempts=job.attempts + 1
        )
        return True

    async def save_progress(
        self,
        job_id: int,
        counts: ImportCounts,
        bytes_read: int,
        error_count: int,
        new_errors: Sequence[RowError],
    ) -> None:
        job = self.jobs[job_id]
        self.jobs[job_id] = replace(
            job, counts=copy.copy(counts), bytes_read=bytes_read, error_count=error_count
        )
        self.errors.setdefault(job_id, []).extend(new_errors)

    async def finish(
        self, job_id: int, status: ImportStatus, counts: ImportCounts, error_count: int, message: str | None
    ) -> None:
        job = self.jobs[job_id]
        self.jobs[job_id] = replace(
            job,
            status=status,
            counts=copy.copy(counts),
            error_count=error_count,
            message=message,
            finished_at=NOW,
        )

    async def restart(self, job_id: int) -> None:
        job = self.jobs[job_id]
        self.jobs[job_id] = replace(
            job, status=ImportStatus.QUEUED, bytes_read=0, error_count=0, counts=ImportCounts()
        )
        self.errors.pop(job_id, None)


@dataclass
class InMemoryIdempotency:
    records: dict[tuple[int, str, str], StoredResponse] = field(default_factory=dict)

    async def find(self, merchant_id: int, endpoint: str, key: str) -> StoredResponse | None:
        return self.records.get((merchant_id, endpoint, key))

    async def save(self, merchant_id: int, endpoint: str, key: str, response: StoredResponse) -> None:
        if (merchant_id, endpoint, key) in self.records:
            raise KeyAlreadyClaimed
        self.records[(merchant_id, endpoint, key)] = response


class InMemoryUnitOfWork:
    """Implements `shoppable.domain.uow.UnitOfWork` for identity, catalog, imports and idempotency."""

    def __init__(self) -> None:
        self.identity = InMemoryIdentity()
        self.catalog = InMemoryCatalog()
        self.imports = InMemoryImportJobs()
        self.idempotency = InMemoryIdempotency()
        self.writing = False
        self.commits = 0
        self._committed = self._state()

    @property
    def content(self) -> Any:
        raise NotImplementedError("content repositories are not part of this fake")

    def _state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {name: vars(getattr(self, name)) for name in ("identity", "catalog", "imports", "idempotency")}
        )

    def _restore(self, state: dict[str, Any]) -> None:
        for name, fields in copy.deepcopy(state).items():
            vars(getattr(self, name)).update(fields)

    def commit_elsewhere(self, change: Callable[[InMemoryUnitOfWork], object]) -> None:
        """What a concurrent transaction committed: not seen by this one until it rolls back."""
        mine = self._state()
        self._restore(self._committed)
        change(self)
        self._committed = self._state()
        self._restore(mine)

    async def begin_write(self) -> None:
        self.writing = True

    async def commit(self) -> None:
        self.commits += 1
        self._committed = self._state()

    async def rollback(self) -> None:
        self._restore(self._committed)

    async def close(self) -> None:
        await self.rollback()
        self.writing = False


class InMemoryRateLimiter:
    """`RateLimiter` that counts forever (no window passes in a unit test), with limits tuned by name."""

    def __init__(self, **amounts: int) -> None:
        self.amounts = {name.replace("_", "-"): amount for name, amount in amounts.items()}
        self.hits: dict[tuple[str, str], int] = {}

    def _amount(self, limit: RateLimit) -> int:
        return self.amounts.get(limit.name, limit.amount)

    async def hit(self, limit: RateLimit, key: str) -> None:
        count = self.hits.get((limit.name, key), 0)
        if count >= self._amount(limit):
            raise RateLimited(limit, limit.window_seconds)
        self.hits[(limit.name, key)] = count + 1

    async def check(self, limit: RateLimit, key: str) -> None:
        if self.hits.get((limit.name, key), 0) >= self._amount(limit):
            raise RateLimited(limit, limit.window_seconds)
