"""REST for merchants' systems: catalog imports and fast stock/price updates (API key or owner token).

Handlers read the request, call one domain operation and shape its answer; a DomainError they let
through becomes a problem response in `shoppable.api.problems`.
"""

# No `from __future__ import annotations`: TypedDict sees `NotRequired` only in evaluated annotations
# (Python 3.11), and /v1/openapi.json says which keys of an answer are always there.
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NotRequired, TypedDict

from graphql import GraphQLError
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from shoppable.api.dependencies import DEPENDENCIES, AppServices, RequestUnitOfWork
from shoppable.api.problems import Problem
from shoppable.api.request_bodies import (
    FeedFileOperation,
    FeedFileUpload,
    InventoryRequestBody,
    PriceRequestBody,
    documented_body,
)
from shoppable.api.uploads import save_body
from shoppable.domain.catalog import stock
from shoppable.domain.catalog.formats import FeedError, FeedFormat, RowError, detect_format
from shoppable.domain.catalog.formats.detect import HEAD_BYTES
from shoppable.domain.catalog.importing import (
    ImportJob,
    ImportMode,
    ImportRequest,
    cancel_import,
    list_imports,
    start_import,
    visible_import,
)
from shoppable.domain.catalog.limits import INT64_MAX
from shoppable.domain.catalog.service import merchant_for
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.idempotency import run_once
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from shoppable.domain.uow import UnitOfWork
from shoppable.graphql.core.ids import CursorCodec, encode_id
from shoppable.jobs.catalog_import import enqueue_import
from shoppable.settings import Settings


class ImportCountsBody(TypedDict):
    """`rows`/`failed` (= `rowsRead`/`rowsFailed`) count lines of the file; the others count products."""

    rows: int
    created: int
    updated: int
    unchanged: int
    archived: int
    failed: int
    rowsRead: int
    rowsFailed: int
    productsCreated: int
    productsUpdated: int
    productsUnchanged: int
    productsArchived: int


class ImportProgressBody(TypedDict):
    bytesRead: int
    bytesTotal: int
    percent: float


class ImportErrorBody(TypedDict):
    row: int
    externalId: str | None
    field: str
    code: str
    message: str


class ImportBody(TypedDict):
    id: int
    graphqlId: str
    status: str
    format: str
    mode: str
    force: bool
    counts: ImportCountsBody
    progress: ImportProgressBody
    errorCount: int
    message: str | None
    createdAt: str
    startedAt: str | None
    finishedAt: str | None
    cancelRequestedAt: str | None
    errors: NotRequired[list[ImportErrorBody]]
    """Only on `GET /v1/catalog/imports/{id}`: the errors, in line order (the first 1,000 found)."""


class ImportPageBody(TypedDict):
    imports: list[ImportBody]
    nextCursor: str | None


class MoneyBody(TypedDict):
    amount: str
    currencyCode: str


class ItemResultBody(TypedDict):
    sku: str
    status: str
    """updated, unchanged, conflict, not_found, or invalid (the item is malformed; see field)."""
    field: NotRequired[list[str]]
    quantity: NotRequired[int | None]
    availability: NotRequired[str]
    price: NotRequired[MoneyBody]
    compareAtPrice: NotRequired[MoneyBody | None]
    code: NotRequired[str]
    message: NotRequired[str | None]


class ItemResultsBody(TypedDict):
    results: list[ItemResultBody]
    """One per item of the request, in its order."""


def job_json(job: ImportJob, errors: list[RowError] | None = None) -> ImportBody:
    counts = job.counts
    body: Any = {
        "id": job.id,
        "graphqlId": encode_id("CatalogImport", job.id),
        "status": job.status.value,
        "format": job.format,
        "mode": job.mode.value,
        "force": job.force,
        "counts": {
            "rows": counts.rows,
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "archived": counts.archived,
            "failed": counts.failed,
            # The same with their units in the name: rows are lines of the file (items of an XML
            # feed), products are what the rows make up.
            "rowsRead": counts.rows,
            "rowsFailed": counts.failed,
            "productsCreated": counts.created,
            "productsUpdated": counts.updated,
            "productsUnchanged": counts.unchanged,
            "productsArchived": counts.archived,
        },
        "progress": {
            "bytesRead": job.bytes_read,
            "bytesTotal": job.file_size,
            "percent": round(100 * job.bytes_read / job.file_size, 1) if job.file_size else 100.0,
        },
        "errorCount": job.error_count,
        "message": job.message,
        "createdAt": job.created_at.isoformat(),
        "startedAt": job.started_at.isoformat() if job.started_at else None,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "cancelRequestedAt": job.cancel_requested_at.isoformat() if job.cancel_requested_at else None,
    }
    if errors is not None:
        body["errors"] = [
            {
                "row": e.row,
                "externalId": e.external_id,
                "field": e.field,
                "code": str(e.code),
                "message": e.message,
            }
            for e in errors
        ]
    return body


