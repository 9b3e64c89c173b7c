"""Admin operations on experiments, and serving the feed under a viewer's variant.

Assignment: a viewer's unit is their device id before sign-up (`d:<device>`), and after it the unit the
account recorded when first seen with a device (`adopt_device`, a step of the device -> account merge) or,
without one, `u:<user id>`. The variant is `hashing.choose(experiment key, unit, weights)`: a pure
function of the two, the same on every channel and before and after sign-up.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.experiments import hashing, interleaving
from shoppable.domain.experiments.analysis import INTERLEAVED, Results, analyze, analyze_interleaving
from shoppable.domain.experiments.model import (
    Experiment,
    ExperimentKind,
    ExperimentStatus,
    FeedVariantConfig,
    NewExperiment,
    Variant,
    validate,
)
from shoppable.domain.experiments.ports import ExperimentServices, ExperimentsUnitOfWork
from shoppable.domain.experiments.running import RunningExperimentsCache
from shoppable.domain.feed.config import FeedVariant, Interleave
from shoppable.domain.feed.model import FeedMode, FeedPage
from shoppable.domain.feed.ports import Ranker
from shoppable.domain.feed.service import FeedRequest, build_page
from shoppable.domain.identity.actor import Actor
from shoppable.domain.recs.artifact import TrainedModel, with_blend

FEED_SURFACE = "feed"
ENROLLED_MODES = frozenset({FeedMode.FOR_YOU, FeedMode.NON_PERSONALIZED})
"""The FOLLOWING tab is the viewer's own choice of creators, strictly newest first: never experimented on."""


def _require_admin(actor: Actor) -> None:
    if actor.is_admin:
        return  # an admin account, or the operator at the `shoppable` command
    if not actor.is_authenticated:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Sign in as an admin.")
    if not actor.is_admin:
        raise DomainError.single((), ErrorCode.FORBIDDEN, "Only admins manage experiments.")


async def create_experiment(
    uow: ExperimentsUnitOfWork, actor: Actor, new: NewExperiment, now: datetime
) -> Experiment:
    _require_admin(actor)
    checked = validate(new)
    await uow.begin_write()
    created = await uow.experiments.add(checked, now)
    if created is None:
        await uow.rollback()
        raise DomainError.single(("key",), ErrorCode.DUPLICATE, f"An experiment {new.key!r} exists.")
    await uow.commit()
    return created


async def _get(uow: ExperimentsUnitOfWork, key: str) -> Experiment:
    found = await uow.experiments.get(key)
    if found is None:
        raise DomainError.single(("key",), ErrorCode.NOT_FOUND, f"No experiment {key!r}.")
    return found


async def start_experiment(
    uow: ExperimentsUnitOfWork,
    actor: Actor,
    key: str,
    now: datetime,
    running: RunningExperimentsCache | None = None,
) -> Experiment:
    """DRAFT -> RUNNING. One running experiment per surface (they would fight over the same page); a
    stopped experiment is never restarted: create a new one (its viewers' data stays its own).

    `running`: this process's cache of running experiments, told at once (other processes see the
    change within `RUNNING_EXPERIMENTS_TTL_SECONDS`)."""
    _require_admin(actor)
    await uow.begin_write()
    experiment = await _get(uow, key)
    if experiment.status is not ExperimentStatus.DRAFT:
        await uow.rollback()
        raise DomainError.single(
            ("key",), ErrorCode.CONFLICT, f"{key!r} is {experiment.status}; only a draft can start."
        )
    others = [e for e in await uow.experiments.running(experiment.surface) if e.id != experiment.id]
    if others:
        await uow.rollback()
        raise DomainError.single(
            ("key",),
            ErrorCode.CONFLICT,
            f"{others[0].key!r} is running on {experiment.surface}; stop it first.",
        )
    await uow.experiments.set_status(experiment.id, ExperimentStatus.RUNNING, now)
    await uow.commit()
    if running is not None:
        running.forget()
    return replace(experiment, status=ExperimentStatus.RUNNING, started_at=now)


