"""Admin queries: experiments and their results."""

from __future__ import annotations

import strawberry

from shoppable.domain.experiments import model
from shoppable.domain.experiments.service import get_experiment, list_experiments
from shoppable.domain.pagination import Page
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.experiments.types import Experiment, ExperimentStatus

EXPERIMENT_CURSOR = "experiments"


def _is_admin(info: Info) -> bool:
    """Experiments are admins' business: everyone else sees none (as `auditLog` answers null)."""
    return info.context.actor.is_admin


@strawberry.type
class ExperimentQueries:
    @strawberry.field(description="Experiments, newest first: admins only (empty for everyone else).")
    async def experiments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: ExperimentStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[Experiment]:
        context = info.context
        request = page_request(context.cursors, EXPERIMENT_CURSOR, first, after)
        if not _is_admin(info):
            return connection(context.cursors, EXPERIMENT_CURSOR, Page([], [], False), Experiment.of)
        after_id = int(request.after[0]) if request.after else None
        found = list(
            await list_experiments(
                context.uow,
                context.actor,
                model.ExperimentStatus(status) if status is not None else None,
                after_id,
                request.first + 1,
            )
        )
        items = found[: request.first]
        page = Page(items=items, keys=[(e.id,) for e in items], has_next=len(found) > request.first)
        return connection(
            context.cursors, EXPERIMENT_CURSOR, page, Experiment.of, had_cursor=after is not None
        )

    @strawberry.field(
        description="One experiment by key, with its results: admins only (null for everyone else)."
    )
    async def experiment(self, info: Info, key: str) -> Experiment | None:
        if not _is_admin(info):
            return None
        found = await get_experiment(info.context.uow, info.context.actor, key)
        return Experiment.of(found) if found is not None else None
