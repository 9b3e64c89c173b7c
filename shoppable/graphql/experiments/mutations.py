"""Admin mutations: create, start and stop experiments."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from shoppable.domain.experiments import model, service
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.experiments.types import Experiment, ExperimentKind


@strawberry.input
class VariantInput:
    key: str
    weight: int
    config: JSON


@strawberry.input
class CreateExperimentInput:
    key: str
    description: str = ""
    kind: ExperimentKind = model.ExperimentKind.AB  # type: ignore[valid-type]
    surface: str = "feed"
    variants: list[VariantInput] = strawberry.field(
        description="The first is the control; weights are integers (1, 1 = 50/50)."
    )
    metrics: list[str] | None = strawberry.field(
        default=None, description=f"Default: all of {', '.join(model.METRICS)}."
    )
    window_days: int = model.DEFAULT_WINDOW_DAYS


@strawberry.input
class ExperimentKeyInput:
    key: str


@strawberry.type
class ExperimentPayload:
    experiment: Experiment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def new_experiment(input: CreateExperimentInput) -> model.NewExperiment:
    return model.NewExperiment(
        key=input.key,
        description=input.description,
        kind=model.ExperimentKind(input.kind),
        surface=input.surface,
        variants=tuple(
            model.Variant(v.key, v.weight, cast(dict[str, Any], v.config)) for v in input.variants
        ),
        metrics=tuple(input.metrics or ()),
        window_days=input.window_days,
    )


@strawberry.type
class ExperimentMutations:
    @mutation(description="A new DRAFT experiment (admins only). Variants never change once created.")
    async def create_experiment(self, info: Info, input: CreateExperimentInput) -> ExperimentPayload:
        context = info.context
        created = await service.create_experiment(
            context.uow, context.actor, new_experiment(input), context.services.clock()
        )
        return ExperimentPayload(experiment=Experiment.of(created))

    @mutation(description="Start a draft: viewers are assigned and exposed from now on (admins only).")
    async def start_experiment(self, info: Info, input: ExperimentKeyInput) -> ExperimentPayload:
        context = info.context
        started = await service.start_experiment(
            context.uow,
            context.actor,
            input.key,
            context.services.clock(),
            context.services.running_experiments,
        )
        return ExperimentPayload(experiment=Experiment.of(started))

    @mutation(description="Stop a running experiment: its viewers get the default feed again (admins only).")
    async def stop_experiment(self, info: Info, input: ExperimentKeyInput) -> ExperimentPayload:
        context = info.context
        stopped = await service.stop_experiment(
            context.uow,
            context.actor,
            input.key,
            context.services.clock(),
            context.services.running_experiments,
        )
        return ExperimentPayload(experiment=Experiment.of(stopped))
