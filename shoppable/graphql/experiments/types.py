"""Experiment types: definitions, variants and results."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from shoppable.domain.experiments import analysis, model
from shoppable.domain.experiments.service import experiment_results
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

ExperimentStatus = strawberry.enum(model.ExperimentStatus, name="ExperimentStatus")
ExperimentKind = strawberry.enum(model.ExperimentKind, name="ExperimentKind")


@strawberry.type
class Variant:
    key: str
    weight: int
    config: JSON = strawberry.field(
        description='What the variant changes in the feed: {"ranker": "<version>"|"latest"|"none", '
        '"blend": {"<signal>": weight}, "slotPattern": "PPRPR", "diversityWindow": 1-50, "personalized": false}.'
    )


@strawberry.type
class MetricResult:
    name: str = strawberry.field(
        description="The metric; revenue is one metric per currency, e.g. revenue_per_viewer:EUR (minor units)."
    )
    mean: float
    lift: float | None = strawberry.field(description="Relative to the control (0.05 = +5%).")
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = strawberry.field(description="Fixed-horizon: valid for one look only.")
    sequential_p_value: float | None = strawberry.field(
        description="Always valid (mSPRT): safe to check every day."
    )
    cuped: bool = strawberry.field(description="Variance reduced with the same metric before exposure.")


@strawberry.type
class VariantResult:
    key: str
    users: int
    exposures: int
    metrics: list[MetricResult]


@strawberry.type(
    description="Team-draft interleaving of the first variant's ranker (A) with the second's (B): per "
    "session, the ranker whose items got more clicks and adds to cart wins."
)
class InterleavingResult:
    sessions: int
    wins_a: int
    wins_b: int
    ties: int = strawberry.field(description="Sessions with equal credit, including none at all.")
    p_value: float = strawberry.field(description="Two-sided sign test of winsA against winsB.")
    preference_a: float | None = strawberry.field(
        description="Share of the sessions with a preference that prefer A."
    )
    ci_low: float | None = strawberry.field(description="95% Clopper-Pearson interval of preferenceA.")
    ci_high: float | None
    credit_a: float = strawberry.field(description="Clicks and adds to cart on A's items.")
    credit_b: float
    winner: str | None = strawberry.field(description="The winning variant's key; null until p < 0.05.")


@strawberry.type
class ExperimentResults:
    computed_at: datetime
    srm_p_value: float
    srm_ok: bool
    variants: list[VariantResult]
    interleaving: InterleavingResult | None
    warnings: list[str]


def results_type(experiment: model.Experiment, results: analysis.Results) -> ExperimentResults:
    found = results.interleaving
    teams = {"A": experiment.variants[0].key, "B": experiment.variants[-1].key}
    return ExperimentResults(
        computed_at=results.computed_at,
        srm_p_value=results.srm_p_value,
        srm_ok=results.srm_ok,
        variants=[
            VariantResult(
                key=v.key,
                users=v.users,
                exposures=v.exposures,
                metrics=[
                    MetricResult(
                        name=m.name,
                        mean=m.mean,
                        lift=m.lift,
                        ci_low=m.ci_low,
                        ci_high=m.ci_high,
                        p_value=m.p_value,
                        sequential_p_value=m.sequential_p_value,
                        cuped=m.cuped,
                    )
                    for m in v.metrics
                ],
            )
            for v in results.variants
        ],
        interleaving=None
        if found is None
        else InterleavingResult(
            sessions=found.sessions,
            wins_a=found.wins_a,
            wins_b=found.wins_b,
            ties=found.ties,
            p_value=found.p_value,
            preference_a=found.preference_a,
            ci_low=found.ci_low,
            ci_high=found.ci_high,
            credit_a=found.credit_a,
            credit_b=found.credit_b,
            winner=teams[found.winner] if found.winner is not None else None,
        ),
        warnings=results.warnings,
    )


@strawberry.type
class Experiment(Node):
    key: str
    description: str
    status: ExperimentStatus  # type: ignore[valid-type]  # strawberry enums are values
    kind: ExperimentKind  # type: ignore[valid-type]
    surface: str
    variants: list[Variant]
    metrics: list[str]
    window_days: int = strawberry.field(
        description="Metrics count what a viewer did this long from first exposure."
    )
    started_at: datetime | None
    stopped_at: datetime | None
    record: strawberry.Private[model.Experiment]

    @classmethod
    def of(cls, experiment: model.Experiment) -> Experiment:
        return cls(
            id=strawberry.ID(encode_id("Experiment", experiment.id)),
            key=experiment.key,
            description=experiment.description,
            status=experiment.status,
            kind=experiment.kind,
            surface=experiment.surface,
            variants=[
                Variant(key=v.key, weight=v.weight, config=cast(JSON, v.config)) for v in experiment.variants
            ],
            metrics=list(experiment.metrics),
            window_days=experiment.window_days,
            started_at=experiment.started_at,
            stopped_at=experiment.stopped_at,
            record=experiment,
        )

    @strawberry.field(description="Computed now from exposures, events and orders; null for a draft.")
    async def results(self, info: Info) -> ExperimentResults | None:
        context = info.context
        found = await experiment_results(context.uow, context.actor, self.record, context.services.clock())
        return results_type(self.record, found) if found is not None else None


@node_type("Experiment")
async def experiment_node(info: Info, pk: int) -> Experiment | None:
    if not info.context.actor.is_admin:
        return None
    found = await info.context.uow.experiments.get_by_id(pk)
    return Experiment.of(found) if found is not None else None
