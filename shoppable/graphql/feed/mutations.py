"""Feed mutations: behavioural events and "not interested"."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from graphql import GraphQLError

from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.feed import events
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, user_errors
from shoppable.graphql.core.ids import parse_id
from shoppable.storage.feed import SqlEventStore, SqlHides

EventType = strawberry.enum(events.EventType, name="EventType")
Channel = strawberry.enum(events.Channel, name="Channel")
HIDEABLE = ("Post", "Product", "Creator", "Merchant")


@strawberry.input
class EventInput:
    event_id: strawberry.ID = strawberry.field(
        description="Client-generated; an id seen before counts as a duplicate."
    )
    type: EventType  # type: ignore[valid-type]
    occurred_at: datetime
    subject_id: strawberry.ID | None = None
    channel: Channel = events.Channel.OTHER  # type: ignore[valid-type]
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


def _subject(global_id: str | None, index: int, errors: list[FieldError]) -> tuple[str, int] | None:
    if global_id is None:
        return None
    try:
        return parse_id(global_id)
    except GraphQLError:
        errors.append(FieldError(("events", index, "subjectId"), ErrorCode.INVALID, "Malformed id."))
        return None


@strawberry.type
class FeedMutations:
    @strawberry.mutation(
        description="Record up to 500 events from a signed-in user or an `X-Device-Id` device."
    )
    async def track_events(self, info: Info, input: TrackEventsInput) -> TrackEventsPayload:
        malformed: list[FieldError] = []
        parsed = []
        for index, event in enumerate(input.events):
            subject = _subject(event.subject_id, index, malformed)
            if event.subject_id is not None and subject is None:
                continue
            parsed.append(
                (
                    index,
                    events.EventInput(
                        event_id=str(event.event_id),
                        type=events.EventType(event.type),
                        subject=subject,
                        occurred_at=event.occurred_at,
                        channel=events.Channel(event.channel),
                        position=event.position,
                    ),
                )
            )
        try:
            result = await events.track(
                info.context.uow,
                SqlEventStore(info.context.uow),
                info.context.actor,
                [e for _, e in parsed],
                datetime.now(UTC),
            )
        except DomainError as exc:
            return TrackEventsPayload(user_errors=user_errors(exc.errors))
        # Errors carry indexes into the events that were parsed; map them back to the caller's indexes.
        original = [index for index, _ in parsed]
        remapped = [
            FieldError(("events", original[int(e.field[1])], *e.field[2:]), e.code, e.message)
            if len(e.field) > 1
            else e
            for e in result.errors
        ]
        return TrackEventsPayload(
            accepted=result.accepted,
            duplicates=result.duplicates,
            user_errors=user_errors(
                sorted(malformed + remapped, key=lambda e: int(e.field[1]) if len(e.field) > 1 else -1)
            ),
        )

    @strawberry.mutation(
        description='"Not interested": never show this post, product, creator or merchant again.'
    )
    async def hide_from_feed(self, info: Info, input: HideFromFeedInput) -> HideFromFeedPayload:
        return await _set_hidden(info, input.subject_id, hide=True)

    @strawberry.mutation(description="Undo hideFromFeed.")
    async def unhide_from_feed(self, info: Info, input: HideFromFeedInput) -> HideFromFeedPayload:
        return await _set_hidden(info, input.subject_id, hide=False)


async def _set_hidden(info: Info, subject_id: str, *, hide: bool) -> HideFromFeedPayload:
    user_id = info.context.actor.user_id
    if user_id is None:
        return HideFromFeedPayload(
            user_errors=user_errors([FieldError((), ErrorCode.UNAUTHENTICATED, "Sign in to tune your feed.")])
        )
    kind, pk = parse_id(subject_id)
    if kind not in HIDEABLE:
        return HideFromFeedPayload(
            user_errors=user_errors(
                [FieldError(("subjectId",), ErrorCode.INVALID, "Hide a post, product, creator or merchant.")]
            )
        )
    uow = info.context.uow
    await uow.begin_write()
    hides = SqlHides(uow)
    if hide:
        await hides.hide(user_id, kind, pk)
    else:
        await hides.unhide(user_id, kind, pk)
    await uow.commit()
    return HideFromFeedPayload(hidden=hide)
