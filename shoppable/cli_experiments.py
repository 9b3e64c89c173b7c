"""`shoppable experiments ...`: define, start, stop and read online experiments on the feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from shoppable.settings import get_settings

experiments_app = typer.Typer(help="Online experiments (A/B tests) on the feed.", no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _run(action: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run `action(uow, services)` against the configured database as the operator; domain errors exit 1."""
    from shoppable.domain.errors import DomainError
    from shoppable.services import build_services

    async def run() -> T:
        services = build_services(get_settings())
        try:
            uow = services.database.unit_of_work()
            async with uow:
                return await action(uow, services)
        finally:
            await services.close()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        for error in exc.errors:
            console.print(f"[red]{'.'.join(map(str, error.field)) or 'error'}: {error.message}[/red]")
        raise typer.Exit(1) from None


@experiments_app.command("list")
def list_() -> None:
    """Every experiment, newest first."""
    from shoppable.domain.experiments.service import list_experiments
    from shoppable.domain.identity.actor import OPERATOR

    found = _run(lambda uow, _: list_experiments(uow, OPERATOR, limit=1000))
    table = Table("key", "kind", "status", "variants", "started", "stopped")
    for e in found:
        variants = ", ".join(f"{v.key}:{v.weight}" for v in e.variants)
        table.add_row(
            e.key, e.kind.value, e.status.value, variants, str(e.started_at or "-"), str(e.stopped_at or "-")
        )
    console.print(table)


@experiments_app.command("create")
def create(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The experiment as JSON."),
) -> None:
    """Create a DRAFT from a JSON file: {"key", "description", "kind": "AB", "surface": "feed",
    "variants": [{"key", "weight", "config": {...}}], "metrics": [...], "windowDays": 7}."""
    from shoppable.domain.experiments.model import ExperimentKind, NewExperiment, Variant
    from shoppable.domain.experiments.service import create_experiment
    from shoppable.domain.identity.actor import OPERATOR

    try:
        raw = json.loads(file.read_text())
        new = NewExperiment(
            key=str(raw["key"]),
            description=str(raw.get("description", "")),
            kind=ExperimentKind(raw.get("kind", "AB")),
            surface=str(raw.get("surface", "feed")),
            variants=tuple(
                Variant(str(v["key"]), int(v["weight"]), dict(v.get("config", {}))) for v in raw["variants"]
            ),
            metrics=tuple(raw.get("metrics", ())),
            window_days=int(raw.get("windowDays", 7)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        console.print(f"[red]{file}: not an experiment definition ({exc!s})[/red]")
        raise typer.Exit(2) from None
    created = _run(lambda uow, services: create_experiment(uow, OPERATOR, new, services.clock()))
    console.print(
        f"[green]Created {created.key} (DRAFT). Start it with `shoppable experiments start {created.key}`.[/green]"
    )


@experiments_app.command("start")
def start(key: str) -> None:
    """Start a draft: viewers are assigned and exposures logged from now on."""
    from shoppable.domain.experiments.service import start_experiment
    from shoppable.domain.identity.actor import OPERATOR

    started = _run(lambda uow, services: start_experiment(uow, OPERATOR, key, services.clock()))
    console.print(f"[green]{started.key} is RUNNING.[/green]")


@experiments_app.command("stop")
def stop(key: str) -> None:
    """Stop a running experiment: its viewers get the default feed from their next page."""
    from shoppable.domain.experiments.service import stop_experiment
    from shoppable.domain.identity.actor import OPERATOR

    stopped = _run(lambda uow, services: stop_experiment(uow, OPERATOR, key, services.clock()))
    console.print(f"[green]{stopped.key} is STOPPED.[/green]")


@experiments_app.command("report")
def report(
    key: str,
    json_out: Path | None = typer.Option(None, "--json", help="Also write the results as JSON here."),
) -> None:
    """Per variant: users, exposures, each metric's mean and lift with its 95% interval and p-values, the
    SRM check, and a lift chart."""
    from shoppable.domain.experiments import report as rendering
    from shoppable.domain.experiments.service import experiment_results, get_experiment
    from shoppable.domain.identity.actor import OPERATOR

    async def read(uow: Any, services: Any) -> tuple[Any, Any]:
        experiment = await get_experiment(uow, OPERATOR, key)
        if experiment is None:
            return None, None
        return experiment, await experiment_results(uow, OPERATOR, experiment, services.clock())

    experiment, results = _run(read)
    if experiment is None:
        console.print(f"[red]No experiment {key!r}.[/red]")
        raise typer.Exit(1)
    if results is None:
        console.print(f"{key} is a draft: nobody has been exposed yet.")
        return
    typer.echo(rendering.format_report(experiment, results))
    if json_out is not None:
        json_out.write_text(json.dumps(rendering.to_json(experiment, results), indent=2))
        console.print(f"wrote {json_out}")
