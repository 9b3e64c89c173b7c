"""The `shoppable` operator command."""

from __future__ import annotations

import asyncio
import getpass
import os

import typer
from rich.console import Console

from shoppable.cli_catalog import catalog_app
from shoppable.cli_experiments import experiments_app
from shoppable.cli_recs import recs_app
from shoppable.cli_search import search_app
from shoppable.cli_vision import vision_app
from shoppable.settings import get_settings

app = typer.Typer(help="Shoppable operator commands.", no_args_is_help=True)
admin_app = typer.Typer(help="Administrators.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(catalog_app, name="catalog")
app.add_typer(recs_app, name="recs")
webhooks_app = typer.Typer(help="Merchant webhooks.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(vision_app, name="vision")
app.add_typer(experiments_app, name="experiments")
app.add_typer(search_app, name="search")
console = Console()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from shoppable.storage.migrate import upgrade

    upgrade(get_settings().database_url)
    console.print("[green]Database is up to date.[/green]")


def default_workers() -> int:
    """One worker process per CPU this process may run on: Python runs one request's code at a time
    per process, so a single process leaves every other core idle under load."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(
        0, help="Worker processes; 0 (the default) starts one per CPU core (see `default_workers`)."
    ),
    no_migrate: bool = typer.Option(False, "--no-migrate", help="Skip migrations at start-up."),
) -> None:
    """Run the HTTP app (GraphQL at /graphql, REST under /v1)."""
    import uvicorn

    settings = get_settings()
    settings.check_production_safety()
    if not no_migrate:
        migrate()
    uvicorn.run(
        "shoppable.api.main:app",
        host=host,
        port=port,
        workers=workers if workers > 0 else default_workers(),
        log_level="info",
    )


@app.command()
def seed() -> None:
    """Load demo data (idempotent): merchants imported from examples/, creators, posts, shoppers, events."""
    from shoppable.demo.seed import seed_all

    settings = get_settings()
    for line in asyncio.run(seed_all(settings)):
        console.print(line)


@app.command()
def worker() -> None:
    """Run background jobs from Redis (SAQ); needs REDIS_URL. Start as many as you need."""
    from shoppable.jobs.worker import run_worker

    settings = get_settings()
    if not settings.redis_url:
        console.print("[red]Set REDIS_URL: without it, jobs run inside the web process.[/red]")
        raise typer.Exit(2)
    run_worker(settings)


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL); `shoppable schema > schema.graphql` refreshes the checked-in copy."""
    from shoppable.graphql.schema import build_schema

    typer.echo(build_schema(get_settings()).as_str().strip())


@webhooks_app.command("deliver")
def webhooks_deliver(
    seconds: float = typer.Option(0, help="Keep delivering this long; 0 delivers until stopped."),
) -> None:
    """Deliver due webhooks (what the web process does by default, and SAQ workers with REDIS_URL)."""
    from shoppable.jobs.webhooks import WebhookDispatcher
    from shoppable.services import build_services

    async def run() -> None:
        services = build_services(get_settings())
        dispatcher = WebhookDispatcher(services)
        try:
            await dispatcher.run(seconds=seconds or None)
        finally:
            dispatcher.close()
            await services.close()

    asyncio.run(run())


@admin_app.command("create")
def admin_create(
    email: str,
    password: str = typer.Option(None, help="Prompted for when omitted.", show_default=False),
) -> None:
    """Create an admin account, or promote an existing one."""
    from shoppable.domain.errors import DomainError
    from shoppable.domain.identity.service import create_admin
    from shoppable.services import build_services

    secret = password or getpass.getpass("Password: ")

    async def run() -> None:
        services = build_services(get_settings())
        try:
            uow = services.database.unit_of_work(write=True)
            async with uow:
                user = await create_admin(uow, email, secret)
            console.print(f"[green]Admin {user.email} (id {user.id}) is ready.[/green]")
        finally:
            await services.close()

    try:
        asyncio.run(run())
    except DomainError as exc:
        for error in exc.errors:
            console.print(f"[red]{'.'.join(map(str, error.field))}: {error.message}[/red]")
        raise typer.Exit(1) from None


if __name__ == "__main__":
    app()
