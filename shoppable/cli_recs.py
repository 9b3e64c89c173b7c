"""`shoppable recs ...`: train the feed's ranker, evaluate models offline, make synthetic data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer
from rich.console import Console

from shoppable.settings import get_settings

recs_app = typer.Typer(help="Recommendations: training and offline evaluation.", no_args_is_help=True)
console = Console()


@recs_app.command("train")
def train() -> None:
    """Train the feed ranker on the events table now (also runs hourly in the background)."""
    from shoppable.jobs.recs_train import recs_train
    from shoppable.services import build_services

    async def run() -> dict | None:
        services = build_services(get_settings())
        try:
            return await recs_train(services)
        finally:
            await services.close()

    info = asyncio.run(run())
    if info is None:
        console.print("[yellow]No events from users with personalization on yet; nothing to train.[/yellow]")
        raise typer.Exit(1)
    console.print_json(json.dumps(info))


@recs_app.command("eval")
def evaluate(
    interactions: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="CSV: user_id,item_id,timestamp[,weight]"
    ),
    items: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="CSV: item_id[,creator_id,category,price,created_at]"
    ),
    test_days: float = typer.Option(14, help="The last N days are the test period."),
    k: int = typer.Option(10, min=1, max=1000),
    include_seen: bool = typer.Option(False, "--include-seen", help="Evaluate repeat interactions too."),
    validation: bool = typer.Option(
        False,
        "--validation",
        help="Leave the test period out and evaluate on the --test-days before it (for tuning).",
    ),
    models: str | None = typer.Option(
        None, help="Comma-separated, e.g. popularity,item_knn,als,feed (default: all)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the metrics as JSON here."),
) -> None:
    """Offline evaluation with a temporal split: Recall@k, NDCG@k, coverage@k and novelty per model."""
    from shoppable.domain.recs.evaluation import run_eval_file

    try:
        report = run_eval_file(
            interactions,
            items_csv=items,
            test_days=test_days,
            k=k,
            include_seen=include_seen,
            validation=validation,
            json_out=json_out,
            models=models.split(",") if models else None,
            on_progress=lambda message: console.print(f"[dim]{message}[/dim]"),
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(report.format_table())  # plain: rich would wrap the wide table


@recs_app.command("synth")
def synth(
    out: Path = typer.Option(Path("var/synthetic"), help="Directory for interactions.csv and items.csv."),
    users: int = 5_000,
    items: int = 3_000,
    interactions: int = 150_000,
    seed: int = 0,
) -> None:
    """Write a synthetic interactions dataset with real structure (for tests, CI and demos)."""
    from shoppable.domain.recs.synthetic import synthesize

    interactions_csv, items_csv = synthesize(
        out, users=users, items=items, interactions=interactions, seed=seed
    )
    console.print(f"wrote {interactions_csv} and {items_csv}")
