"""Which rows of which table name a person, and what export and erasure do with each.

Every table in the schema is listed here, either in `RULES` (it holds rows about a person: how to
select them for the export, and the erasure rule) or in `NOT_PERSONAL` (with the reason). A test
(`tests/storage/test_privacy_rules.py`) fails for a table in neither, and for a table with a
foreign key to `users` that claims not to be personal: a table added later cannot be forgotten.

To cover a new table, add a `TableRule` to `RULES` at the place its erasure must run (rules run in
order, children before the rows they point at): `select` gives the person's rows for the export
(`hidden` columns are left out: hashes, secrets), `erase` deletes or anonymizes them and returns the
media-store keys to delete, and `rule` says in plain words what erasure does (the README table).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select, update

from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION, ConsentSource
from shoppable.domain.identity.records import RevokedReason
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import table_of
from shoppable.storage.tables import (
    ApiKeyRow,
    AuditLogRow,
    AuthSessionRow,
    CartLineRow,
    CartRow,
    CartTouchRow,
    CheckoutAttemptRow,
    CheckoutLineRow,
    CheckoutRow,
    CommissionRow,
    ConsentChangeRow,
    CreatorRow,
    DataExportRow,
    EventRow,
    ExperimentExposureRow,
    ExperimentTeamRow,
    ExperimentUnitRow,
    FeedHideRow,
    FeedServedRow,
    FeedSessionRow,
    FollowRow,
    LikeRow,
    MediaRenditionRow,
    MediaRow,
    MerchantMemberRow,
    ModerationDecisionRow,
    OrderLineRow,
    OrderRow,
    OutboxEmailRow,
    PasswordResetRow,
    PaymentRow,
    PayoutRow,
    PostHashtagRow,
    PostMediaRow,
    PostReportRow,
    PostRow,
    ProductTagRow,
    RefreshTokenRow,
    SaveRow,
    SearchUploadRow,
    StockHoldRow,
    UploadRow,
    UserRow,
)

users = table_of(UserRow)
members = table_of(MerchantMemberRow)
api_keys = table_of(ApiKeyRow)
creators = table_of(CreatorRow)
follows = table_of(FollowRow)
uploads = table_of(UploadRow)
media = table_of(MediaRow)
renditions = table_of(MediaRenditionRow)
posts = table_of(PostRow)
post_media = table_of(PostMediaRow)
post_hashtags = table_of(PostHashtagRow)
tags = table_of(ProductTagRow)
likes = table_of(LikeRow)
saves = table_of(SaveRow)
reports = table_of(PostReportRow)
decisions = table_of(ModerationDecisionRow)
events = table_of(EventRow)
hides = table_of(FeedHideRow)
feed_sessions = table_of(FeedSessionRow)
served = table_of(FeedServedRow)
sessions = table_of(AuthSessionRow)
refresh_tokens = table_of(RefreshTokenRow)
consent = table_of(ConsentChangeRow)
resets = table_of(PasswordResetRow)
outbox = table_of(OutboxEmailRow)
exports = table_of(DataExportRow)
audit = table_of(AuditLogRow)
carts = table_of(CartRow)
cart_lines = table_of(CartLineRow)
cart_touches = table_of(CartTouchRow)
checkouts = table_of(CheckoutRow)
checkout_lines = table_of(CheckoutLineRow)
checkout_attempts = table_of(CheckoutAttemptRow)
holds = table_of(StockHoldRow)
orders = table_of(OrderRow)
order_lines = table_of(OrderLineRow)
payments = table_of(PaymentRow)
commissions = table_of(CommissionRow)
payouts = table_of(PayoutRow)
search_uploads = table_of(SearchUploadRow)
experiment_units = table_of(ExperimentUnitRow)
exposures = table_of(ExperimentExposureRow)
experiment_teams = table_of(ExperimentTeamRow)


def _teams_of(u: int) -> Any:
    """The person's interleaved items: recorded under their unit (`u:<id>` or their first device's)."""
    own = select(experiment_units.c.unit).where(experiment_units.c.user_id == u)
    return or_(experiment_teams.c.unit == f"u:{u}", experiment_teams.c.unit.in_(own))


Selector = Callable[[int], Select[Any]]
Eraser = Callable[[SqlTransaction, int, datetime], Awaitable[list[str]]]


@dataclass(frozen=True)
class TableRule:
    table: str
    select: Selector
    erase: Eraser
    rule: str
    """What erasure does, in plain words (README, "Erasure, table by table")."""
    hidden: frozenset[str] = field(default_factory=frozenset)
    """Columns left out of the export: secrets and hashes that are no use to the person."""


def _creator_ids(user_id: int) -> Select[Any]:
    return select(creators.c.id).where(creators.c.user_id == user_id)


def _post_ids(user_id: int) -> Select[Any]:
    return select(posts.c.id).where(posts.c.creator_id.in_(_creator_ids(user_id)))


def _media_ids(user_id: int) -> Select[Any]:
    return select(media.c.id).where(media.c.owner_id == user_id)


def _session_ids(user_id: int) -> Select[Any]:
    return select(sessions.c.id).where(sessions.c.user_id == user_id)


def _feed_session_ids(user_id: int) -> Select[Any]:
    return select(feed_sessions.c.id).where(feed_sessions.c.actor_key == f"u:{user_id}")


def _deleting(statement_of: Callable[[int], Any]) -> Eraser:
    async def erase(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
        await tx.execute(statement_of(user_id))
        return []

    return erase


async def _erase_served(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    await tx.execute(delete(served).where(served.c.session_id.in_(_feed_session_ids(user_id))))
    await tx.execute(
        update(served)
        .where(served.c.kind == "post", served.c.author_id.in_(_creator_ids(user_id)))
        .values(reasons="[]")
    )
    return []


async def _erase_follows(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    # Follower counts are kept on the creator row: the person's follows stop counting.
    followed = select(follows.c.creator_id).where(follows.c.user_id == user_id)
    await tx.execute(
        update(creators)
        .where(creators.c.id.in_(followed))
        .values(follower_count=creators.c.follower_count - 1)
    )
    await tx.execute(
        delete(follows).where(
            or_(follows.c.user_id == user_id, follows.c.creator_id.in_(_creator_ids(user_id)))
        )
    )
    return []


async def _erase_reactions(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    for table, counter in ((likes, posts.c.like_count), (saves, posts.c.save_count)):
        mine = select(table.c.post_id).where(table.c.user_id == user_id)
        await tx.execute(update(posts).where(posts.c.id.in_(mine)).values({counter.key: counter - 1}))
        await tx.execute(
            delete(table).where(or_(table.c.user_id == user_id, table.c.post_id.in_(_post_ids(user_id))))
        )
    return []


async def _erase_media(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """Rows go now; the keys are returned for the files to be deleted right after the commit."""
    keys = [r.key for r in await tx.execute(select(media.c.key).where(media.c.owner_id == user_id))]
    keys += [
        r.key
        for r in await tx.execute(
            select(renditions.c.key).where(renditions.c.media_id.in_(_media_ids(user_id)))
        )
    ]
    keys += [r.key for r in await tx.execute(select(uploads.c.key).where(uploads.c.user_id == user_id))]
    await tx.execute(delete(uploads).where(uploads.c.user_id == user_id))
    await tx.execute(update(creators).where(creators.c.user_id == user_id).values(avatar_media_id=None))
    await tx.execute(delete(renditions).where(renditions.c.media_id.in_(_media_ids(user_id))))
    await tx.execute(delete(media).where(media.c.owner_id == user_id))
    return keys


async def _erase_exports(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    keys = [
        r.object_key
        for r in await tx.execute(select(exports.c.object_key).where(exports.c.user_id == user_id))
        if r.object_key
    ]
    await tx.execute(delete(exports).where(exports.c.user_id == user_id))
    return keys


async def _erase_consent(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """The history goes; one change is kept, proving that consent ended with the account."""
    await tx.execute(delete(consent).where(consent.c.user_id == user_id))
    await tx.execute(
        insert(consent).values(
            user_id=user_id,
            changed_at=now,
            channel="OTHER",
            policy_version=CURRENT_POLICY_VERSION,
            source=ConsentSource.ACCOUNT_DELETED.value,
            personalization=False,
            analytics=False,
            marketing=False,
            global_privacy_control=False,
        )
    )
    return []


async def _erase_user(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """A nameless tombstone: kept rows (orders, moderation decisions, the audit log) still point at
    an id, which names nobody. No password can match `!`, and the token version moves on."""
    await tx.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            email=f"deleted-{user_id}@deleted.invalid",
            display_name="",
            password_hash="!",
            is_admin=False,
            token_version=users.c.token_version + 1,
            consent_personalization=False,
            consent_analytics=False,
            consent_marketing=False,
            consent_gpc=False,
            consent_updated_at=now,
            deleted_at=now,
        )
    )
    return []


async def _keep(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    return []


async def _erase_search_uploads(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    mine = search_uploads.c.owner == f"user:{user_id}"
    keys = [r.key for r in await tx.execute(select(search_uploads.c.key).where(mine))]
    await tx.execute(delete(search_uploads).where(mine))
    return keys


def _cart_ids(user_id: int) -> Select[Any]:
    return select(carts.c.id).where(carts.c.user_id == user_id)


def _checkout_ids(user_id: int) -> Select[Any]:
    return select(checkouts.c.id).where(checkouts.c.user_id == user_id)


def _order_ids(user_id: int) -> Select[Any]:
    return select(orders.c.id).where(orders.c.user_id == user_id)


async def _erase_checkouts(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """Open and released checkouts go (their holds and lines with them); a completed one is the
    orders' record, kept with nothing that names the person."""
    mine = _checkout_ids(user_id)
    await tx.execute(delete(checkout_attempts).where(checkout_attempts.c.checkout_id.in_(mine)))
    await tx.execute(delete(holds).where(holds.c.checkout_id.in_(mine)))
    unpaid = select(checkouts.c.id).where(checkouts.c.user_id == user_id, checkouts.c.status != "COMPLETED")
    await tx.execute(delete(checkout_lines).where(checkout_lines.c.checkout_id.in_(unpaid)))
    await tx.execute(
        delete(checkouts).where(checkouts.c.user_id == user_id, checkouts.c.status != "COMPLETED")
    )
    await tx.execute(
        update(checkouts)
        .where(checkouts.c.user_id == user_id)
        .values(user_id=None, device_id=None, owner_key=f"erased:{user_id}")
    )
    return []