async def stop_experiment(
    uow: ExperimentsUnitOfWork,
    actor: Actor,
    key: str,
    now: datetime,
    running: RunningExperimentsCache | None = None,
) -> Experiment:
    """RUNNING -> STOPPED: its viewers get the default feed from their next page (in this process at
    once, with `running` told; in others within `RUNNING_EXPERIMENTS_TTL_SECONDS`)."""
    _require_admin(actor)
    await uow.begin_write()
    experiment = await _get(uow, key)
    if experiment.status is not ExperimentStatus.RUNNING:
        await uow.rollback()
        raise DomainError.single(
            ("key",), ErrorCode.CONFLICT, f"{key!r} is {experiment.status}, not running."
        )
    await uow.experiments.set_status(experiment.id, ExperimentStatus.STOPPED, now)
    await uow.commit()
    if running is not None:
        running.forget()
    return replace(experiment, status=ExperimentStatus.STOPPED, stopped_at=now)


async def get_experiment(uow: ExperimentsUnitOfWork, actor: Actor, key: str) -> Experiment | None:
    _require_admin(actor)
    return await uow.experiments.get(key)


async def list_experiments(
    uow: ExperimentsUnitOfWork,
    actor: Actor,
    status: ExperimentStatus | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> Sequence[Experiment]:
    _require_admin(actor)
    return await uow.experiments.listed(status, after_id, limit)


async def experiment_results(
    uow: ExperimentsUnitOfWork, actor: Actor, experiment: Experiment, now: datetime
) -> Results | None:
    """None for a draft (nobody was exposed yet)."""
    _require_admin(actor)
    if experiment.status is ExperimentStatus.DRAFT:
        return None
    outcomes, exposures = await uow.experiments.outcomes(experiment, now)
    if experiment.kind is ExperimentKind.INTERLEAVING:
        sessions = await uow.experiments.interleaved_sessions(experiment, now)
        return analyze_interleaving(experiment, outcomes, exposures, sessions, now)
    return analyze(experiment, outcomes, exposures, now)


# --- assignment and serving ------------------------------------------------------------------------


def assign(experiment: Experiment, unit: str) -> Variant:
    """The viewer's variant: GrowthBook v2 hash of (experiment key, unit) into the weights' ranges."""
    index = hashing.choose(experiment.key, unit, [v.weight for v in experiment.variants])
    return experiment.variants[index]


class _User(Protocol):
    @property
    def id(self) -> int: ...


async def adopt_device(uow: ExperimentsUnitOfWork, user: _User, device_id: str) -> int:
    """A step of the device -> account merge (`identity/merge.py` DEVICE_MERGE_STEPS["experiments"]):
    the account keeps the unit of the first device it is seen with, so the variants the device had
    before sign-up follow the person. Idempotent; runs in the caller's write transaction, never commits.
    Returns 1 when the device's unit is the account's (now or already), else 0."""
    unit = f"d:{device_id}"
    recorded = await uow.experiments.claim_unit(user.id, unit, datetime.now(UTC))
    return 1 if recorded == unit else 0


async def unit_of(uow: ExperimentsUnitOfWork, actor: Actor, now: datetime) -> str | None:
    """The viewer's assignment unit; None for a caller with neither account nor device id (not enrolled).

    A signed-in viewer's unit is recorded the first time it is needed (unless the sign-up merge recorded
    it): their device's if the request carries one, else their user id. It never changes afterwards."""
    if actor.user_id is None:
        return f"d:{actor.device_id}" if actor.device_id else None
    found = await uow.experiments.unit_of_user(actor.user_id)
    if found is not None:
        return found
    unit = f"d:{actor.device_id}" if actor.device_id else f"u:{actor.user_id}"
    await uow.begin_write()
    recorded = await uow.experiments.claim_unit(actor.user_id, unit, now)
    await uow.commit()
    return recorded


def eligible(experiment: Experiment, actor: Actor, mode: FeedMode) -> bool:
    """Consent decides enrollment: an experiment with a variant that needs the viewer's data (a ranker)
    enrolls only signed-in viewers with personalization on; the others see the default feed and are in
    no arm. An experiment whose variants work without personal data enrolls everyone, and consent still
    governs each page (a variant never turns personalization on)."""
    if mode not in ENROLLED_MODES:
        return False
    if experiment.personal:
        return mode is FeedMode.FOR_YOU and actor.user_id is not None and actor.personalization_consent
    return True


_LOGGED: OrderedDict[tuple[int, str, str], None] = OrderedDict()
_LOGGED_MAX = 100_000
"""Exposures this process already wrote, so later pages of a session skip the write."""


async def _ranker(services: ExperimentServices, config: FeedVariantConfig) -> tuple[bool, Ranker | None]:
    """(found, ranker) for a variant's config: (True, None) when it ranks without a trained model; found
    is False when the version is missing here (pruned, never trained) or cannot take the blend."""
    if config.ranker is None or config.ranker == "none":
        return True, None
    ranker = await services.models.version(config.ranker)
    if ranker is None:
        return False, None
    if config.blend:
        blended = with_blend(ranker, dict(config.blend)) if isinstance(ranker, TrainedModel) else None
        return blended is not None, blended
    return True, ranker


async def _feed_variant(
    experiment: Experiment, unit: str, services: ExperimentServices
) -> tuple[str, FeedVariant] | None:
    """The variant key to log and what it changes in the page; None when it cannot be served (the
    viewer then gets the default feed and is exposed to nothing)."""
    if experiment.kind is ExperimentKind.INTERLEAVING:
        a, b = experiment.variants[0].feed, experiment.variants[1].feed
        (found_a, ranker_a), (found_b, ranker_b) = await _ranker(services, a), await _ranker(services, b)
        if not (found_a and found_b):
            return None
        return INTERLEAVED, FeedVariant(
            tag=f"{experiment.key}:{INTERLEAVED}",
            replaces_ranker=True,
            ranker=ranker_a,
            interleave=Interleave(ranker_b, interleaving.merge_candidates),
        )
    variant = assign(experiment, unit)
    config = variant.feed
    found, ranker = await _ranker(services, config)
    if not found:
        return None
    return variant.key, FeedVariant(
        tag=f"{experiment.key}:{variant.key}",
        pattern=config.slot_pattern,
        diversity_window=config.diversity_window,
        personalized=config.personalized,
        replaces_ranker=config.ranker is not None,
        ranker=ranker,
    )


async def serve_feed(
    uow: ExperimentsUnitOfWork, actor: Actor, request: FeedRequest, services: ExperimentServices
) -> FeedPage:
    """A feed page under the viewer's variant of the running feed experiment (if any and enrolled), with
    the exposure logged once per viewer, experiment and session when the page is built.

    In an interleaving experiment every enrolled viewer gets both rankers' products merged by team draft
    (variant `interleaved`), and the team of each product card is recorded when it is first served."""
    # Cached in the process (`domain/experiments/running.py`): no statement on most pages.
    running = await services.running_experiments.get(
        FEED_SURFACE, lambda: uow.experiments.running(FEED_SURFACE)
    )
    experiment = next((e for e in running if eligible(e, actor, request.mode)), None)
    if experiment is None:
        return await build_page(uow, actor, request, services)
    now = services.clock()
    unit = await unit_of(uow, actor, now)
    if unit is None:
        return await build_page(uow, actor, request, services)
    chosen = await _feed_variant(experiment, unit, services)
    if chosen is None:
        return await build_page(uow, actor, request, services)
    variant_key, feed_variant = chosen
    started = time.perf_counter()
    page = await build_page(uow, actor, replace(request, variant=feed_variant), services)
    latency_ms = (time.perf_counter() - started) * 1000
    key = (experiment.id, unit, page.session.id)
    teams = [(i.kind, i.item_id, i.position, i.team) for i in page.items if i.team is not None]
    if key not in _LOGGED or teams:
        await uow.begin_write()
        if key not in _LOGGED:
            await uow.experiments.log_exposure(
                experiment.id,
                unit,
                variant_key,
                page.session.id,
                actor.user_id,
                actor.device_id,
                latency_ms,
                now,
            )
        if teams:
            await uow.experiments.record_teams(experiment.id, unit, page.session.id, teams, now)
        await uow.commit()
        _LOGGED[key] = None
        if len(_LOGGED) > _LOGGED_MAX:
            _LOGGED.popitem(last=False)
    return page
