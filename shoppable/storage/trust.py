"""SQL implementation of the trust repository: sessions, consent history, password resets, the
mail outbox, data exports, the audit log, and (through `storage/privacy.py`) export, erasure and
the device-to-account merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult

from shoppable.domain.identity.consent import Consent, ConsentChange, ConsentSource
from shoppable.domain.identity.ports import ErasedFiles, HiddenItem, ProfileSignals
from shoppable.domain.identity.records import (
    AuditEntry,
    AuthSession,
    DataExport,
    ExportStatus,
    OutboxEmail,
    PasswordReset,
    RefreshToken,
    SessionChannel,
    User,
)
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.storage import privacy
from shoppable.storage.db import SqlTransaction
from shoppable.storage.identity import members, user_from_row
from shoppable.storage.sql import table_of
from shoppable.storage.tables import (
    AuditLogRow,
    AuthSessionRow,
    ConsentChangeRow,
    DataExportRow,
    EventRow,
    FeedHideRow,
    FeedSessionRow,
    FollowRow,
    LikeRow,
    OutboxEmailRow,
    PasswordResetRow,
    PostRow,
    ProductRow,
    RefreshTokenRow,
    SaveRow,
    SkuRow,
    UserRow,
)
from shoppable.storage.types import utcnow

users = table_of(UserRow)
sessions = table_of(AuthSessionRow)
refresh_tokens = table_of(RefreshTokenRow)
consent_changes = table_of(ConsentChangeRow)
resets = table_of(PasswordResetRow)
outbox = table_of(OutboxEmailRow)
exports = table_of(DataExportRow)
audit = table_of(AuditLogRow)
events = table_of(EventRow)
hides = table_of(FeedHideRow)
feed_sessions = table_of(FeedSessionRow)
likes = table_of(LikeRow)
saves = table_of(SaveRow)
follows = table_of(FollowRow)
posts = table_of(PostRow)
products = table_of(ProductRow)
skus = table_of(SkuRow)

ENDED_SESSION_KEPT_DAYS = 30


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount or 0


def _session(row: Any) -> AuthSession:
    return AuthSession(
        id=row.id,
        user_id=row.user_id,
        channel=SessionChannel(row.channel),
        device_label=row.device_label,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
    )


def _export(row: Any) -> DataExport:
    return DataExport(
        id=row.id,
        user_id=row.user_id,
        status=ExportStatus(row.status),
        object_key=row.object_key,
        byte_size=row.byte_size,
        created_at=row.created_at,
        finished_at=row.finished_at,
        expires_at=row.expires_at,
    )


def _consent_change(row: Any) -> ConsentChange:
    return ConsentChange(
        id=row.id,
        user_id=row.user_id,
        changed_at=row.changed_at,
        channel=row.channel,
        policy_version=row.policy_version,
        source=ConsentSource(row.source),
        personalization=row.personalization,
        analytics=row.analytics,
        marketing=row.marketing,
        global_privacy_control=row.global_privacy_control,
    )


class SqlTrustRepository:
    def __init__(self, tx: SqlTransaction) -> None:
        self.tx = tx

    # -- accounts ---------------------------------------------------------------------------------

    async def password_hash_of(self, user_id: int) -> str | None:
        row = (
            await self.tx.execute(
                select(users.c.password_hash).where(users.c.id == user_id, users.c.deleted_at.is_(None))
            )
        ).first()
        return row.password_hash if row else None

    async def set_password(self, user_id: int, password_hash: str) -> None:
        await self.tx.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, token_version=users.c.token_version + 1)
        )

    async def bump_token_version(self, user_id: int) -> None:
        await self.tx.execute(
            update(users).where(users.c.id == user_id).values(token_version=users.c.token_version + 1)
        )

    async def set_recommendations_reset(self, user_id: int, at: datetime) -> None:
        await self.tx.execute(update(users).where(users.c.id == user_id).values(recommendations_reset_at=at))

    # -- sessions ---------------------------------------------------------------------------------

    async def add_session(
        self, user_id: int, channel: str, device_label: str, now: datetime, expires_at: datetime
    ) -> AuthSession:
        row = (
            await self.tx.execute(
                insert(sessions)
                .values(
                    user_id=user_id,
                    channel=channel,
                    device_label=device_label,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires_at,
                )
                .returning(sessions)
            )
        ).one()
        return _session(row)

    async def get_session(self, session_id: int) -> AuthSession | None:
        row = (await self.tx.execute(select(sessions).where(sessions.c.id == session_id))).first()
        return _session(row) if row else None

    async def session_with_user(self, session_id: int) -> tuple[AuthSession, User, frozenset[int]] | None:
        columns = [c.label(f"s_{c.key}") for c in sessions.c]
        rows = (
            await self.tx.execute(
                select(users, *columns, members.c.merchant_id.label("member_of"))
                .join(sessions, sessions.c.user_id == users.c.id)
                .outerjoin(members, members.c.user_id == users.c.id)
                .where(sessions.c.id == session_id)
            )
        ).all()  # one row per merchant the account belongs to (one without any)
        if not rows:
            return None
        mapping = rows[0]._mapping
        session = _session(SimpleNamespace(**{c.key: mapping[f"s_{c.key}"] for c in sessions.c}))
        merchant_ids = frozenset(r.member_of for r in rows if r.member_of is not None)
        return session, user_from_row(rows[0]), merchant_ids

    async def active_sessions(self, user_id: int, now: datetime) -> list[AuthSession]:
        rows = await self.tx.execute(
            select(sessions)
            .where(
                sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > now
            )
            .order_by(sessions.c.id.desc())
        )
        return [_session(r) for r in rows]

    async def touch_session(self, session_id: int, now: datetime) -> None:
        await self.tx.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now))

    async def revoke_sessions(
        self, user_id: int, reason: str, now: datetime, *, only: int | None = None, keep: int | None = None
    ) -> int:
        query = update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        if only is not None:
            query = query.where(sessions.c.id == only)
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        return _rowcount(await self.tx.execute(query.values(revoked_at=now, revoked_reason=reason)))

    async def add_refresh_token(self, session_id: int, token_hash: str, expires_at: datetime) -> None:
        await self.tx.execute(
            insert(refresh_tokens).values(
                session_id=session_id, token_hash=token_hash, created_at=utcnow(), expires_at=expires_at
            )
        )

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self.tx.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
        ).first()
        return RefreshToken(row.id, row.session_id, row.expires_at, row.spent_at) if row else None

    async def spend_refresh_token(self, token_id: int, now: datetime) -> bool:
        result = await self.tx.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.spent_at.is_(None))
            .values(spent_at=now)
        )
        return _rowcount(result) == 1

    # -- consent ----------------------------------------------------------------------------------

    async def add_consent_change(
        self, user_id: int, consent: Consent, channel: str, source: ConsentSource
    ) -> None:
        await self.tx.execute(
            insert(consent_changes).values(
                user_id=user_id,
                changed_at=consent.updated_at or utcnow(),
                channel=channel if channel in SessionChannel.__members__ else "OTHER",
                policy_version=consent.policy_version,
                source=source.value,
                personalization=consent.personalization,
                analytics=consent.analytics,
                marketing=consent.marketing,
                global_privacy_control=consent.global_privacy_control,
            )
        )

    async def consent_history(self, user_id: int, page: PageRequest) -> Page[ConsentChange]:
        query = select(consent_changes).where(consent_changes.c.user_id == user_id)
        if page.after is not None:
            query = query.where(consent_changes.c.id < int(page.after[0]))
        rows = await self.tx.execute(query.order_by(consent_changes.c.id.desc()).limit(page.first + 1))
        return page_from_rows([_consent_change(r) for r in rows], page, lambda c: (c.id,))

    # -- password resets and mail -----------------------------------------------------------------

    async def add_password_reset(self, user_id: int, token_hash: str, expires_at: datetime) -> None:
        await self.tx.execute(
            insert(resets).values(
                user_id=user_id, token_hash=token_hash, created_at=utcnow(), expires_at=expires_at
            )
        )

    async def find_password_reset(self, token_hash: str) -> PasswordReset | None:
        row = (await self.tx.execute(select(resets).where(resets.c.token_hash == token_hash))).first()
        return PasswordReset(row.id, row.user_id, row.expires_at, row.used_at) if row else None

    async def use_password_resets(self, user_id: int, now: datetime) -> None:
        await self.tx.execute(
            update(resets).where(resets.c.user_id == user_id, resets.c.used_at.is_(None)).values(used_at=now)
        )

    async def add_email(self, user_id: int | None, to_address: str, subject: str, body: str) -> int:
        row = (
            await self.tx.execute(
                insert(outbox)
                .values(
                    user_id=user_id,
                    to_address=to_address,
                    subject=subject,
                    body=body,
                    created_at=utcnow(),
                    attempts=0,
                )
                .returning(outbox.c.id)
            )
        ).one()
        return int(row.id)

    async def pending_emails(self, limit: int, max_attempts: int) -> list[OutboxEmail]:
        rows = await self.tx.execute(
            select(outbox)
            .where(outbox.c.sent_at.is_(None), outbox.c.attempts < max_attempts)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [OutboxEmail(r.id, r.to_address, r.subject, r.body, r.attempts) for r in rows]

    async def mark_email_sent(self, email_id: int, now: datetime) -> None:
        # The body may hold a single-use link: nobody needs it once it has gone out.
        await self.tx.execute(
            update(outbox)
            .where(outbox.c.id == email_id)
            .values(sent_at=now, body="", attempts=outbox.c.attempts + 1, last_error=None)
        )

    async def mark_email_failed(self, email_id: int, error: str) -> None:
        await self.tx.execute(
            update(outbox)
            .where(outbox.c.id == email_id)
            .values(attempts=outbox.c.attempts + 1, last_error=error)
        )

    # -- exports ----------------------------------------------------------------------------------

    async def add_export(self, user_id: int, download_hash: str, expires_at: datetime) -> DataExport:
        row = (
            await self.tx.execute(
                insert(exports)
                .values(
                    user_id=user_id,
                    status=ExportStatus.PENDING.value,
                    download_hash=download_hash,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
                .returning(exports)
            )
        ).one()
        return _export(row)

    async def get_export(self, export_id: int) -> DataExport | None:
        row = (await self.tx.execute(select(exports).where(exports.c.id == export_id))).first()
        return _export(row) if row else None

    async def find_export_by_download(self, download_hash: str) -> DataExport | None:
        row = (await self.tx.execute(select(exports).where(exports.c.download_hash == download_hash))).first()
        return _export(row) if row else None

    async def finish_export(
        self, export_id: int, status: str, object_key: str | None, byte_size: int | None, now: datetime
    ) -> None:
        await self.tx.execute(
            update(exports)
            .where(exports.c.id == export_id)
            .values(status=status, object_key=object_key, byte_size=byte_size, finished_at=now)
        )

    async def exports_of(self, user_id: int) -> list[DataExport]:
        rows = await self.tx.execute(
            select(exports).where(exports.c.user_id == user_id).order_by(exports.c.id.desc()).limit(20)
        )
        return [_export(r) for r in rows]

    async def expired_exports(self, now: datetime, limit: int) -> list[DataExport]:
        rows = await self.tx.execute(
            select(exports).where(exports.c.expires_at <= now).order_by(exports.c.id).limit(limit)
        )
        return [_export(r) for r in rows]

    async def delete_exports(self, export_ids: Sequence[int]) -> None:
        await self.tx.execute(delete(exports).where(exports.c.id.in_(list(export_ids))))

    # -- audit log --------------------------------------------------------------------------------

    async def add_audit(
        self,
        actor_user_id: int | None,
        actor_api_key_id: int | None,
        action: str,
        subject_type: str,
        subject_id: int | None,
        details: dict[str, Any],
    ) -> None:
        await self.tx.execute(
            insert(audit).values(
                actor_user_id=actor_user_id,
                actor_api_key_id=actor_api_key_id,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                details=details,
                created_at=utcnow(),
            )
        )

    async def audit_page(self, page: PageRequest, action: str | None) -> Page[AuditEntry]:
        query = select(audit)
        if action:
            query = query.where(audit.c.action == action)
        if page.after is not None:
            query = query.where(audit.c.id < int(page.after[0]))
        rows = await self.tx.execute(query.order_by(audit.c.id.desc()).limit(page.first + 1))
        entries = [
            AuditEntry(
                r.id,
                r.actor_user_id,
                r.actor_api_key_id,
                r.action,
                r.subject_type,
                r.subject_id,
                r.details or {},
                r.created_at,
            )
            for r in rows
        ]
        return page_from_rows(entries, page, lambda e: (e.id,))

    # -- privacy ----------------------------------------------------------------------------------

    async def export_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        return await privacy.export_rows(self.tx, user_id)

    async def erase_user(self, user_id: int, now: datetime) -> ErasedFiles:
        return ErasedFiles(await privacy.erase_user(self.tx, user_id, now))

    async def delete_user_events(self, user_id: int) -> int:
        result = await self.tx.execute(
            delete(events).where(or_(events.c.user_id == user_id, events.c.actor_key == f"u:{user_id}"))
        )
        return _rowcount(result)

    async def hidden_items(self, user_id: int, page: PageRequest) -> Page[HiddenItem]:
        query = select(hides).where(hides.c.user_id == user_id)
        if page.after is not None:
            query = query.where(hides.c.id < int(page.after[0]))
        rows = await self.tx.execute(query.order_by(hides.c.id.desc()).limit(page.first + 1))
        items = [HiddenItem(r.id, r.subject_type, r.subject_id, r.created_at) for r in rows]
        return page_from_rows(items, page, lambda h: (h.id,))

    async def profile_signals(self, user_id: int, since: datetime) -> ProfileSignals:
        mine = and_(events.c.user_id == user_id, events.c.occurred_at >= since)
        count = int((await self.tx.execute(select(func.count()).where(mine))).scalar_one())
        product_of_event = (
            select(events.c.subject_id.label("product_id"))
            .where(mine, events.c.subject_type == "Product")
            .union_all(
                select(skus.c.product_id.label("product_id"))
                .join(events, and_(events.c.subject_type == "Sku", events.c.subject_id == skus.c.id))
                .where(mine)
            )
            .subquery()
        )
        seen = Counter(row.product_id for row in await self.tx.execute(select(product_of_event.c.product_id)))
        categories: Counter[str] = Counter()
        prices: list[tuple[int, str]] = []
        if seen:
            ids = list(seen)[:1000]
            for row in await self.tx.execute(
                select(products.c.id, products.c.category).where(products.c.id.in_(ids))
            ):
                if row.category:
                    categories[row.category] += seen[row.id]
            for row in await self.tx.execute(
                select(skus.c.product_id, func.min(skus.c.price_minor).label("price"), skus.c.currency)
                .where(skus.c.product_id.in_(ids))
                .group_by(skus.c.product_id, skus.c.currency)
            ):
                prices += [(int(row.price), row.currency)] * seen[row.product_id]
        engaged = (
            select(likes.c.post_id).where(likes.c.user_id == user_id, likes.c.created_at >= since)
        ).union_all(select(saves.c.post_id).where(saves.c.user_id == user_id, saves.c.created_at >= since))
        engaged_posts = engaged.subquery()
        creators = Counter(
            row.creator_id
            for row in await self.tx.execute(
                select(posts.c.creator_id).join(engaged_posts, engaged_posts.c.post_id == posts.c.id)
            )
        )
        followed = [
            row.creator_id
            for row in await self.tx.execute(
                select(follows.c.creator_id).where(follows.c.user_id == user_id).order_by(follows.c.id.desc())
            )
        ]
        ranked = [c for c, _ in creators.most_common()] + [c for c in followed if c not in creators]
        return ProfileSignals(count, categories.most_common(), ranked, prices)

    async def claim_device_events(self, device_id: str, user_id: int, *, keep: bool) -> int:
        device_key, user_key = f"d:{device_id}", f"u:{user_id}"
        if not keep:
            await self.tx.execute(delete(events).where(events.c.actor_key == device_key))
            return 0
        already = select(events.c.event_id).where(events.c.actor_key == user_key)
        await self.tx.execute(
            delete(events).where(events.c.actor_key == device_key, events.c.event_id.in_(already))
        )
        result = await self.tx.execute(
            update(events)
            .where(events.c.actor_key == device_key)
            .values(actor_key=user_key, user_id=user_id, device_id=None)
        )
        return _rowcount(result)

    async def claim_device_hides(self, device_id: str, user_id: int) -> int:
        mine = select(hides.c.subject_type, hides.c.subject_id).where(hides.c.user_id == user_id)
        rows = (await self.tx.execute(mine)).all()
        for row in rows:  # already hidden by the account: the device's copy goes
            await self.tx.execute(
                delete(hides).where(
                    hides.c.device_id == device_id,
                    hides.c.subject_type == row.subject_type,
                    hides.c.subject_id == row.subject_id,
                )
            )
        result = await self.tx.execute(
            update(hides).where(hides.c.device_id == device_id).values(user_id=user_id, device_id=None)
        )
        return _rowcount(result)

    async def claim_device_feed_sessions(self, device_id: str, user_id: int) -> int:
        result = await self.tx.execute(
            update(feed_sessions)
            .where(feed_sessions.c.actor_key == f"d:{device_id}")
            .values(actor_key=f"u:{user_id}")
        )
        return _rowcount(result)

    async def prune(self, now: datetime) -> dict[str, int]:
        from datetime import timedelta

        kept_until = now - timedelta(days=ENDED_SESSION_KEPT_DAYS)
        ended = select(sessions.c.id).where(
            or_(sessions.c.expires_at <= kept_until, sessions.c.revoked_at <= kept_until)
        )
        await self.tx.execute(delete(refresh_tokens).where(refresh_tokens.c.session_id.in_(ended)))
        counts = {
            "sessions": _rowcount(
                await self.tx.execute(
                    delete(sessions).where(
                        or_(sessions.c.expires_at <= kept_until, sessions.c.revoked_at <= kept_until)
                    )
                )
            ),
            "refreshTokens": _rowcount(
                await self.tx.execute(delete(refresh_tokens).where(refresh_tokens.c.expires_at <= now))
            ),
            "passwordResets": _rowcount(
                await self.tx.execute(delete(resets).where(resets.c.expires_at <= now))
            ),
            "sentMail": _rowcount(
                await self.tx.execute(delete(outbox).where(outbox.c.sent_at <= now - timedelta(days=7)))
            ),
        }
        return counts
