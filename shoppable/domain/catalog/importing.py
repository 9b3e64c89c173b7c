"""Catalog import jobs: apply a merchant's feed file product by product, report every bad row.

A job reads the parsed feed in batches. Each batch is planned against the stored catalog (create,
update, unchanged, or refused), written, and committed together with the job's progress, so a
product is applied whole or not at all and the counts a merchant sees always match the data.
Full mode then archives the merchant's products the file did not mention, unless that would
archive more than the allowed share of the catalog (a truncated file must not empty a shop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from shoppable.domain.catalog.drafts import HANDLE_RE, currency_errors
from shoppable.domain.catalog.formats import FeedError, FeedItem, ParsedProduct, RowError
from shoppable.domain.catalog.ports import CatalogRepository
from shoppable.domain.catalog.service import managed_merchant
from shoppable.domain.catalog.stock import hold_back
from shoppable.domain.catalog.sync import Outcome, plan_sync
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.webhooks import catalog_events

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MAX_STORED_ERRORS = 1000
BATCH_PRODUCTS = 1000
BATCH_SKUS = 8000


class ImportMode(StrEnum):
    FULL = "full"
    DELTA = "delta"


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {
            ImportStatus.SUCCEEDED,
            ImportStatus.COMPLETED_WITH_ERRORS,
            ImportStatus.FAILED,
            ImportStatus.CANCELLED,
        }


@dataclass
class ImportCounts:
    """`rows` are source rows read; created/updated/unchanged/archived count products; failed counts rows."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    failed: int = 0


@dataclass(frozen=True)
class ImportJob:
    id: int
    merchant_id: int
    format: str
    mode: ImportMode
    force: bool
    status: ImportStatus
    file_path: str
    file_size: int
    bytes_read: int
    counts: ImportCounts
    error_count: int
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None = None
    attempts: int = 0
    cancel_requested_at: datetime | None = None


@dataclass(frozen=True)
class ImportRequest:
    """A feed file, already stored, to apply to a merchant's catalog."""

    merchant_id: int
    format: str
    mode: ImportMode
    force: bool
    file_path: str
    file_size: int


class ImportJobRepository(Protocol):
    async def create(
        self, merchant_id: int, format_: str, mode: ImportMode, force: bool, file_path: str, file_size: int
    ) -> ImportJob: ...

    async def get(self, job_id: int) -> ImportJob | None: ...

    async def unfinished(self) -> list[ImportJob]: ...

    async def errors_of(self, job_id: int, limit: int = MAX_STORED_ERRORS) -> list[RowError]: ...

    async def claim(self, job_id: int) -> bool:
        """Take a queued job for running; False when another runner has it (or it is finished)."""
        ...

    async def save_progress(
        self,
        job_id: int,
        counts: ImportCounts,
        bytes_read: int,
        error_count: int,
        new_errors: Sequence[RowError],
    ) -> None: ...

    async def finish(
        self, job_id: int, status: ImportStatus, counts: ImportCounts, error_count: int, message: str | None
    ) -> None: ...

    async def list_for_merchant(self, merchant_id: int, page: PageRequest) -> Page[ImportJob]:
        """Newest first, keyed by id."""
        ...

    async def request_cancel(self, job_id: int, at: datetime) -> None:
        """Mark an unfinished job to stop: a queued one never starts, a running one stops after its batch."""
        ...

    async def cancel_requested(self, job_id: int) -> bool: ...

    async def restart(self, job_id: int) -> None:
        """Back to queued with fresh counts and errors: a resumed import re-reads its file from the start."""
        ...


async def start_import(uow: UnitOfWork, actor: Actor, request: ImportRequest) -> ImportJob:
    """Record a queued import job for a merchant the actor manages (NOT_FOUND otherwise).

    The same for every way in (REST upload, the CLI, demo seeding); the caller runs or enqueues it.
    """
    await uow.begin_write()
    merchant = await managed_merchant(uow, actor, request.merchant_id)
    job = await uow.imports.create(
        merchant.id, request.format, request.mode, request.force, request.file_path, request.file_size
    )
    await uow.commit()
    return job


async def visible_import(uow: UnitOfWork, actor: Actor, job_id: int) -> ImportJob | None:
    """An import job, for those who manage its merchant's catalog; None for everyone else."""
    job = await uow.imports.get(job_id)
    if job is None or not policy.can_manage_catalog(actor, job.merchant_id):
        return None
    return job


async def list_imports(uow: UnitOfWork, actor: Actor, merchant_id: int, page: PageRequest) -> Page[ImportJob]:
    """The merchant's imports, newest first; NOT_FOUND for callers who do not manage it."""
    merchant = await managed_merchant(uow, actor, merchant_id, ("merchant",))
    return await uow.imports.list_for_merchant(merchant.id, page)


CANCELLED_MESSAGE = "Cancelled on request; products of batches applied before it stay as they were written."


