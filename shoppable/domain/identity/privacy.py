"""What a shopper can see and control about their data: consent history, the recommendation profile
and its reset, a copy of everything (GDPR art. 15 and 20) and erasure (art. 17).

Which rows of which table name a person, and what export and erasure do with each, is one registry
in storage (`storage/privacy.py`), checked by a test against every table in the schema.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from shoppable.domain import rate_limits
from shoppable.domain.catalog.money import Money
from shoppable.domain.content.ports import MediaStore, MediaStoreError
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.config import FeedConfig
from shoppable.domain.identity import accounts, credentials
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.consent import ConsentChange
from shoppable.domain.identity.ports import HiddenItem
from shoppable.domain.identity.records import DataExport, ExportStatus
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.rate_limits import RateLimiter

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

log = logging.getLogger("shoppable.privacy")

EXPORT_FORMAT = "shoppable-data-export/1"
EXPORT_LINK_TTL = timedelta(days=7)
"""How long an export's download link works; the file is deleted after."""
INLINE_EXPORT_MAX_BYTES = 256 * 1024
"""Exports up to this size also come back inline in `requestDataExport`."""
MAX_EXPORT_BYTES = 512 * 1024 * 1024
EXPORT_PREFIX = "exports/"
"""Never under `media/`: the media routes serve only that prefix, so exports are reachable only through
their download link."""


def _signed_in(actor: Actor) -> int:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in first.")
    return actor.user_id


# -- consent history --------------------------------------------------------------------------------


