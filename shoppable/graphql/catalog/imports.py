"""GraphQL view of catalog import jobs, for the merchant who started them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.catalog import importing
from shoppable.domain.catalog.importing import ImportJob
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import decode_id, encode_id
from shoppable.graphql.core.node import Node, node_type


@strawberry.type
class CatalogImportCounts:
    rows: int
    created: int
    updated: int
    unchanged: int
    archived: int
    failed: int


@strawberry.type
class CatalogImportError:
    row: int
    external_id: str | None
    field: str
    code: str
    message: str


@strawberry.type
class CatalogImport(Node):
    status: str = strawberry.field(description="queued, running, succeeded, completed_with_errors or failed.")
    format: str
    mode: str
    counts: CatalogImportCounts
    bytes_read: int
    bytes_total: int
    error_count: int
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, job: ImportJob) -> CatalogImport:
        c = job.counts
        return cls(
            id=strawberry.ID(encode_id("CatalogImport", job.id)),
            pk=job.id,
            status=job.status.value,
            format=job.format,
            mode=job.mode.value,
            counts=CatalogImportCounts(
                rows=c.rows,
                created=c.created,
                updated=c.updated,
                unchanged=c.unchanged,
                archived=c.archived,
                failed=c.failed,
            ),
            bytes_read=job.bytes_read,
            bytes_total=job.file_size,
            error_count=job.error_count,
            message=job.message,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

    @strawberry.field(description="The first errors (at most 1,000 are kept), in file order of discovery.")
    async def errors(self, info: Info, first: int = 100) -> list[CatalogImportError]:
        found = await info.context.uow.imports.errors_of(self.pk, max(0, min(first, 1000)))
        return [
            CatalogImportError(
                row=e.row, external_id=e.external_id, field=e.field, code=str(e.code), message=e.message
            )
            for e in found
        ]


async def visible_import(info: Info, pk: int) -> CatalogImport | None:
    job = await importing.visible_import(info.context.uow, info.context.actor, pk)
    return CatalogImport.of(job) if job else None


node_type("CatalogImport")(visible_import)


@strawberry.type
class CatalogImportQueries:
    @strawberry.field(description="An import job of a merchant you manage; null otherwise.")
    async def catalog_import(self, info: Info, id: strawberry.ID) -> CatalogImport | None:
        pk = decode_id(id, "CatalogImport")
        return await visible_import(info, pk) if pk else None
