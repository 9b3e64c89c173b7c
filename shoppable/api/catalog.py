"""REST for merchants' systems: catalog imports and fast stock/price updates (API key or owner token)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from shoppable.api.dependencies import DEPENDENCIES, AppServices, RequestUnitOfWork
from shoppable.api.problems import Problem
from shoppable.api.uploads import save_body
from shoppable.domain.catalog import stock
from shoppable.domain.catalog.formats import FeedError, FeedFormat, detect_format
from shoppable.domain.catalog.formats.detect import HEAD_BYTES
from shoppable.domain.catalog.importing import ImportJob, ImportMode
from shoppable.domain.errors import DomainError, FieldError
from shoppable.domain.idempotency import KeyReused, run_once
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.graphql.core.ids import encode_id
from shoppable.jobs.catalog_import import job_key


def field_problems(errors: list[FieldError], status: int = 422, title: str = "Invalid request") -> Problem:
    return Problem(
        status,
        title,
        "; ".join(e.message for e in errors[:3]),
        slug="invalid-request",
        errors=[
            {"field": [str(p) for p in e.field], "code": e.code.value, "message": e.message} for e in errors
        ],
    )


async def merchant_of(uow: RequestUnitOfWork, actor: Actor, handle: str | None) -> Merchant:
    """The merchant a call acts for: the API key's, or the named one (or only one) the user manages."""
    identity = uow.identity
    if handle:
        merchant = await identity.get_merchant_by_handle(handle.strip().lower())
        if merchant is None or not policy.can_manage_catalog(actor, merchant.id):
            raise Problem(404, "Merchant not found", "No merchant with that handle is yours to manage.")
        return merchant
    if len(actor.merchant_ids) != 1:
        raise Problem(
            400, "Merchant required", "Name the merchant with `?merchant=<handle>`.", slug="merchant-required"
        )
    merchant = await identity.get_merchant(next(iter(actor.merchant_ids)))
    assert merchant is not None  # memberships and keys reference existing merchants
    return merchant


def job_json(job: ImportJob, errors: list[Any] | None = None) -> dict[str, Any]:
    counts = job.counts
    body: dict[str, Any] = {
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

    @post("/imports", status_code=202)
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
    ) -> Response[dict[str, Any]]:
        try:
            import_mode = ImportMode(mode)
        except ValueError:
            raise Problem(400, "Invalid mode", "`mode` is `full` or `delta`.", slug="invalid-mode") from None
        if format_ is not None and format_ not in {f.value for f in FeedFormat}:
            known = ", ".join(f.value for f in FeedFormat)
            raise Problem(400, "Invalid format", f"`format` is one of {known}.", slug="invalid-format")
        target = await merchant_of(uow, actor, merchant)
        await uow.close()  # do not hold a connection while the body streams in
        path, size = await save_body(
            request.stream(),
            request.headers.get("content-type", "application/octet-stream"),
            services.settings.import_dir,
            services.settings.max_import_bytes,
        )
        try:
            if format_ is None:
                head = await asyncio.to_thread(_read_head, path)
                format_ = detect_format(head).value
        except FeedError as exc:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise Problem(415, "Unrecognised feed format", str(exc), slug="unrecognised-format") from None
        await uow.begin_write()
        job = await uow.imports.create(target.id, format_, import_mode, force, str(path), size)
        await uow.commit()
        await services.jobs.enqueue("catalog_import", job_key=job_key(job.id), import_id=job.id)
        return Response(job_json(job), status_code=202, headers={"Location": f"/v1/catalog/imports/{job.id}"})

    @get("/imports/{import_id:int}")
    async def get_import(self, uow: RequestUnitOfWork, actor: Actor, import_id: int) -> dict[str, Any]:
        jobs = uow.imports
        job = await jobs.get(import_id)
        if job is None or not policy.can_manage_catalog(actor, job.merchant_id):
            raise Problem(404, "Import not found", f"No import {import_id} of yours.")
        return job_json(job, await jobs.errors_of(job.id))

    @post("/inventory", status_code=200)
    async def update_inventory(
        self,
        request: Request[Any, Any, Any],
        uow: RequestUnitOfWork,
        actor: Actor,
        merchant: str | None = None,
    ) -> Response[Any]:
        return await _fast_update(
            request, uow, actor, merchant, "inventory", stock.parse_inventory, stock.apply_inventory
        )

    @post("/prices", status_code=200)
    async def update_prices(
        self,
        request: Request[Any, Any, Any],
        uow: RequestUnitOfWork,
        actor: Actor,
        merchant: str | None = None,
    ) -> Response[Any]:
        return await _fast_update(
            request, uow, actor, merchant, "prices", stock.parse_prices, stock.apply_prices
        )


async def _fast_update(
    request: Request[Any, Any, Any],
    uow: RequestUnitOfWork,
    actor: Actor,
    merchant: str | None,
    endpoint: str,
    parse: Callable[[Any], tuple[list[Any], list[FieldError]]],
    apply_changes: Callable[..., Awaitable[list[stock.ItemResult]]],
) -> Response[Any]:
    """Validate the whole body first (422 with every problem), then apply it at most once per Idempotency-Key."""
    body = await _json_body(request)
    changes, errors = parse(body)
    if errors:
        raise field_problems(errors)
    target = await merchant_of(uow, actor, merchant)

    async def apply() -> tuple[int, Any]:
        results = await apply_changes(uow, uow.catalog, target, changes)
        return 200, {"results": [r.to_json() for r in results]}

    return await _idempotent(request, uow, target, endpoint, body, apply)


def _read_head(path: Any) -> bytes:
    with open(path, "rb") as stream:
        return stream.read(HEAD_BYTES)


MAX_JSON_BYTES = 4 * 1024 * 1024


async def _json_body(request: Request[Any, Any, Any]) -> Any:
    if int(request.headers.get("content-length") or 0) > MAX_JSON_BYTES:
        raise Problem(413, "Request too large", f"Bodies are limited to {MAX_JSON_BYTES} bytes.")
    try:
        return await request.json()
    except Exception:
        raise Problem(
            400, "Malformed JSON", "The request body is not valid JSON.", slug="malformed-json"
        ) from None


async def _idempotent(
    request: Request[Any, Any, Any],
    uow: RequestUnitOfWork,
    merchant: Merchant,
    endpoint: str,
    body: Any,
    apply: Any,
) -> Response[Any]:
    key = request.headers.get("idempotency-key")
    try:
        status, response, replayed = await run_once(
            uow, uow.idempotency, merchant.id, endpoint, key, body, apply
        )
    except KeyReused as exc:
        raise field_problems(exc.errors, 422, "Idempotency-Key reused") from None
    except DomainError as exc:
        raise field_problems(exc.errors, 400) from None
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(response, status_code=status, headers=headers)
