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
from shoppable.domain.identity.consent import Consent, ConsentSource
from shoppable.domain.identity.records import (
    ApiKey,
    AuthSession,
    Merchant,
    OutboxEmail,
    PasswordReset,
    RefreshToken,
    SessionChannel,
    User,
)
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.domain.rate_limits import RateLimit, RateLimited
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import (
    ClaimedDelivery,
    DeliveryStatus,
    LoggedDelivery,
    NewEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from shoppable.domain.webhooks.schedule import Answer

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

    async def user_with_merchant_ids(self, user_id: int) -> tuple[User, frozenset[int]] | None:
        user = self.users.get(user_id)
        return (user, await self.merchant_ids_of(user_id)) if user is not None else None

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
class InMemoryTrust:
    """Sessions, refresh tokens, consent history, resets, outbox and the audit log in dicts; the
    per-table privacy rules need SQL and are tested through the real app."""

    users: dict[int, User] = field(default_factory=dict)  # shared with InMemoryIdentity
    password_hashes: dict[int, str] = field(default_factory=dict)
    members: set[tuple[int, int]] = field(default_factory=set)  # shared with InMemoryIdentity
    sessions: dict[int, AuthSession] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    consent_changes: list[tuple[int, Consent, str, ConsentSource]] = field(default_factory=list)
    resets: dict[str, PasswordReset] = field(default_factory=dict)
    outbox: dict[int, OutboxEmail] = field(default_factory=dict)
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    async def password_hash_of(self, user_id: int) -> str | None:
        return self.password_hashes.get(user_id)

    async def set_password(self, user_id: int, password_hash: str) -> None:
        self.password_hashes[user_id] = password_hash
        await self.bump_token_version(user_id)

    async def bump_token_version(self, user_id: int) -> None:
        user = self.users[user_id]
        self.users[user_id] = replace(user, token_version=user.token_version + 1)

    async def set_recommendations_reset(self, user_id: int, at: datetime) -> None:
        self.users[user_id] = replace(self.users[user_id], recommendations_reset_at=at)

    async def add_session(
        self, user_id: int, channel: str, device_label: str, now: datetime, expires_at: datetime
    ) -> AuthSession:
        session = AuthSession(
            next(self.ids), user_id, SessionChannel(channel), device_label, now, now, expires_at
        )
        self.sessions[session.id] = session
        return session

    async def get_session(self, session_id: int) -> AuthSession | None:
        return self.sessions.get(session_id)

    async def session_with_user(self, session_id: int) -> tuple[AuthSession, User, frozenset[int]] | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        return (
            session,
            self.users[session.user_id],
            frozenset(m for m, u in self.members if u == session.user_id),
        )

    async def active_sessions(self, user_id: int, now: datetime) -> list[AuthSession]:
        mine = [s for s in self.sessions.values() if s.user_id == user_id and s.active(now)]
        return sorted(mine, key=lambda s: -s.id)

    async def touch_session(self, session_id: int, now: datetime) -> None:
        self.sessions[session_id] = replace(self.sessions[session_id], last_seen_at=now)

    async def revoke_sessions(
        self, user_id: int, reason: str, now: datetime, *, only: int | None = None, keep: int | None = None
    ) -> int:
        ended = 0
        for s in list(self.sessions.values()):
            if s.user_id != user_id or s.revoked_at is not None:
                continue
            if (only is not None and s.id != only) or (keep is not None and s.id == keep):
                continue
            self.sessions[s.id] = replace(s, revoked_at=now, revoked_reason=reason)
            ended += 1
        return ended

    async def add_refresh_token(self, session_id: int, token_hash: str, expires_at: datetime) -> None:
        self.refresh_tokens[token_hash] = RefreshToken(next(self.ids), session_id, expires_at, None)

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None:
        return self.refresh_tokens.get(token_hash)

    async def spend_refresh_token(self, token_id: int, now: datetime) -> bool:
        for key, token in self.refresh_tokens.items():
            if token.id == token_id:
                if token.spent_at is not None:
                    return False
                self.refresh_tokens[key] = replace(token, spent_at=now)
                return True
        return False

    async def add_consent_change(
        self, user_id: int, consent: Consent, channel: str, source: ConsentSource
    ) -> None:
        self.consent_changes.append((user_id, consent, channel, source))

    async def add_password_reset(self, user_id: int, token_hash: str, expires_at: datetime) -> None:
        self.resets[token_hash] = PasswordReset(next(self.ids), user_id, expires_at, None)

    async def find_password_reset(self, token_hash: str) -> PasswordReset | None:
        return self.resets.get(token_hash)

    async def use_password_resets(self, user_id: int, now: datetime) -> None:
        for key, reset in self.resets.items():
            if reset.user_id == user_id and reset.used_at is None:
                self.resets[key] = replace(reset, used_at=now)

    async def add_email(self, user_id: int | None, to_address: str, subject: str, body: str) -> int:
        email = OutboxEmail(next(self.ids), to_address, subject, body, 0)
        self.outbox[email.id] = email
        return email.id

    async def add_audit(self, *entry: Any) -> None:
        self.audit.append(entry)

    async def delete_user_events(self, user_id: int) -> int:
        return 0

    async def claim_device_events(self, device_id: str, user_id: int, *, keep: bool) -> int:
        return 0

    async def claim_device_hides(self, device_id: str, user_id: int) -> int:
        return 0

    async def claim_device_feed_sessions(self, device_id: str, user_id: int) -> int:
        return 0


@dataclass
class InMemoryCatalog:
    products: dict[int, Product] = field(default_factory=dict)
    content_hashes: dict[int, str] = field(default_factory=dict)
    skus: dict[int, Sku] = field(default_factory=dict)
    images: dict[int, ProductImage] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)  # merchants whose catalog a writer holds
    held: dict[int, int] = field(default_factory=dict)  # SKU id -> units in open checkouts' holds
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

    async def held_units(self, product_ids: Sequence[int], now: datetime) -> dict[int, int]:
        return {i: n for i, n in self.held.items() if self.skus[i].product_id in product_ids}

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
        return sorted(self.errors.get(job_id, []), key=lambda e: e.row)[:limit]

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

    async def list_for_merchant(self, merchant_id: int, page: PageRequest) -> Page[ImportJob]:
        rows = sorted(
            (
                j
                for j in self.jobs.values()
                if j.merchant_id == merchant_id and (page.after is None or j.id < int(page.after[0]))
            ),
            key=lambda j: -j.id,
        )
        return page_from_rows(rows[: page.first + 1], page, lambda j: (j.id,))

    async def request_cancel(self, job_id: int, at: datetime) -> None:
        self.jobs[job_id] = replace(self.jobs[job_id], cancel_requested_at=at)

    async def cancel_requested(self, job_id: int) -> bool:
        return self.jobs[job_id].cancel_requested_at is not None

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


