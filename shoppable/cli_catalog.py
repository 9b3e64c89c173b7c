"""`shoppable catalog ...`: run a catalog import locally with a live progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from shoppable.domain.catalog.formats import FeedError, FeedFormat, RowError, detect_format
from shoppable.domain.catalog.formats.detect import HEAD_BYTES
from shoppable.domain.catalog.importing import (
    ImportJob,
    ImportMode,
    ImportRequest,
    ImportStatus,
    start_import,
)
from shoppable.domain.identity.actor import OPERATOR
from shoppable.jobs.catalog_import import catalog_import
from shoppable.services import Services, build_services
from shoppable.settings import get_settings

catalog_app = typer.Typer(help="Merchant catalogs.", no_args_is_help=True)
console = Console()

EXIT_CODES = {
    ImportStatus.FAILED: 1,
    ImportStatus.COMPLETED_WITH_ERRORS: 3,
    ImportStatus.CANCELLED: 4,
}
"""How scripts tell outcomes apart; 0 is success, 2 bad usage."""


@catalog_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The feed file."),
    merchant: str = typer.Option(..., "--merchant", help="Handle of the merchant to import into."),
    format_: FeedFormat | None = typer.Option(
        None, "--format", help="Detected from the content when omitted."
    ),
    mode: ImportMode = typer.Option(
        ImportMode.DELTA, "--mode", help="full also archives products not in the file."
    ),
    force: bool = typer.Option(
        False, "--force", help="Allow full mode to archive more than the safety share."
    ),
) -> None:
    """Import a feed file (JSONL, Google Merchant TSV/XML, Shopify CSV) with the same job the API runs.

    Exit status: 0 succeeded, 1 failed, 2 bad usage (unknown merchant, unrecognised file),
    3 completed with errors (some rows refused), 4 cancelled."""
    if format_ is None:
        try:
            with file.open("rb") as stream:
                format_ = detect_format(stream.read(HEAD_BYTES))
        except FeedError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
    job, errors = asyncio.run(_run(file.resolve(), file.stat().st_size, merchant, format_, mode, force))
    _report(job, errors)
    if job.status in EXIT_CODES:
        raise typer.Exit(EXIT_CODES[job.status])


async def _run(
    file: Path, size: int, handle: str, format_: FeedFormat, mode: ImportMode, force: bool
) -> tuple[ImportJob, list[RowError]]:
    """Start the import as the operator and run it here (not on the queue); returns it with its first errors."""
    services = build_services(get_settings())
    try:
        uow = services.database.unit_of_work(write=True)
        async with uow:
            merchant = await uow.identity.get_merchant_by_handle(handle.strip().lower())
            if merchant is None:
                console.print(f"[red]No merchant with handle {handle!r}.[/red]")
                raise typer.Exit(2)
            request = ImportRequest(merchant.id, format_.value, mode, force, str(file), size)
            job = await start_import(uow, OPERATOR, request)
        finished = await _run_with_progress(services, job, f"{file.name} → {merchant.handle}")
        return finished, await _first_errors(services, finished)
    finally:
        await services.close()


async def _run_with_progress(services: Services, job: ImportJob, title: str) -> ImportJob:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(title, total=job.file_size, counts="")

        def show(current: ImportJob) -> None:
            c = current.counts
            summary = f"{c.created} new · {c.updated} updated · {c.unchanged} same · {c.failed} failed"
            progress.update(task, completed=current.bytes_read, counts=summary)

        finished = await catalog_import(services, import_id=job.id, on_progress=show)
        progress.update(task, completed=job.file_size)
    assert finished is not None
    return finished


async def _first_errors(services: Services, job: ImportJob) -> list[RowError]:
    if not job.error_count:
        return []
    uow = services.database.unit_of_work()
    async with uow:
        return await uow.imports.errors_of(job.id, 20)


def _report(job: ImportJob, errors: list[RowError]) -> None:
    colour = {"succeeded": "green", "completed_with_errors": "yellow", "failed": "red"}.get(
        job.status.value, "white"
    )
    counts = Table(title=f"Import {job.id}: [{colour}]{job.status.value}[/{colour}]")
    for name in ("rows", "created", "updated", "unchanged", "archived", "failed"):
        counts.add_column(name, justify="right")
    c = job.counts
    counts.add_row(*(str(v) for v in (c.rows, c.created, c.updated, c.unchanged, c.archived, c.failed)))
    console.print(counts)
    if job.message:
        console.print(f"[{colour}]{job.message}[/{colour}]")
    if job.error_count:
        table = Table(title=f"First errors ({len(errors)} of {job.error_count})")
        for name in ("row", "id", "field", "code", "message"):
            table.add_column(name)
        for e in errors:
            table.add_row(str(e.row), e.external_id or "", e.field, str(e.code), e.message)
        console.print(table)