async def cancel_import(uow: UnitOfWork, actor: Actor, job_id: int) -> ImportJob:
    """Stop an import: a queued one is cancelled at once, a running one after the batch it is writing
    (each batch is applied whole). A finished one cannot be cancelled (CONFLICT)."""
    await uow.begin_write()
    job = await visible_import(uow, actor, job_id)
    if job is None:
        raise policy.refusal(actor, ("importId",), ErrorCode.NOT_FOUND, "No such import.")
    if job.status.finished:
        raise DomainError.single(
            ("importId",), ErrorCode.CONFLICT, f"The import already ended ({job.status.value})."
        )
    await uow.imports.request_cancel(job.id, datetime.now(UTC))
    if job.status is ImportStatus.QUEUED:
        await finish_import(
            uow, job.id, ImportStatus.CANCELLED, job.counts, job.error_count, CANCELLED_MESSAGE
        )
    await uow.commit()
    cancelled = await uow.imports.get(job.id)
    assert cancelled is not None
    return cancelled


class _CancelRequested(Exception):
    pass


@dataclass
class _Run:
    counts: ImportCounts = field(default_factory=ImportCounts)
    error_count: int = 0
    pending_errors: list[RowError] = field(default_factory=list)
    seen_ids: list[np.ndarray] = field(default_factory=list)

    def error(self, error: RowError, *, failed_rows: int = 1) -> None:
        self.counts.failed += failed_rows
        if self.error_count < MAX_STORED_ERRORS:
            self.pending_errors.append(error.storable())
        self.error_count += 1

    def keep(self, product_ids: Sequence[int]) -> None:
        """Products the file mentions: a full import does not archive them."""
        if product_ids:
            self.seen_ids.append(np.asarray(product_ids, dtype=np.int64))


def _next_batch(items: Iterator[FeedItem]) -> tuple[list[ParsedProduct], list[RowError], bool]:
    """Read up to a batch of products and the row errors met on the way; True when the feed ended."""
    batch: list[ParsedProduct] = []
    errors: list[RowError] = []
    skus = 0
    for item in items:
        if isinstance(item, RowError):
            errors.append(item)
            continue
        batch.append(item)
        skus += len(item.draft.skus)
        if len(batch) >= BATCH_PRODUCTS or skus >= BATCH_SKUS:
            return batch, errors, False
    return batch, errors, True


async def _apply_batch(
    uow: UnitOfWork, merchant: Merchant, batch: list[ParsedProduct], run: _Run, now: datetime
) -> None:
    catalog = uow.catalog
    in_currency = []
    for parsed in batch:
        if wrong := currency_errors(parsed.draft, merchant.currency):
            sku_index = int(wrong[0].field[1])
            line = parsed.lines[min(sku_index, len(parsed.lines) - 1)]
            run.counts.rows += len(parsed.lines)
            run.error(
                RowError(line, parsed.external_id, "price", wrong[0].code, wrong[0].message),
                failed_rows=len(parsed.lines),
            )
        else:
            in_currency.append(parsed)
    batch = in_currency
    drafts = [p.draft for p in batch]
    await catalog.lock_catalog(merchant.id)
    existing = await catalog.existing_products(merchant.id, [d.handle for d in drafts])
    owners = await catalog.sku_owners(merchant.id, [s.sku for d in drafts for s in d.skus])
    plan = plan_sync(drafts, existing, owners, merchant.low_stock_threshold)
    for problem in plan.errors:
        parsed = batch[int(problem.field[0])]
        sku_index = int(problem.field[2]) if len(problem.field) > 2 else 0
        line = parsed.lines[min(sku_index, len(parsed.lines) - 1)]
        run.error(RowError(line, parsed.external_id, "sku", problem.code, problem.message), failed_rows=0)
    stock_before = await catalog_events.stock_before_writes(uow, merchant.id, [w.draft for w in plan.writes])
    written = await catalog.write_products(merchant.id, plan.writes)
    await hold_back(catalog, merchant, written, now)
    ids = dict(zip((w.index for w in plan.writes), written, strict=True))
    await catalog_events.record_writes(
        uow,
        merchant,
        [(ids[w.index], w.draft, plan.outcomes[w.index].value) for w in plan.writes],
        stock_before,
    )
    seen: list[int] = []
    for index, (parsed, outcome) in enumerate(zip(batch, plan.outcomes, strict=True)):
        run.counts.rows += len(parsed.lines)
        if outcome is Outcome.FAILED:  # applied whole or not at all: every row of it failed
            run.counts.failed += len(parsed.lines)
            if current := existing.get(parsed.draft.handle):
                seen.append(current.id)  # in the file, so not archived: it stays as it was
            continue
        if outcome is Outcome.CREATED:
            run.counts.created += 1
        elif outcome is Outcome.UPDATED:
            run.counts.updated += 1
        else:
            run.counts.unchanged += 1
        seen.append(ids.get(index) or existing[parsed.draft.handle].id)
    run.keep(seen)


async def _keep_failed(
    catalog: CatalogRepository, merchant: Merchant, errors: Sequence[RowError], run: _Run
) -> None:
    """Products whose rows failed are still in the file: a full import leaves them as they are."""
    handles = sorted({e.handle for e in errors if e.handle and HANDLE_RE.match(e.handle)})
    if handles:
        existing = await catalog.existing_products(merchant.id, handles)
        run.keep([product.id for product in existing.values()])