class CatalogController(Controller):
    path = "/v1/catalog"
    dependencies = DEPENDENCIES

    # No framework body limit here: the body streams to disk under MAX_IMPORT_BYTES (see save_body).
    @post(
        "/imports",
        status_code=202,
        request_max_body_size=None,
        dependencies=documented_body(FeedFileUpload),
        operation_class=FeedFileOperation,
    )
    async def create_import(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        uow: RequestUnitOfWork,
        actor: Actor,
        format_: str | None = Parameter(query="format", default=None),
        mode: str = Parameter(query="mode", default="delta"),
        force: bool = Parameter(query="force", default=False),
        merchant: str | None = Parameter(query="merchant", default=None),
    ) -> Response[ImportBody]:
        """Upload a feed file (JSONL, Google Merchant TSV/XML, Shopify CSV) as the body; it is imported
        in the background. Follow it at the Location."""
        import_mode = _import_mode(mode, format_)
        target = await merchant_for(uow, actor, merchant)
        await uow.close()  # do not hold a connection while the body streams in
        path, size, detected = await _receive_feed(request, services.settings, format_)
        try:
            job = await start_import(
                uow, actor, ImportRequest(target.id, detected, import_mode, force, str(path), size)
            )
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        await enqueue_import(services, job.id)
        return Response(job_json(job), status_code=202, headers={"Location": f"/v1/catalog/imports/{job.id}"})

    @get("/imports")
    async def list_imports(
        self,
        uow: RequestUnitOfWork,
        actor: Actor,
        services: AppServices,
        merchant: str | None = None,
        first: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> ImportPageBody:
        """The merchant's imports, newest first: `{"imports": [...], "nextCursor"}` (pass it as `after`)."""
        target = await merchant_for(uow, actor, merchant)
        codec = CursorCodec(services.settings.secret_key)
        try:
            key = tuple(codec.decode("rest:imports", after)) if after else None
        except GraphQLError as exc:
            raise Problem(400, "Invalid cursor", exc.message, slug="invalid-cursor") from None
        page = await list_imports(uow, actor, target.id, PageRequest(first, key))
        return {
            "imports": [job_json(job) for job in page.items],
            "nextCursor": codec.encode("rest:imports", list(page.keys[-1])) if page.has_next else None,
        }

    @post("/imports/{import_id:int}/cancel", status_code=200)
    async def cancel(self, uow: RequestUnitOfWork, actor: Actor, import_id: int) -> ImportBody:
        """Cancel a queued import, or stop a running one after the batch it is writing (status stays
        `running` until then). A finished import answers 409."""
        if not 0 < import_id <= INT64_MAX:
            raise Problem(404, "Import not found", f"No import {import_id} of yours.")
        try:
            job = await cancel_import(uow, actor, import_id)
        except DomainError as exc:
            first = exc.errors[0]
            if first.code is ErrorCode.NOT_FOUND:
                raise Problem(404, "Import not found", first.message) from None
            raise Problem(409, "Import already ended", first.message, slug="import-finished") from None
        return job_json(job)

    @get("/imports/{import_id:int}")
    async def get_import(self, uow: RequestUnitOfWork, actor: Actor, import_id: int) -> ImportBody:
        """An import's status, counts, progress and errors."""
        job = await visible_import(uow, actor, import_id) if 0 < import_id <= INT64_MAX else None
        if job is None:
            raise Problem(404, "Import not found", f"No import {import_id} of yours.")
        return job_json(job, await uow.imports.errors_of(job.id))

    @post(
        "/inventory",
        status_code=200,
        dependencies=documented_body(InventoryRequestBody),
        responses={200: ResponseSpec(ItemResultsBody, description="One result per item, in order.")},
    )
    async def update_inventory(
        self,
        request: Request[Any, Any, Any],
        uow: RequestUnitOfWork,
        actor: Actor,
        services: AppServices,
        merchant: str | None = None,
    ) -> Response[Any]:
        """Body `{"items": [{"sku", "quantity" | "delta", "expectedQuantity"?}]}` (at most 1,000 items):
        set or adjust stock, each item answered in its place. Honours `Idempotency-Key`."""
        now = services.clock()

        async def apply(uow: UnitOfWork, target: Merchant, changes: list[Any]) -> list[stock.ItemResult]:
            return await stock.apply_inventory(uow, target, changes, now)

        return await _fast_update(request, uow, actor, merchant, "inventory", stock.parse_inventory, apply)

    @post(
        "/prices",
        status_code=200,
        dependencies=documented_body(PriceRequestBody),
        responses={200: ResponseSpec(ItemResultsBody, description="One result per item, in order.")},
    )
    async def update_prices(
        self,
        request: Request[Any, Any, Any],
        uow: RequestUnitOfWork,
        actor: Actor,
        merchant: str | None = None,
    ) -> Response[Any]:
        """Body `{"items": [{"sku", "price": {amount, currencyCode}, "compareAtPrice"?: {...} | null}]}`:
        prices in the merchant's currency, each item answered in its place. Honours `Idempotency-Key`."""
        return await _fast_update(
            request, uow, actor, merchant, "prices", stock.parse_prices, stock.apply_prices
        )


def _import_mode(mode: str, format_: str | None) -> ImportMode:
    """The query parameters, checked before a byte of the body is read."""
    try:
        import_mode = ImportMode(mode)
    except ValueError:
        raise Problem(400, "Invalid mode", "`mode` is `full` or `delta`.", slug="invalid-mode") from None
    if format_ is not None and format_ not in {f.value for f in FeedFormat}:
        known = ", ".join(f.value for f in FeedFormat)
        raise Problem(400, "Invalid format", f"`format` is one of {known}.", slug="invalid-format")
    return import_mode


async def _receive_feed(
    request: Request[Any, Any, Any], settings: Settings, format_: str | None
) -> tuple[Path, int, str]:
    """The body saved to the import directory, its size, and its format (detected when not given)."""
    path, size = await save_body(
        request.stream(),
        request.headers.get("content-type", "application/octet-stream"),
        settings.import_dir,
        settings.max_import_bytes,
        content_encoding=request.headers.get("content-encoding"),
        content_length=_content_length(request),
    )
    if format_ is not None:
        return path, size, format_
    try:
        return path, size, detect_format(await asyncio.to_thread(_read_head, path)).value
    except FeedError as exc:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise Problem(415, "Unrecognised feed format", str(exc), slug="unrecognised-format") from None


async def _fast_update(
    request: Request[Any, Any, Any],
    uow: RequestUnitOfWork,
    actor: Actor,
    merchant: str | None,
    endpoint: str,
    parse: Callable[[Any], tuple[list[Any], list[FieldError]]],
    apply_changes: Callable[[UnitOfWork, Merchant, list[Any]], Awaitable[list[stock.ItemResult]]],
) -> Response[Any]:
    """A body that is not a list of items is refused whole (422); otherwise each item is answered in
    its place (`invalid` ones with their field and reason) and the others applied, at most once per
    Idempotency-Key."""
    body = await _json_body(request)
    changes, errors = parse(body)
    if refused := stock.body_errors(errors):
        raise DomainError(*refused)
    target = await merchant_for(uow, actor, merchant)

    async def apply() -> tuple[int, Any]:
        applied = await apply_changes(uow, target, changes) if changes else []
        return 200, {"results": [r.to_json() for r in stock.answer_items(body, errors, applied)]}

    key = request.headers.get("idempotency-key")
    status, response, replayed = await run_once(uow, target.id, endpoint, key, body, apply)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(response, status_code=status, headers=headers)


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as stream:
        return stream.read(HEAD_BYTES)


MAX_JSON_BYTES = 4 * 1024 * 1024


def _content_length(request: Request[Any, Any, Any]) -> int | None:
    text = request.headers.get("content-length")
    if text is None:
        return None
    if not text.strip().isdigit():
        raise Problem(400, "Bad Content-Length", "Content-Length is not a whole number.")
    return int(text)


async def _json_body(request: Request[Any, Any, Any]) -> Any:
    """The JSON body, read as it streams and refused (413) past MAX_JSON_BYTES, whether or not a
    Content-Length announced it."""
    too_large = Problem(
        413, "Request too large", f"Bodies are limited to {MAX_JSON_BYTES} bytes.", slug="too-large"
    )
    length = _content_length(request)
    if length is not None and length > MAX_JSON_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise too_large
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise Problem(
            400, "Malformed JSON", "The request body is not valid JSON.", slug="malformed-json"
        ) from None
