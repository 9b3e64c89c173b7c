"""SQL side of catalog import jobs: their records, progress and row errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update

from shoppable.domain.catalog.formats import RowError
from shoppable.domain.catalog.importing import ImportCounts, ImportJob, ImportMode, ImportStatus
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import table_of
from shoppable.storage.tables import CatalogImportErrorRow, CatalogImportRow
from shoppable.storage.types import utcnow

jobs = table_of(CatalogImportRow)
errors = table_of(CatalogImportErrorRow)


def job_from_row(row: Any) -> ImportJob:
    return ImportJob(
        id=row.id,
        merchant_id=row.merchant_id,
        format=row.format,
        mode=ImportMode(row.mode),
        force=row.force,
        status=ImportStatus(row.status),
        file_path=row.file_path,
        file_size=row.file_size,
        bytes_read=row.bytes_read,
        counts=ImportCounts(
            rows=row.rows,
            created=row.created,
            updated=row.updated,
            unchanged=row.unchanged,
            archived=row.archived,
            failed=row.failed,
        ),
        error_count=row.error_count,
        message=row.message,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        attempts=row.attempts,
        cancel_requested_at=row.cancel_requested_at,
    )


def _counts(counts: ImportCounts) -> dict[str, int]:
    return {
        "rows": counts.rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "archived": counts.archived,
        "failed": counts.failed,
    }


class SqlImportJobRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def create(
        self, merchant_id: int, format_: str, mode: ImportMode, force: bool, file_path: str, file_size: int
    ) -> ImportJob:
        values = CatalogImportRow(
            merchant_id=merchant_id,
            format=format_,
            mode=mode.value,
            force=force,
            file_path=file_path,
            file_size=file_size,
        ).model_dump(exclude={"id"})
        row = (await self.uow.execute(insert(jobs).values(**values).returning(jobs))).one()
        return job_from_row(row)

    async def get(self, job_id: int) -> ImportJob | None:
        row = (await self.uow.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return job_from_row(row) if row else None

    async def unfinished(self) -> list[ImportJob]:
        rows = await self.uow.execute(
            select(jobs).where(jobs.c.status.in_([ImportStatus.QUEUED.value, ImportStatus.RUNNING.value]))
        )
        return [job_from_row(r) for r in rows]

    async def errors_of(self, job_id: int, limit: int = 1000) -> list[RowError]:
        rows = await self.uow.execute(
            select(errors)
            .where(errors.c.import_id == job_id)
            .order_by(errors.c.row, errors.c.id)
            .limit(limit)
        )
        return [RowError(r.row, r.external_id, r.field, r.code, r.message) for r in rows]

    async def claim(self, job_id: int) -> bool:
        """Take a queued job for running; False when another runner has it (or it is finished)."""
        result = await self.uow.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == ImportStatus.QUEUED.value)
            .values(
                status=ImportStatus.RUNNING.value,
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                attempts=jobs.c.attempts + 1,
            )
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def save_progress(
        self,
        job_id: int,
        counts: ImportCounts,
        bytes_read: int,
        error_count: int,
        new_errors: Sequence[RowError],
    ) -> None:
        await self.uow.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(**_counts(counts), bytes_read=bytes_read, error_count=error_count, heartbeat_at=utcnow())
        )
        if new_errors:
            await self.uow.execute(
                insert(errors),
                [
                    {
                        "import_id": job_id,
                        "row": e.row,
                        "external_id": (e.external_id or None) and e.external_id[:255],
                        "field": e.field[:255],
                        "code": str(e.code),
                        "message": e.message,
                    }
                    for e in new_errors
                ],
            )

    async def finish(
        self, job_id: int, status: ImportStatus, counts: ImportCounts, error_count: int, message: str | None
    ) -> None:
        await self.uow.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                **_counts(counts),
                error_count=error_count,
                status=status.value,
                message=message,
                finished_at=utcnow(),
            )
        )

    async def list_for_merchant(self, merchant_id: int, page: PageRequest) -> Page[ImportJob]:
        query = select(jobs).where(jobs.c.merchant_id == merchant_id)
        if page.after is not None:
            query = query.where(jobs.c.id < int(page.after[0]))
        rows = await self.uow.execute(query.order_by(jobs.c.id.desc()).limit(page.first + 1))
        return page_from_rows([job_from_row(r) for r in rows], page, lambda j: (j.id,))

    async def request_cancel(self, job_id: int, at: datetime) -> None:
        await self.uow.execute(update(jobs).where(jobs.c.id == job_id).values(cancel_requested_at=at))

    async def cancel_requested(self, job_id: int) -> bool:
        value = (
            await self.uow.execute(select(jobs.c.cancel_requested_at).where(jobs.c.id == job_id))
        ).scalar()
        return value is not None

    async def restart(self, job_id: int) -> None:
        """Back to queued with fresh counts and errors: a resumed import re-reads its file from the start."""
        await self.uow.execute(errors.delete().where(errors.c.import_id == job_id))
        await self.uow.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(status=ImportStatus.QUEUED.value, bytes_read=0, error_count=0, **_counts(ImportCounts()))
        )