async def _erase_cart(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """Lines go; the cart row stays only while kept checkouts point at it, with no owner."""
    await tx.execute(delete(cart_lines).where(cart_lines.c.cart_id.in_(_cart_ids(user_id))))
    kept = select(checkouts.c.cart_id)
    await tx.execute(delete(carts).where(carts.c.user_id == user_id, carts.c.id.not_in(kept)))
    await tx.execute(
        update(carts).where(carts.c.user_id == user_id).values(user_id=None, owner_key=f"erased:{user_id}")
    )
    return []


async def _erase_earnings(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """The creator's commissions and payouts go; merchants' order lines credited to them lose the
    credit (the creator profile is deleted below)."""
    mine = _creator_ids(user_id)
    await tx.execute(delete(commissions).where(commissions.c.creator_id.in_(mine)))
    await tx.execute(delete(payouts).where(payouts.c.creator_id.in_(mine)))
    await tx.execute(
        update(order_lines)
        .where(order_lines.c.attributed_creator_id.in_(mine))
        .values(attributed_creator_id=None, attributed_post_id=None, attributed_at=None)
    )
    return []


RULES: list[TableRule] = [
    TableRule(
        "auth_sessions",
        lambda u: select(sessions).where(sessions.c.user_id == u),
        _deleting(lambda u: delete(sessions).where(sessions.c.user_id == u)),
        "deleted (every session ends; old access and refresh tokens are dead)",
    ),
    TableRule(
        "refresh_tokens",
        lambda u: select(refresh_tokens).where(refresh_tokens.c.session_id.in_(_session_ids(u))),
        _deleting(lambda u: delete(refresh_tokens).where(refresh_tokens.c.session_id.in_(_session_ids(u)))),
        "deleted",
        frozenset({"token_hash"}),
    ),
    TableRule(
        "password_resets",
        lambda u: select(resets).where(resets.c.user_id == u),
        _deleting(lambda u: delete(resets).where(resets.c.user_id == u)),
        "deleted",
        frozenset({"token_hash"}),
    ),
    TableRule(
        "outbox_emails",
        lambda u: select(outbox).where(outbox.c.user_id == u),
        _deleting(lambda u: delete(outbox).where(outbox.c.user_id == u)),
        "deleted, sent or not",
        frozenset({"body"}),
    ),
    TableRule(
        "data_exports",
        lambda u: select(exports).where(exports.c.user_id == u),
        _erase_exports,
        "deleted, with their files",
        frozenset({"download_hash"}),
    ),
    TableRule(
        "experiment_exposures",
        lambda u: select(exposures).where(exposures.c.user_id == u),
        _deleting(lambda u: delete(exposures).where(exposures.c.user_id == u)),
        "deleted (experiment results lose the person)",
    ),
    TableRule(
        "experiment_teams",
        lambda u: select(experiment_teams).where(_teams_of(u)),
        _deleting(lambda u: delete(experiment_teams).where(_teams_of(u))),
        "deleted (interleaving results lose the person's sessions); before experiment_units, which names them",
    ),
    TableRule(
        "experiment_units",
        lambda u: select(experiment_units).where(experiment_units.c.user_id == u),
        _deleting(lambda u: delete(experiment_units).where(experiment_units.c.user_id == u)),
        "deleted (the device the account's experiment variants followed)",
    ),
    TableRule(
        "search_uploads",
        lambda u: select(search_uploads).where(search_uploads.c.owner == f"user:{u}"),
        _erase_search_uploads,
        "deleted, with any photo not yet embedded (photos are deleted once embedded, vectors after a day)",
        frozenset({"embedding"}),
    ),
    TableRule(
        "cart_touches",
        lambda u: select(cart_touches).where(cart_touches.c.user_id == u),
        _deleting(lambda u: delete(cart_touches).where(cart_touches.c.user_id == u)),
        "deleted (posts' add-to-cart counts lose them)",
    ),
    TableRule(
        "checkout_attempts",
        lambda u: select(checkout_attempts).where(checkout_attempts.c.owner_key == f"u:{u}"),
        _keep,  # erased with checkouts, below
        "deleted with checkouts",
    ),
    TableRule(
        "stock_holds",
        lambda u: select(holds).where(holds.c.checkout_id.in_(_checkout_ids(u))),
        _keep,  # erased with checkouts, below
        "deleted with checkouts (the stock is free again)",
    ),
    TableRule(
        "checkout_lines",
        lambda u: select(checkout_lines).where(checkout_lines.c.checkout_id.in_(_checkout_ids(u))),
        _keep,  # erased with checkouts, below
        "deleted with unpaid checkouts; kept with completed ones (SKUs, quantities and prices only)",
    ),
    TableRule(
        "checkouts",
        lambda u: select(checkouts).where(checkouts.c.user_id == u),
        _erase_checkouts,
        "unpaid ones deleted; completed ones kept for the orders' bookkeeping, with no owner",
    ),
    TableRule(
        "cart_lines",
        lambda u: select(cart_lines).where(cart_lines.c.cart_id.in_(_cart_ids(u))),
        _keep,  # erased with carts, below
        "deleted with the cart",
    ),
    TableRule(
        "carts",
        lambda u: select(carts).where(carts.c.user_id == u),
        _erase_cart,
        "deleted (kept without an owner only while a completed checkout points at it)",
    ),
    TableRule(
        "orders",
        lambda u: select(orders).where(orders.c.user_id == u),
        _deleting(lambda u: update(orders).where(orders.c.user_id == u).values(device_id=None)),
        "kept for the merchants' bookkeeping (orders hold no name, email or address), pointing at the "
        "nameless account; the device id is removed",
    ),
    TableRule(
        "order_lines",
        lambda u: select(order_lines).where(order_lines.c.order_id.in_(_order_ids(u))),
        _keep,
        "kept with the orders; lines credited to the person as a creator lose the credit (commissions)",
    ),
    TableRule(
        "payments",
        lambda u: select(payments).where(payments.c.checkout_id.in_(_checkout_ids(u))),
        _keep,
        "kept for bookkeeping (gateway reference and amounts, no card data)",
    ),
    TableRule(
        "commissions",
        lambda u: select(commissions).where(commissions.c.creator_id.in_(_creator_ids(u))),
        _erase_earnings,
        "deleted (the creator's earnings records); order lines credited to them lose the credit",
    ),
    TableRule(
        "payouts",
        lambda u: select(payouts).where(payouts.c.creator_id.in_(_creator_ids(u))),
        _keep,  # erased with commissions, above
        "deleted with commissions",
    ),
    TableRule(
        "events",
        lambda u: select(events).where(or_(events.c.user_id == u, events.c.actor_key == f"u:{u}")),
        _deleting(lambda u: delete(events).where(or_(events.c.user_id == u, events.c.actor_key == f"u:{u}"))),
        "deleted (trending and model training lose them too)",
    ),
    TableRule(
        "feed_hides",
        lambda u: select(hides).where(hides.c.user_id == u),
        _deleting(lambda u: delete(hides).where(hides.c.user_id == u)),
        "deleted",
    ),
    TableRule(
        "feed_served",
        lambda u: select(served).where(served.c.session_id.in_(_feed_session_ids(u))),
        _erase_served,
        "deleted; in other people's feed sessions, the reasons given for the person's posts "
        '("Because you follow @handle") are blanked',
    ),
    TableRule(
        "feed_sessions",
        lambda u: select(feed_sessions).where(feed_sessions.c.actor_key == f"u:{u}"),
        _deleting(lambda u: delete(feed_sessions).where(feed_sessions.c.actor_key == f"u:{u}")),
        "deleted",
    ),
    TableRule(
        "follows",
        lambda u: select(follows).where(follows.c.user_id == u),
        _erase_follows,
        "deleted (the person's follows, and everyone's follows of their creator profile); counts follow",
    ),
    TableRule(
        "likes",
        lambda u: select(likes).where(likes.c.user_id == u),
        _erase_reactions,
        "deleted (the person's, and everyone's likes of their posts); like counts follow",
    ),
    TableRule(
        "saves",
        lambda u: select(saves).where(saves.c.user_id == u),
        _keep,  # erased with likes, above
        "deleted with likes, the same way",
    ),
    TableRule(
        "post_reports",
        lambda u: select(reports).where(reports.c.user_id == u),
        _deleting(
            lambda u: delete(reports).where(or_(reports.c.user_id == u, reports.c.post_id.in_(_post_ids(u))))
        ),
        "deleted (reports the person made, and reports about their posts)",
    ),
    TableRule(
        "moderation_decisions",
        lambda u: select(decisions).where(
            or_(decisions.c.post_id.in_(_post_ids(u)), decisions.c.decided_by == u)
        ),
        _deleting(lambda u: delete(decisions).where(decisions.c.post_id.in_(_post_ids(u)))),
        "decisions about the person's posts are deleted with the posts; decisions an erased moderator "
        "made are kept (the platform's record), pointing at the nameless account",
    ),
    TableRule(
        "product_tags",
        lambda u: select(tags).where(tags.c.post_id.in_(_post_ids(u))),
        _deleting(lambda u: delete(tags).where(tags.c.post_id.in_(_post_ids(u)))),
        "deleted with the posts",
    ),
    TableRule(
        "post_hashtags",
        lambda u: select(post_hashtags).where(post_hashtags.c.post_id.in_(_post_ids(u))),
        _deleting(lambda u: delete(post_hashtags).where(post_hashtags.c.post_id.in_(_post_ids(u)))),
        "deleted with the posts",
    ),
    TableRule(
        "post_media",
        lambda u: select(post_media).where(post_media.c.post_id.in_(_post_ids(u))),
        _deleting(lambda u: delete(post_media).where(post_media.c.post_id.in_(_post_ids(u)))),
        "deleted with the posts",
    ),
    TableRule(
        "posts",
        lambda u: select(posts).where(posts.c.creator_id.in_(_creator_ids(u))),
        _deleting(lambda u: delete(posts).where(posts.c.creator_id.in_(_creator_ids(u)))),
        "deleted, drafts and published alike",
    ),
    TableRule(
        "uploads",
        lambda u: select(uploads).where(uploads.c.user_id == u),
        _keep,  # erased with media, below
        "deleted with media, their uploaded objects too",
    ),
    TableRule(
        "media_renditions",
        lambda u: select(renditions).where(renditions.c.media_id.in_(_media_ids(u))),
        _keep,  # erased with media, below
        "deleted with media, their files too",
    ),
    TableRule(
        "media",
        lambda u: select(media).where(media.c.owner_id == u),
        _erase_media,
        "deleted; the files (originals' renditions, videos, avatars) are deleted from disk or S3 at once",
    ),
    TableRule(
        "creators",
        lambda u: select(creators).where(creators.c.user_id == u),
        _deleting(lambda u: delete(creators).where(creators.c.user_id == u)),
        "deleted (the handle is free again)",
    ),
    TableRule(
        "merchant_members",
        lambda u: select(members).where(members.c.user_id == u),
        _deleting(lambda u: delete(members).where(members.c.user_id == u)),
        "deleted (the merchant stays, with its other people)",
    ),
    TableRule(
        "api_keys",
        lambda u: select(api_keys).where(api_keys.c.created_by == u),
        _deleting(lambda u: update(api_keys).where(api_keys.c.created_by == u).values(created_by=None)),
        "kept for the merchant; who created the key is forgotten",
        frozenset({"key_hash"}),
    ),
    TableRule(
        "audit_log",
        lambda u: select(audit).where(
            or_(audit.c.actor_user_id == u, (audit.c.subject_type == "User") & (audit.c.subject_id == u))
        ),
        _keep,
        "kept (who decided what: ids and codes, no names), pointing at the nameless account",
    ),
    TableRule(
        "consent_changes",
        lambda u: select(consent).where(consent.c.user_id == u),
        _erase_consent,
        "deleted, but for one ACCOUNT_DELETED change proving consent ended with the account",
    ),
    TableRule(
        "users",
        lambda u: select(users).where(users.c.id == u),
        _erase_user,
        "anonymized to a tombstone: email `deleted-<id>@deleted.invalid`, no name, no password, "
        "consent off; the email can sign up again as a new account",
        frozenset({"password_hash"}),
    ),
]

NOT_PERSONAL: dict[str, str] = {
    "merchants": "a business's own account (its people are in merchant_members)",
    "products": "merchants' catalogs",
    "product_images": "merchants' catalogs",
    "skus": "merchants' catalogs",
    "catalog_imports": "merchants' feed imports",
    "catalog_import_errors": "merchants' feed imports",
    "idempotency_records": "answers to merchants' systems' REST calls",
    "experiments": "experiment definitions written by admins",
    "product_search": "the catalog's search index",
    "search_words": "the catalog's search vocabulary",
    "search_version": "a counter of search-index writes (no one's data)",
    "webhook_endpoints": "merchants' endpoints",
    "catalog_images": "merchants' product images, fetched and embedded for visual search",
    "catalog_image_links": "merchants' product images",
    "vision_linked_products": "merchants' catalogs (which products' images are linked)",
    "webhook_events": "events sent to merchants: order payloads carry ids, SKUs and amounts, no name",
    "webhook_deliveries": "deliveries of those events to merchants",
    "webhook_attempts": "deliveries of those events to merchants",
}


async def export_rows(tx: SqlTransaction, user_id: int) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for rule in RULES:
        rows = await tx.execute(rule.select(user_id))
        found[rule.table] = [{k: v for k, v in row._mapping.items() if k not in rule.hidden} for row in rows]
    return found


async def erase_user(tx: SqlTransaction, user_id: int, now: datetime) -> list[str]:
    """Run every table's rule in order, in the caller's transaction; returns media keys to delete."""
    keys: list[str] = []
    await tx.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=RevokedReason.ACCOUNT_DELETED.value)
    )
    for rule in RULES:
        keys += await rule.erase(tx, user_id, now)
    await tx.execute(
        insert(audit).values(
            actor_user_id=user_id,
            action="account.deleted",
            subject_type="User",
            subject_id=user_id,
            details={},
            created_at=now,
        )
    )
    return keys
