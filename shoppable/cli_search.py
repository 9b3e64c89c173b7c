"""`shoppable search ...`: rebuild the product search index."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.console import Console

from shoppable.domain.search.upkeep import refresh_popularity, reindex
from shoppable.services import build_services
from shoppable.settings import get_settings

search_app = typer.Typer(help="Product search.", no_args_is_help=True)
console = Console()


@search_app.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index (and its typo vocabulary) from the catalog, then popularity.

    Writes keep the index in step on their own; run this after changing the analysis (stemming,
    exchange rates) or to repair an index. Searches see the old index until it is done.
    """

    async def run() -> tuple[int, int, float]:
        services = build_services(get_settings())
        try:
            started = time.perf_counter()
            with console.status("Indexing products…") as status:
                async with services.database.unit_of_work(write=True) as uow:
                    count = await reindex(uow, lambda n: status.update(f"Indexed {n:,} products…"))
                async with services.database.unit_of_work(write=True) as uow:
                    popular = await refresh_popularity(uow, services.clock())
            return count, popular, time.perf_counter() - started
        finally:
            await services.close()

    count, popular, seconds = asyncio.run(run())
    rate = count / seconds if seconds else 0.0
    console.print(
        f"[green]Indexed {count:,} products in {seconds:.1f} s ({rate:,.0f}/s); {popular:,} have popularity.[/green]"
    )