async def _archive_missing(
    uow: UnitOfWork,
    merchant: Merchant,
    job: ImportJob,
    run: _Run,
    max_share: float,
) -> str | None:
    """Archive live products absent from the file; returns a refusal message instead when unsafe."""
    seen = np.unique(np.concatenate(run.seen_ids)) if run.seen_ids else np.empty(0, dtype=np.int64)
    missing: list[np.ndarray] = []
    live = 0
    after = 0
    while True:
        chunk = await uow.catalog.live_product_id_chunks(merchant.id, after, 10_000)
        if not chunk:
            break
        ids = np.asarray(chunk, dtype=np.int64)
        live += len(ids)
        missing.append(ids[~np.isin(ids, seen, assume_unique=True)])
        after = chunk[-1]
    to_archive = np.concatenate(missing) if missing else np.empty(0, dtype=np.int64)
    if not len(to_archive):
        return None
    share = len(to_archive) / live
    if share > max_share and not job.force:
        return (
            f"Full import would archive {len(to_archive)} of {live} live products ({share:.0%}), more than the "
            f"allowed {max_share:.0%}; nothing was archived. If the file really is the whole catalog, "
            "import it again with force=true."
        )
    for start in range(0, len(to_archive), 1000):
        chunk = to_archive[start : start + 1000].tolist()
        await uow.catalog.archive(chunk)
        await catalog_events.record_products_changed(uow, merchant.id, [(pid, "archived") for pid in chunk])
    run.counts.archived = len(to_archive)
    await uow.commit()
    return None


async def claim(uow: UnitOfWork, job: ImportJob) -> bool:
    """Take a queued job for running. False when another runner has it: a job may be queued twice
    (after a restart, or by two processes), and must still run once."""
    await uow.begin_write()
    claimed = await uow.imports.claim(job.id)
    await uow.commit()
    return claimed


async def run_import(
    uow: UnitOfWork,
    merchant: Merchant,
    job: ImportJob,
    items: Iterator[FeedItem],
    *,
    position: Callable[[], int],
    max_archive_share: float,
    clock: Callable[[], datetime],
    on_progress: Callable[[ImportJob], Awaitable[None] | None] | None = None,
) -> ImportJob:
    """Apply a parsed feed to the merchant's catalog and keep the job's record up to date (job claimed first)."""
    await uow.begin_write()
    jobs = uow.imports
    run = _Run()
    message: str | None = None
    status = ImportStatus.SUCCEEDED
    try:
        done = False
        while not done:
            # Parsing is CPU work on a file: do it off the event loop so the web process stays responsive.
            # (Reading the next batch while writing this one was measured slower: the threads contend.)
            batch, row_errors, done = await asyncio.to_thread(_next_batch, items)
            counted: set[int] = set()
            for error in row_errors:  # a line may have several problems: it is one failed row
                first_for_line = error.row not in counted
                counted.add(error.row)
                run.counts.rows += first_for_line
                run.error(error, failed_rows=int(first_for_line))
            if job.mode is ImportMode.FULL:
                await _keep_failed(uow.catalog, merchant, row_errors, run)
            if batch:
                await _apply_batch(uow, merchant, batch, run, clock())
            await jobs.save_progress(job.id, run.counts, position(), run.error_count, run.pending_errors)
            run.pending_errors = []
            await uow.commit()
            if on_progress is not None:  # may be a coroutine (an SAQ worker's heartbeat)
                reported = on_progress(
                    replace(job, counts=run.counts, bytes_read=position(), error_count=run.error_count)
                )
                if reported is not None:
                    await reported
            if not done and await jobs.cancel_requested(job.id):
                raise _CancelRequested
        if job.mode is ImportMode.FULL:
            message = await _archive_missing(uow, merchant, job, run, max_archive_share)
            if message is not None:  # not a row of the file, so no failed rows
                run.error(RowError(0, None, "mode", ErrorCode.LIMIT_EXCEEDED, message), failed_rows=0)
    except FeedError as exc:
        await uow.rollback()
        status = ImportStatus.FAILED
        message = f"{exc} Products read before this point were applied; nothing was archived."
    except _CancelRequested:
        status = ImportStatus.CANCELLED
        message = CANCELLED_MESSAGE
    if status is ImportStatus.SUCCEEDED and run.error_count:
        status = ImportStatus.COMPLETED_WITH_ERRORS
    await jobs.save_progress(job.id, run.counts, position(), run.error_count, run.pending_errors)
    finished = await finish_import(uow, job.id, status, run.counts, run.error_count, message)
    await uow.commit()
    return finished


async def finish_import(
    uow: UnitOfWork,
    job_id: int,
    status: ImportStatus,
    counts: ImportCounts,
    error_count: int,
    message: str | None,
) -> ImportJob:
    """Every way an import ends, with its CATALOG_IMPORT_FINISHED event in the same transaction; the
    caller commits."""
    await uow.imports.finish(job_id, status, counts, error_count, message)
    finished = await uow.imports.get(job_id)
    assert finished is not None
    await catalog_events.record_import_finished(uow, finished)
    return finished
