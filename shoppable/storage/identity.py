"""SQL implementation of the identity repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from shoppable.domain.identity.consent import Consent
from shoppable.domain.identity.records import ApiKey, Merchant, User
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import insert_if_absent, table_of
from shoppable.storage.tables import ApiKeyRow, MerchantMemberRow, MerchantRow, UserRow

users = table_of(UserRow)
merchants = table_of(MerchantRow)
members = table_of(MerchantMemberRow)
api_keys = table_of(ApiKeyRow)


def user_from_row(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        is_admin=row.is_admin,
        token_version=row.token_version,
        consent=Consent(
            personalization=row.consent_personalization,
            analytics=row.consent_analytics,
            marketing=row.consent_marketing,
            policy_version=row.consent_policy_version,
            updated_at=row.consent_updated_at,
            global_privacy_control=row.consent_gpc,
        ),
        created_at=row.created_at,
        recommendations_reset_at=row.recommendations_reset_at,
        deleted_at=row.deleted_at,
    )


def merchant_from_row(row: Any) -> Merchant:
    return Merchant(
        id=row.id,
        handle=row.handle,
        name=row.name,
        currency=row.currency,
        low_stock_threshold=row.low_stock_threshold,
        created_at=row.created_at,
        commission_rate_bps=row.commission_rate_bps,
        return_window_days=row.return_window_days,
        language=row.language,
        attribution_window_days=row.attribution_window_days,
    )


def api_key_from_row(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        merchant_id=row.merchant_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlIdentityRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def get_user(self, user_id: int) -> User | None:
        row = (await self.uow.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def get_user_with_password(self, email: str) -> tuple[User, str] | None:
        row = (await self.uow.execute(select(users).where(users.c.email == email))).first()
        return (user_from_row(row), row.password_hash) if row else None

    async def add_user(self, email: str, password_hash: str, display_name: str, *, is_admin: bool) -> User:
        row = UserRow(email=email, password_hash=password_hash, display_name=display_name, is_admin=is_admin)
        values = row.model_dump(exclude={"id"})
        result = await self.uow.execute(insert(users).values(**values).returning(users))
        return user_from_row(result.one())

    async def set_admin(self, user_id: int, password_hash: str | None) -> None:
        values: dict[str, Any] = {"is_admin": True}
        if password_hash:
            values["password_hash"] = password_hash
        await self.uow.execute(update(users).where(users.c.id == user_id).values(**values))

    async def set_consent(self, user_id: int, consent: Consent) -> None:
        await self.uow.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                consent_personalization=consent.personalization,
                consent_analytics=consent.analytics,
                consent_marketing=consent.marketing,
                consent_policy_version=consent.policy_version,
                consent_updated_at=consent.updated_at,
                consent_gpc=consent.global_privacy_control,
            )
        )

    async def user_with_merchant_ids(self, user_id: int) -> tuple[User, frozenset[int]] | None:
        rows = (
            await self.uow.execute(
                select(users, members.c.merchant_id.label("member_of"))
                .outerjoin(members, members.c.user_id == users.c.id)
                .where(users.c.id == user_id)
            )
        ).all()  # one row per merchant the user belongs to (one without any)
        if not rows:
            return None
        return user_from_row(rows[0]), frozenset(r.member_of for r in rows if r.member_of is not None)

    async def merchant_ids_of(self, user_id: int) -> frozenset[int]:
        rows = await self.uow.execute(select(members.c.merchant_id).where(members.c.user_id == user_id))
        return frozenset(r[0] for r in rows)

    async def get_merchant(self, merchant_id: int) -> Merchant | None:
        row = (await self.uow.execute(select(merchants).where(merchants.c.id == merchant_id))).first()
        return merchant_from_row(row) if row else None

    async def get_merchants(self, merchant_ids: Sequence[int]) -> list[Merchant]:
        rows = await self.uow.execute(select(merchants).where(merchants.c.id.in_(merchant_ids)))
        return [merchant_from_row(r) for r in rows]

    async def get_merchant_by_handle(self, handle: str) -> Merchant | None:
        row = (await self.uow.execute(select(merchants).where(merchants.c.handle == handle))).first()
        return merchant_from_row(row) if row else None

    async def add_merchant(
        self, handle: str, name: str, currency: str, low_stock: int, owner_id: int
    ) -> Merchant | None:
        values = MerchantRow(
            handle=handle, name=name, currency=currency, low_stock_threshold=low_stock
        ).model_dump(exclude={"id"})
        # ON CONFLICT DO NOTHING: a concurrent sign-up with the same handle is not a database error.
        inserted = insert_if_absent(self.uow, merchants).values(**values).returning(merchants)
        row = (await self.uow.execute(inserted)).first()
        if row is None:
            return None
        member = MerchantMemberRow(merchant_id=row.id, user_id=owner_id).model_dump(exclude={"id"})
        await self.uow.execute(insert(members).values(**member))
        return merchant_from_row(row)

    async def add_api_key(self, merchant_id: int, name: str, prefix: str, key_hash: str, by: int) -> ApiKey:
        values = ApiKeyRow(
            merchant_id=merchant_id, name=name, prefix=prefix, key_hash=key_hash, created_by=by
        ).model_dump(exclude={"id"})
        row = (await self.uow.execute(insert(api_keys).values(**values).returning(api_keys))).one()
        return api_key_from_row(row)

    async def get_api_key(self, api_key_id: int) -> ApiKey | None:
        row = (await self.uow.execute(select(api_keys).where(api_keys.c.id == api_key_id))).first()
        return api_key_from_row(row) if row else None

    async def list_api_keys(self, merchant_id: int) -> list[ApiKey]:
        rows = await self.uow.execute(
            select(api_keys).where(api_keys.c.merchant_id == merchant_id).order_by(api_keys.c.id.desc())
        )
        return [api_key_from_row(r) for r in rows]

    async def find_active_api_key(self, key_hash: str) -> ApiKey | None:
        row = (
            await self.uow.execute(
                select(api_keys).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
            )
        ).first()
        return api_key_from_row(row) if row else None

    async def revoke_api_key(self, api_key_id: int, at: datetime) -> None:
        await self.uow.execute(update(api_keys).where(api_keys.c.id == api_key_id).values(revoked_at=at))
