"""The `shoppable` operator command."""

from __future__ import annotations

import asyncio
import getpass

import typer
from rich.console import Console

from shoppable.cli_catalog import catalog_app
from shoppable.cli_recs import recs_app
from shoppable.cli_search import search_app
from shoppable.settings import get_settings

app = typer.Typer(help="Shoppable operator commands.", no_args_is_help=True)
admin_app = typer.Typer(help="Administrators.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(catalog_app, name="catalog")
app.add_typer(recs_app, name="recs")
app.add_typer(search_app, name="search")
console = Console()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from shoppable.storage.migrate import upgrade

    upgrade(get_settings().database_url)
    console.print("[green]Database is up to date.[/green]")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    no_migrate: bool = typer.Option(False, "--no-migrate", help="Skip migrations at start-up."),
) -> None:
    """Run the HTTP app (GraphQL at /graphql, REST under /v1)."""
    import uvicorn

    settings = get_settings()
    settings.check_production_safety()
    if not no_migrate:
        migrate()
    uvicorn.run("shoppable.api.main:app", host=host, port=port, workers=workers, log_level="info")


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
