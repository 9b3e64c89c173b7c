"""Behavioural events from apps, web and watches: validated one by one, stored once per client id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.feed.model import MALFORMED, Channel, EventType, Malformed, NewEvent, actor_key
from shoppable.domain.feed.ports import FeedUnitOfWork
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import (
    ANONYMOUS_TRACK_EVENTS_PER_IP,
    TRACK_EVENTS_PER_ACTOR,
    RateLimiter,
    ip_key,
)
from shoppable.domain.rate_limits import actor_key as rate_key

__all__ = ["MALFORMED", "Channel", "EventInput", "EventType", "TrackResult", "track"]

MAX_EVENTS = 500
RATE_WINDOW = timedelta(minutes=10)
MAX_EVENTS_PER_WINDOW = 600
"""Events one sender (a signed-in user, or an anonymous device) may have stored in any RATE_WINDOW.

About one a second, sustained: more than a person scrolling and tapping sends. Excess events are
refused with a LIMIT_EXCEEDED userError at their index (rather than stored and ignored), so an honest
client learns to send less and nothing is kept that no ranking may use. Events the sender already
stored are duplicates and use no quota: a retried batch is never refused for it.
"""
RATE_MESSAGE = f"Too many events from this sender: at most {MAX_EVENTS_PER_WINDOW} per 10 minutes."
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


# Which subjects each event may be about (None: no subject needed).
SUBJECTS: dict[EventType, frozenset[str | None]] = {
    EventType.IMPRESSION: frozenset({"Post", "Product"}),
    EventType.VIEW: frozenset({"Post", "Product", "Creator", None}),
    EventType.CLICK: frozenset({"Post", "Product", "Creator"}),
    EventType.LIKE: frozenset({"Post"}),
    EventType.SAVE: frozenset({"Post"}),
    EventType.FOLLOW: frozenset({"Creator"}),
    EventType.SHARE: frozenset({"Post", "Product", "Creator"}),
    EventType.ADD_TO_CART: frozenset({"Product", "Sku"}),
    EventType.PURCHASE: frozenset({"Product", "Sku"}),
}


@dataclass(frozen=True)
class EventInput:
    """One event as the caller sent it; `subject` is MALFORMED when its id could not be read."""

    event_id: str
    type: EventType
    subject: tuple[str, int] | Malformed | None  # (type name, pk) from a global id
    occurred_at: datetime
    channel: Channel = Channel.OTHER
    position: int | None = None


@dataclass(frozen=True)
class TrackResult:
    accepted: int
    duplicates: int
    errors: list[FieldError]


def _check(index: int, event: EventInput, now: datetime) -> list[FieldError]:
    at = ("events", index)
    if isinstance(event.subject, Malformed):
        return [FieldError((*at, "subjectId"), ErrorCode.INVALID, "Malformed id.")]
    errors = []
    if not EVENT_ID_RE.match(event.event_id):
        errors.append(
            FieldError((*at, "eventId"), ErrorCode.INVALID, "eventId must be 1-64 letters, digits or ._:-")
        )
    if event.occurred_at.tzinfo is None:
        errors.append(FieldError((*at, "occurredAt"), ErrorCode.INVALID, "occurredAt needs a time zone."))
    elif event.occurred_at > now + FUTURE_TOLERANCE:
        errors.append(FieldError((*at, "occurredAt"), ErrorCode.INVALID, "occurredAt is in the future."))
    elif event.occurred_at < now - MAX_AGE:
        errors.append(
            FieldError((*at, "occurredAt"), ErrorCode.INVALID, "occurredAt is more than 7 days ago.")
        )
    kind = event.subject[0] if event.subject else None
    if kind not in SUBJECTS[event.type]:
        wanted = " or ".join(sorted(k for k in SUBJECTS[event.type] if k)) or "no subject"
        errors.append(
            FieldError(
                (*at, "subjectId"), ErrorCode.INVALID, f"A {event.type.value} event is about a {wanted}."
            )
        )
    if event.position is not None and not 0 <= event.position <= 100_000:
        errors.append(FieldError((*at, "position"), ErrorCode.INVALID, "position must be 0..100000."))
    return errors


def _new_event(event: EventInput, actor: Actor, key: str, subject: tuple[str, int] | None) -> NewEvent:
    return NewEvent(
        event_id=event.event_id,
        actor_key=key,
        user_id=actor.user_id,
        device_id=actor.device_id if actor.user_id is None else None,
        type=event.type,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        channel=event.channel,
        position=event.position,
        occurred_at=event.occurred_at,
    )


def may_keep_events(actor: Actor) -> bool:
    """A signed-in user's events are kept only while their analytics consent is on; without it
    nothing of theirs is stored (not even without the user id: a "u:" sender key, a device id and the
    times would still single them out). Anonymous devices have no consent record here: a client
    sends X-Device-Id only as its own consent banner allows. The feed's served history is not
    analytics and is kept either way (it is what makes pages replayable)."""
    return actor.user_id is None or actor.analytics_consent


async def track(
    uow: FeedUnitOfWork,
    actor: Actor,
    events: Sequence[EventInput],
    now: datetime,
    *,
    rate_limits: RateLimiter,
) -> TrackResult:
    """Store valid events (each once per client event id); report each invalid one at its index.

    Valid events of a signed-in user without analytics consent are checked and then dropped:
    `accepted` is 0 (see `may_keep_events`).

    Indexes are the caller's: every event sent is passed, those whose subject id did not decode
    marked MALFORMED, so no error has to be moved to another index afterwards.
    """
    if actor.user_id is None and not actor.device_id:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Sign in or send an X-Device-Id header.")
    await rate_limits.hit(TRACK_EVENTS_PER_ACTOR, rate_key(actor))
    if actor.user_id is None:
        await rate_limits.hit(ANONYMOUS_TRACK_EVENTS_PER_IP, ip_key(actor))
    if len(events) > MAX_EVENTS:
        raise DomainError.single(
            ("events",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_EVENTS} events per call."
        )
    errors: list[FieldError] = []
    valid: list[tuple[int, EventInput, tuple[str, int] | None]] = []
    for index, event in enumerate(events):
        problems = _check(index, event, now)
        errors.extend(problems)
        if not problems:
            assert not isinstance(event.subject, Malformed)
            valid.append((index, event, event.subject))
    existing = await uow.feed.existing_subjects([subject for _, _, subject in valid if subject])
    key = actor_key(actor)
    batch: dict[str, tuple[int, NewEvent]] = {}
    in_call_duplicates = 0
    for index, event, subject in valid:
        if subject and subject not in existing:
            errors.append(FieldError(("events", index, "subjectId"), ErrorCode.NOT_FOUND, "No such subject."))
            continue
        if event.event_id in batch:
            in_call_duplicates += 1
            continue
        batch[event.event_id] = (index, _new_event(event, actor, key, subject))
    stored = duplicates = 0
    if batch and may_keep_events(actor):
        await uow.begin_write()
        stored, duplicates = await _store_within_quota(uow, key, batch, now, errors)
        await uow.commit()
    errors.sort(key=lambda e: int(e.field[1]))  # by event: stable, so each event's errors keep their order
    return TrackResult(accepted=stored, duplicates=duplicates + in_call_duplicates, errors=errors)


async def _store_within_quota(
    uow: FeedUnitOfWork,
    key: str,
    batch: dict[str, tuple[int, NewEvent]],
    now: datetime,
    errors: list[FieldError],
) -> tuple[int, int]:
    """Store the batch's new events up to the sender's MAX_EVENTS_PER_WINDOW, refusing the rest at
    their indexes; returns (stored, duplicates)."""
    known = await uow.feed.stored_event_ids(key, list(batch))
    fresh = [(index, event) for event_id, (index, event) in batch.items() if event_id not in known]
    room = max(0, MAX_EVENTS_PER_WINDOW - await uow.feed.events_received_since(key, now - RATE_WINDOW))
    errors.extend(
        FieldError(("events", index), ErrorCode.LIMIT_EXCEEDED, RATE_MESSAGE) for index, _ in fresh[room:]
    )
    kept = [event for _, event in fresh[:room]]
    stored = await uow.feed.insert_new(kept) if kept else 0
    # A parallel retry may have stored some of `kept` in the meantime: those are duplicates too.
    return stored, len(known) + len(kept) - stored
