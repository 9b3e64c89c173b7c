"""GraphQL view of catalog import jobs, for the merchant who started them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.catalog import importing
from shoppable.domain.catalog.importing import ImportJob
from shoppable.domain.identity import policy
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_id, decode_input_id, encode_id
from shoppable.graphql.core.node import Node, node_type


@strawberry.type(
    description="`rows` and `failed` count lines of the file (items of an XML feed); `created`, "
    "`updated`, `unchanged` and `archived` count products (a product may span several rows)."
)
class CatalogImportCounts:
    rows: int = strawberry.field(description="Rows (lines) read.")
    created: int = strawberry.field(description="Products created.")
    updated: int = strawberry.field(description="Products updated.")
    unchanged: int = strawberry.field(description="Products already as the file says.")
    archived: int = strawberry.field(description="Products archived (full mode: not in the file).")
    failed: int = strawberry.field(description="Rows (lines) refused; see `errors`, in line order.")


@strawberry.type
class CatalogImportError:
    row: int
    external_id: str | None
    field: str
    code: str
    message: str


@strawberry.type
class CatalogImport(Node):
    status: str = strawberry.field(
        description="queued, running, succeeded, completed_with_errors, failed or cancelled."
    )
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
    cancel_requested_at: datetime | None
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
            cancel_requested_at=job.cancel_requested_at,
        )

    @strawberry.field(description="The errors (the first 1,000 found are kept), in line order.")
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


async def imports_of_merchant(
    info: Info, merchant_id: int, first: int | None, after: str | None
) -> Connection[CatalogImport] | None:
    """Newest first; null for callers who do not manage the merchant."""
    if not policy.can_manage_catalog(info.context.actor, merchant_id):
        return None
    request = page_request(info.context.cursors, "catalogImports", first, after)
    page = await importing.list_imports(info.context.uow, info.context.actor, merchant_id, request)
    return connection(
        info.context.cursors, "catalogImports", page, CatalogImport.of, had_cursor=after is not None
    )


@strawberry.input
class CancelCatalogImportInput:
    import_id: strawberry.ID


@strawberry.type
class CatalogImportPayload:
    catalog_import: CatalogImport | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CatalogImportMutations:
    @mutation(
        description="Cancel a queued import, or stop a running one after the batch it is writing "
        "(`cancelRequestedAt` is set; the status becomes cancelled then)."
    )
    async def cancel_catalog_import(
        self, info: Info, input: CancelCatalogImportInput
    ) -> CatalogImportPayload:
        pk = decode_input_id(input.import_id, "CatalogImport", ("importId",))
        job = await importing.cancel_import(info.context.uow, info.context.actor, pk)
        return CatalogImportPayload(catalog_import=CatalogImport.of(job))