async def consent_history(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[ConsentChange]:
    return await uow.trust.consent_history(_signed_in(actor), page)


async def hidden_items(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[HiddenItem]:
    return await uow.trust.hidden_items(_signed_in(actor), page)


# -- the recommendation profile ---------------------------------------------------------------------


class ModelInfo(Protocol):
    version: str
    trained_at: float


class ModelSource(Protocol):
    async def current(self) -> ModelInfo | None: ...


@dataclass(frozen=True)
class RecommendationProfile:
    personalized: bool
    top_categories: list[str]
    top_creator_ids: list[int]
    price_band: str | None
    based_on_events: int
    model_version: str | None
    forgotten_before: datetime | None


TOP = 5


def price_band(prices: list[tuple[int, str]]) -> str | None:
    """The middle half of the prices seen, in the most frequent currency: "20.00-45.00 EUR"."""
    if not prices:
        return None
    currency = Counter(c for _, c in prices).most_common(1)[0][0]
    amounts = sorted(p for p, c in prices if c == currency)
    low, high = amounts[len(amounts) // 4], amounts[(3 * len(amounts)) // 4 if len(amounts) > 1 else 0]
    try:
        return f"{Money(low, currency).amount}-{Money(high, currency).amount} {currency}"
    except KeyError:
        return None


async def recommendation_profile(
    uow: UnitOfWork, actor: Actor, models: ModelSource, now: datetime
) -> RecommendationProfile:
    """In plain words, what the ranker uses about the viewer (DSA art. 27 asks for the main
    parameters; this is the viewer's own share of them)."""
    user_id = _signed_in(actor)
    user = await uow.identity.get_user(user_id)
    if user is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in first.")
    since = now - timedelta(days=FeedConfig().history_days)
    if user.recommendations_reset_at is not None:
        since = max(since, user.recommendations_reset_at)
    signals = await uow.trust.profile_signals(user_id, since)
    model = await models.current()
    return RecommendationProfile(
        personalized=user.consent.personalization,
        top_categories=[name for name, _ in signals.categories[:TOP]],
        top_creator_ids=signals.creator_ids[:TOP],
        price_band=price_band(signals.prices),
        based_on_events=signals.event_count,
        model_version=model.version if model else None,
        forgotten_before=user.recommendations_reset_at,
    )


async def reset_recommendation_profile(uow: UnitOfWork, actor: Actor, now: datetime) -> None:
    """Forget the viewer's activity for ranking: their behavioural events are deleted, likes and saves
    before now stop counting, and the trained model's picture of them is not used until it is
    trained again. Follows stay (they are the viewer's own list, shown as such)."""
    user_id = _signed_in(actor)
    await uow.begin_write()
    await uow.trust.delete_user_events(user_id)
    await uow.trust.set_recommendations_reset(user_id, now)
    await uow.commit()


# -- data export ------------------------------------------------------------------------------------


class ExportServices(Protocol):
    @property
    def media(self) -> MediaStore: ...

    @property
    def rate_limits(self) -> RateLimiter: ...

    @property
    def models(self) -> ModelSource: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class RequestedExport:
    export: DataExport
    download_token: str
    """Shown once, in the link; only its hash is stored."""
    inline: dict[str, Any] | None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


async def build_export(uow: UnitOfWork, services: ExportServices, user_id: int) -> dict[str, Any]:
    """One JSON document with every row that names the person, by table, media with links."""
    tables = await uow.trust.export_rows(user_id)
    for row in tables.get("media", []) + tables.get("media_renditions", []):
        row["url"] = services.media.public_url(row["key"])
    account = (tables.get("users") or [{}])[0]
    profile = await recommendation_profile(uow, Actor(user_id=user_id), services.models, services.clock())
    return {
        "format": EXPORT_FORMAT,
        "generatedAt": services.clock().isoformat(),
        "account": {k: _jsonable(v) for k, v in account.items()},
        "recommendationProfile": {
            "personalized": profile.personalized,
            "topCategories": profile.top_categories,
            "topCreatorIds": profile.top_creator_ids,
            "priceBand": profile.price_band,
            "basedOnEvents": profile.based_on_events,
            "modelVersion": profile.model_version,
        },
        "tables": {
            name: [{k: _jsonable(v) for k, v in row.items()} for row in rows] for name, rows in tables.items()
        },
    }


def encode_export(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()


async def request_data_export(uow: UnitOfWork, services: ExportServices, actor: Actor) -> RequestedExport:
    """Start an export (the job `data_export` writes the file); small ones also come back inline."""
    user_id = _signed_in(actor)
    await services.rate_limits.hit(rate_limits.DATA_EXPORT_PER_USER, f"user:{user_id}")
    token = credentials.new_secret_token()
    now = services.clock()
    await uow.begin_write()
    export = await uow.trust.add_export(user_id, credentials.hash_secret_token(token), now + EXPORT_LINK_TTL)
    await uow.commit()
    document = await build_export(uow, services, user_id)
    encoded = encode_export(document)
    return RequestedExport(export, token, document if len(encoded) <= INLINE_EXPORT_MAX_BYTES else None)


async def write_export(uow: UnitOfWork, services: ExportServices, export_id: int) -> DataExport | None:
    """The job's work: build the document, store it privately, mark the export READY (or FAILED)."""
    export = await uow.trust.get_export(export_id)
    if export is None or export.status is not ExportStatus.PENDING:
        return export
    key = f"{EXPORT_PREFIX}{export.user_id}/{export.id}-{credentials.new_secret_token()[:16]}.json"
    try:
        data = encode_export(await build_export(uow, services, export.user_id))
        await services.media.put(key, data, "application/json")
    except MediaStoreError:
        log.exception("data export %s could not be stored", export_id)
        await uow.begin_write()
        await uow.trust.finish_export(export.id, ExportStatus.FAILED, None, None, services.clock())
        await uow.commit()
        return await uow.trust.get_export(export.id)
    await uow.begin_write()
    await uow.trust.finish_export(export.id, ExportStatus.READY, key, len(data), services.clock())
    await uow.commit()
    return await uow.trust.get_export(export.id)


class ExportNotReady(Exception):
    """The export exists but its file is not written yet."""


async def export_download(
    uow: UnitOfWork, services: ExportServices, export_id: int, token: str, now: datetime
) -> bytes:
    """The file behind a download link; NOT_FOUND for a wrong, expired or someone else's link."""
    found = await uow.trust.find_export_by_download(credentials.hash_secret_token(token)) if token else None
    if found is None or found.id != export_id or found.expires_at <= now:
        raise DomainError.single(("token",), ErrorCode.NOT_FOUND, "No such export, or its link has expired.")
    if found.status is ExportStatus.PENDING:
        raise ExportNotReady(export_id)
    if found.status is not ExportStatus.READY or found.object_key is None:
        raise DomainError.single(("token",), ErrorCode.NOT_FOUND, "This export failed; request another.")
    return await services.media.read_all(found.object_key, MAX_EXPORT_BYTES)


async def data_exports(uow: UnitOfWork, actor: Actor) -> list[DataExport]:
    return await uow.trust.exports_of(_signed_in(actor))


async def delete_expired_exports(uow: UnitOfWork, media: MediaStore, now: datetime, limit: int = 200) -> int:
    """Files first, then rows: a store outage leaves the row for the next run."""
    expired = await uow.trust.expired_exports(now, limit)
    done = []
    for export in expired:
        try:
            if export.object_key:
                await media.delete(export.object_key)
            done.append(export.id)
        except MediaStoreError:
            log.warning("could not delete export file of %s; will retry", export.id, exc_info=True)
    if done:
        await uow.begin_write()
        await uow.trust.delete_exports(done)
        await uow.commit()
    return len(done)


# -- erasure ----------------------------------------------------------------------------------------


class ErasureServices(Protocol):
    @property
    def media(self) -> MediaStore: ...

    @property
    def rate_limits(self) -> RateLimiter: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class Erasure:
    user_id: int
    files_deleted: int
    files_left: list[str]
    """Objects the store failed to delete now; the caller queues them for another try."""


async def delete_account(uow: UnitOfWork, services: ErasureServices, actor: Actor, password: str) -> Erasure:
    """Erase the account (GDPR art. 17): every row that names the person is deleted or anonymized by
    its table's rule, their media files are deleted from the store, every session ends, and the
    email is free again. Needs the password, counted like failed log-ins."""
    user_id = _signed_in(actor)
    if actor.session_id is None:
        raise DomainError.single((), ErrorCode.FORBIDDEN, "Log in again to delete your account.")
    key = f"user:{user_id}"
    await services.rate_limits.check(rate_limits.LOG_IN_FAILURES_PER_ACCOUNT, key)
    stored = await uow.trust.password_hash_of(user_id)
    fits = len(password) <= accounts.MAX_PASSWORD
    if not fits or not await credentials.verify_password(stored, password):
        await services.rate_limits.hit(rate_limits.LOG_IN_FAILURES_PER_ACCOUNT, key)
        raise DomainError.single(("password",), ErrorCode.UNAUTHENTICATED, "The password is wrong.")
    await uow.begin_write()
    erased = await uow.trust.erase_user(user_id, services.clock())
    await uow.commit()
    left = []
    for object_key in dict.fromkeys(erased.keys):
        try:
            await services.media.delete(object_key)
        except MediaStoreError:
            log.warning("erasure of user %s: could not delete %s now", user_id, object_key, exc_info=True)
            left.append(object_key)
    return Erasure(user_id, len(erased.keys) - len(left), left)
