"""SQL store of idempotency records."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from shoppable.domain.idempotency import KeyAlreadyClaimed, StoredResponse
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import table_of
from shoppable.storage.tables import IdempotencyRecordRow

records = table_of(IdempotencyRecordRow)


class SqlIdempotencyRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def find(self, merchant_id: int, endpoint: str, key: str) -> StoredResponse | None:
        row = (
            await self.uow.execute(
                select(records).where(
                    records.c.merchant_id == merchant_id, records.c.endpoint == endpoint, records.c.key == key
                )
            )
        ).first()
        return StoredResponse(row.request_hash, row.status_code, row.response) if row else None

    async def save(self, merchant_id: int, endpoint: str, key: str, response: StoredResponse) -> None:
        values = IdempotencyRecordRow(
            merchant_id=merchant_id,
            endpoint=endpoint,
            key=key,
            request_hash=response.request_hash,
            status_code=response.status_code,
            response=response.body,
        ).model_dump(exclude={"id"})
        try:
            await self.uow.execute(insert(records).values(**values))
        except IntegrityError as exc:
            raise KeyAlreadyClaimed from exc
