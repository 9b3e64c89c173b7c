"""Feed mutations: behavioural events and "not interested"."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from shoppable.domain.feed import events, hides, model
from shoppable.domain.feed.model import MALFORMED, Malformed
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation, user_errors
from shoppable.graphql.core.ids import parse_id

EventType = strawberry.enum(model.EventType, name="EventType")
Channel = strawberry.enum(model.Channel, name="Channel")


@strawberry.input
class EventInput:
    event_id: strawberry.ID = strawberry.field(
        description="Client-generated; an id seen before counts as a duplicate."
    )
    type: EventType  # type: ignore[valid-type]  # strawberry.enum() returns a value mypy cannot use as a type
    occurred_at: datetime
    subject_id: strawberry.ID | None = None
    channel: Channel = model.Channel.OTHER  # type: ignore[valid-type]  # as for `type`
    position: int | None = None


@strawberry.input
class TrackEventsInput:
    events: list[EventInput]


@strawberry.type
class TrackEventsPayload:
    accepted: int = 0
    duplicates: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class HideFromFeedInput:
    subject_id: strawberry.ID = strawberry.field(description="A post, product, creator or merchant.")


@strawberry.type
class HideFromFeedPayload:
    hidden: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _subject(global_id: str) -> tuple[str, int] | Malformed:
    try:
        return parse_id(global_id)
    except GraphQLError:
        return MALFORMED


def _event(event: EventInput) -> events.EventInput:
    return events.EventInput(
        event_id=str(event.event_id),
        type=model.EventType(event.type),
        subject=None if event.subject_id is None else _subject(event.subject_id),
        occurred_at=event.occurred_at,
        channel=model.Channel(event.channel),
        position=event.position,
    )


@strawberry.type
class FeedMutations:
    @mutation(description="Record up to 500 events from a signed-in user or an `X-Device-Id` device.")
    async def track_events(self, info: Info, input: TrackEventsInput) -> TrackEventsPayload:
        context = info.context
        result = await events.track(
            context.uow,
            context.actor,
            [_event(e) for e in input.events],
            context.services.clock(),
            rate_limits=context.services.rate_limits,
        )
        return TrackEventsPayload(
            accepted=result.accepted, duplicates=result.duplicates, user_errors=user_errors(result.errors)
        )

    @mutation(description='"Not interested": never show this post, product, creator or merchant again.')
    async def hide_from_feed(self, info: Info, input: HideFromFeedInput) -> HideFromFeedPayload:
        subject = _subject(input.subject_id)
        context = info.context
        await hides.set_hidden(
            context.uow, context.actor, subject, hidden=True, rate_limits=context.services.rate_limits
        )
        return HideFromFeedPayload(hidden=True)

    @mutation(description="Undo hideFromFeed.")
    async def unhide_from_feed(self, info: Info, input: HideFromFeedInput) -> HideFromFeedPayload:
        subject = _subject(input.subject_id)
        context = info.context
        await hides.set_hidden(
            context.uow, context.actor, subject, hidden=False, rate_limits=context.services.rate_limits
        )
        return HideFromFeedPayload(hidden=False)
