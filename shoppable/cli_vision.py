"""`shoppable vision ...`: build the visual search index, and measure it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from shoppable.settings import get_settings

vision_app = typer.Typer(
    help="Visual search: the catalog image index and its evaluation.", no_args_is_help=True
)
console = Console()


@vision_app.command("index")
def index(
    refetch: bool = typer.Option(
        False, help="Try again images that failed for good (a merchant fixed a URL)."
    ),
    fetch: bool = typer.Option(True, help="Fetch and embed pending images first (needs the network)."),
) -> None:
    """Link products to their images, fetch and embed what is pending, and rebuild the index from every
    stored embedding (written to MODEL_DIR/vision/index.usearch)."""
    from shoppable.domain.vision.ingest import fetch_due_images, link_products
    from shoppable.services import build_services

    async def run() -> dict[str, Any]:
        services = build_services(get_settings())
        try:
            uow = services.database.unit_of_work(write=True)
            async with uow:
                if refetch:
                    await uow.begin_write()
                    await uow.vision.reset_images(None, services.clock())
                    await uow.commit()
                linked = await link_products(uow, services.clock())
                report = await fetch_due_images(uow, services) if fetch else None
                size = await services.visual_index.rebuild(uow.vision)
                counts = await uow.vision.image_status_counts()
            await services.visual_index.persist()
            return {
                "linked_products": linked,
                "fetched": report.fetched if report else 0,
                "failed": report.failed if report else 0,
                "retry_later": report.retried if report else 0,
                "errors": report.errors if report else [],
                "index_size": size,
                "images_by_status": counts,
                "index_file": str(services.visual_index.path),
            }
        finally:
            await services.close()

    console.print_json(json.dumps(asyncio.run(run())))


@vision_app.command("eval")
def evaluate(
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures to this file."),
    limit: int | None = typer.Option(None, help="At most this many catalog images (all by default)."),
    seed: int = typer.Option(7, help="Seed of the random alterations."),
) -> None:
    """Recall@1/@10 of finding a product from altered photos of its own images, query latency (embedding
    plus search) and the index build rate, on the catalog in DATABASE_URL."""
    from shoppable.services import build_services
    from shoppable.storage.vision.evaluation import evaluate as run_eval

    async def run() -> dict[str, Any]:
        services = build_services(get_settings())
        try:
            return (await run_eval(services, limit=limit, seed=seed)).as_dict()
        finally:
            await services.close()

    figures = asyncio.run(run())
    if not figures["queries"]:
        console.print(
            "[yellow]No indexed images of visible products: run `shoppable vision index` first.[/yellow]"
        )
        raise typer.Exit(1)
    table = Table(title=f"Visual search on {figures['images']} catalog images, {figures['queries']} queries")
    table.add_column("alteration")
    table.add_column("queries", justify="right")
    table.add_column("Recall@1", justify="right")
    table.add_column("Recall@10", justify="right")
    for name, row in figures["by_augmentation"].items():
        table.add_row(name, str(row["queries"]), f"{row['recall@1']:.3f}", f"{row['recall@10']:.3f}")
    table.add_row("all", str(figures["queries"]), f"{figures['recall@1']:.3f}", f"{figures['recall@10']:.3f}")
    console.print(table)
    console.print(
        f"query latency (embedding + search): p50 {figures['latency_ms']['p50']} ms, "
        f"p95 {figures['latency_ms']['p95']} ms; index build: "
        f"{figures['index_build_images_per_second']} images/s (embedding {figures['embed_images_per_second']} images/s)"
    )
    if json_out is not None:
        json_out.write_text(json.dumps(figures, indent=2) + "\n")