@dataclass
class InMemoryWebhooks:
    """Endpoints, events, deliveries and attempts in dicts; secrets kept beside the endpoints."""

    endpoints: dict[int, WebhookEndpoint] = field(default_factory=dict)
    secrets: dict[int, tuple[str, str | None, datetime | None]] = field(default_factory=dict)
    events: dict[int, tuple[int, NewEvent]] = field(default_factory=dict)
    deliveries: dict[int, WebhookDelivery] = field(default_factory=dict)
    claimed: dict[int, datetime | None] = field(default_factory=dict)
    attempts: list[WebhookAttempt] = field(default_factory=list)
    next_id: int = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    async def add_endpoint(
        self, merchant_id: int, url: str, events: Sequence[WebhookEvent], secret: str, now: datetime
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            self._id(), merchant_id, url, tuple(events), True, None, None, now, now, None, None, None
        )
        self.endpoints[endpoint.id] = endpoint
        self.secrets[endpoint.id] = (secret, None, None)
        return endpoint

    async def get_endpoint(self, endpoint_id: int) -> WebhookEndpoint | None:
        return self.endpoints.get(endpoint_id)

    async def endpoints_of(self, merchant_id: int) -> list[WebhookEndpoint]:
        return [e for e in self.endpoints.values() if e.merchant_id == merchant_id]

    async def update_endpoint(
        self,
        endpoint_id: int,
        now: datetime,
        *,
        url: str | None = None,
        events: Sequence[WebhookEvent] | None = None,
        enabled: bool | None = None,
    ) -> None:
        e = self.endpoints[endpoint_id]
        e = replace(
            e, updated_at=now, url=url or e.url, events=tuple(events) if events is not None else e.events
        )
        if enabled is not None:
            e = replace(
                e,
                enabled=enabled,
                disabled_reason=None if enabled else "Disabled by the merchant.",
                disabled_at=None if enabled else now,
            )
        self.endpoints[endpoint_id] = e

    async def rotate_secret(
        self, endpoint_id: int, secret: str, previous_expires_at: datetime, now: datetime
    ) -> None:
        current = self.secrets[endpoint_id][0]
        self.secrets[endpoint_id] = (secret, current, previous_expires_at)
        self.endpoints[endpoint_id] = replace(
            self.endpoints[endpoint_id], secret_rotated_at=now, previous_secret_expires_at=previous_expires_at
        )

    async def delete_endpoint(self, endpoint_id: int) -> None:
        gone = {d.id for d in self.deliveries.values() if d.endpoint_id == endpoint_id}
        self.attempts = [a for a in self.attempts if a.delivery_id not in gone]
        for delivery_id in gone:
            del self.deliveries[delivery_id]
        del self.endpoints[endpoint_id]

    async def has_subscribers(self, merchant_id: int, event: WebhookEvent) -> bool:
        return any(
            e.merchant_id == merchant_id and e.enabled and event in e.events for e in self.endpoints.values()
        )

    async def add_events(
        self,
        merchant_id: int,
        subscription: WebhookEvent | None,
        events: Sequence[NewEvent],
        now: datetime,
        *,
        endpoint_id: int | None = None,
    ) -> int:
        targets = [
            e.id
            for e in self.endpoints.values()
            if e.merchant_id == merchant_id
            and e.enabled
            and (endpoint_id is None or e.id == endpoint_id)
            and (subscription is None or subscription in e.events)
        ]
        written = 0
        for new in events if targets else []:
            event_id = self._id()
            self.events[event_id] = (merchant_id, new)
            for target in targets:
                delivery = WebhookDelivery(
                    self._id(), target, merchant_id, event_id, new.webhook_id, new.wire_type, new.body,
                    DeliveryStatus.PENDING, 0, now, None, None, now, None, False,
                )  # fmt: skip
                self.deliveries[delivery.id] = delivery
                written += 1
        return written

    async def get_delivery(self, delivery_id: int) -> WebhookDelivery | None:
        return self.deliveries.get(delivery_id)

    async def deliveries_page(
        self,
        merchant_id: int,
        page: PageRequest,
        *,
        endpoint_id: int | None = None,
        status: DeliveryStatus | None = None,
    ) -> Page[LoggedDelivery]:
        rows = sorted(
            (
                d
                for d in self.deliveries.values()
                if d.merchant_id == merchant_id
                and (endpoint_id is None or d.endpoint_id == endpoint_id)
                and (status is None or d.status is status)
                and (page.after is None or d.id < int(page.after[0]))
            ),
            key=lambda d: -d.id,
        )
        return page_from_rows(
            [self._logged(d) for d in rows[: page.first + 1]], page, lambda d: (d.delivery.id,)
        )

    async def logged_delivery(self, delivery_id: int) -> LoggedDelivery | None:
        found = self.deliveries.get(delivery_id)
        return self._logged(found) if found else None

    def _logged(self, delivery: WebhookDelivery) -> LoggedDelivery:
        tried = sorted(
            (a for a in self.attempts if a.delivery_id == delivery.id), key=lambda a: (a.number, a.id)
        )
        return LoggedDelivery(delivery, tuple(tried))

    async def redeliver(self, delivery: WebhookDelivery, now: datetime) -> int:
        new = replace(
            delivery, id=self._id(), status=DeliveryStatus.PENDING, attempt_count=0, next_attempt_at=now,
            last_status_code=None, last_error=None, created_at=now, finished_at=None, manual=True,
        )  # fmt: skip
        self.deliveries[new.id] = new
        return new.id

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        due = sorted(
            (
                d
                for d in self.deliveries.values()
                if d.status is DeliveryStatus.PENDING
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
                and self.endpoints[d.endpoint_id].enabled
            ),
            key=lambda d: (d.next_attempt_at, d.id),
        )[:limit]
        claims = []
        for d in due:
            before = self.claimed.get(d.id)
            self.deliveries[d.id] = replace(d, attempt_count=d.attempt_count + 1, next_attempt_at=lease_until)
            self.claimed[d.id] = now
            secret, previous, expires = self.secrets[d.endpoint_id]
            keys = (secret, previous) if previous and expires and expires > now else (secret,)
            claims.append(
                ClaimedDelivery(
                    d.id, d.endpoint_id, d.created_at, d.attempt_count + 1, now, d.webhook_id, d.payload,
                    self.endpoints[d.endpoint_id].url, keys, d.attempt_count if before is not None else None,
                )
            )  # fmt: skip
        return claims

    async def record_attempt(
        self,
        claim: ClaimedDelivery,
        answer: Answer,
        now: datetime,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        d = self.deliveries.get(claim.delivery_id)
        if d is None or self.claimed.get(d.id) != claim.claimed_at or d.status is not DeliveryStatus.PENDING:
            return False
        self.claimed[d.id] = None
        self.deliveries[d.id] = replace(
            d, status=status, next_attempt_at=next_attempt_at, last_status_code=answer.status_code,
            last_error=answer.error, finished_at=None if status is DeliveryStatus.PENDING else now,
        )  # fmt: skip
        self.attempts.append(
            WebhookAttempt(
                self._id(), d.id, claim.attempt_number, claim.claimed_at, answer.status_code,
                answer.latency_ms, answer.error, answer.body_excerpt,
            )
        )  # fmt: skip
        return True

    async def record_interrupted(self, claim: ClaimedDelivery, now: datetime) -> None:
        assert claim.interrupted_attempt is not None
        self.attempts.append(
            WebhookAttempt(self._id(), claim.delivery_id, claim.interrupted_attempt, now, None, None,
                           "The worker stopped during this attempt.", None)
        )  # fmt: skip

    async def endpoint_succeeded(self, endpoint_id: int, now: datetime) -> None:
        self.endpoints[endpoint_id] = replace(self.endpoints[endpoint_id], last_success_at=now)

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> None:
        self.endpoints[endpoint_id] = replace(
            self.endpoints[endpoint_id], enabled=False, disabled_reason=reason, disabled_at=now
        )

    async def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        gone = sorted(
            d.id
            for d in self.deliveries.values()
            if d.status is not DeliveryStatus.PENDING and d.finished_at and d.finished_at < cutoff
        )[:limit]
        for delivery_id in gone:
            del self.deliveries[delivery_id]
        self.attempts = [a for a in self.attempts if a.delivery_id not in gone]
        needed = {d.event_id for d in self.deliveries.values()}
        self.events = {k: v for k, v in self.events.items() if k in needed}
        return len(gone)

    async def next_due_at(self) -> datetime | None:
        due = [
            d.next_attempt_at
            for d in self.deliveries.values()
            if d.status is DeliveryStatus.PENDING
            and d.next_attempt_at
            and self.endpoints[d.endpoint_id].enabled
        ]
        return min(due, default=None)


class InMemoryUnitOfWork:
    """Implements `shoppable.domain.uow.UnitOfWork` for identity, catalog, imports and idempotency."""

    def __init__(self) -> None:
        self.identity = InMemoryIdentity()
        self.trust = InMemoryTrust(
            users=self.identity.users,
            password_hashes=self.identity.password_hashes,
            members=self.identity.members,
        )
        self.catalog = InMemoryCatalog()
        self.imports = InMemoryImportJobs()
        self.idempotency = InMemoryIdempotency()
        self.webhooks = InMemoryWebhooks()
        self.writing = False
        self.commits = 0
        self._committed = self._state()

    @property
    def content(self) -> Any:
        raise NotImplementedError("content repositories are not part of this fake")

    def _state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                name: vars(getattr(self, name))
                for name in ("identity", "trust", "catalog", "imports", "idempotency", "webhooks")
            }
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
