"""events.track: per-event validation at the caller's indexes, duplicates, limits, who may send."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.events import (
    MALFORMED,
    MAX_EVENTS,
    MAX_EVENTS_PER_WINDOW,
    RATE_WINDOW,
    EventInput,
    track,
)
from shoppable.domain.feed.model import Channel, EventType, Malformed
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import UNLIMITED
from tests.domain.feed.fakes import NOW, FakeUnitOfWork

SHOPPER = Actor(user_id=3, analytics_consent=True)


def world() -> tuple[FakeUnitOfWork, int, int]:
    uow = FakeUnitOfWork()
    return uow, uow.feed.add_post(11), uow.feed.add_product(21)


def view(
    n: int,
    subject: tuple[str, int] | Malformed | None = None,
    *,
    type: EventType = EventType.VIEW,
    occurred_at: datetime = NOW,
    channel: Channel = Channel.OTHER,
    position: int | None = None,
) -> EventInput:
    return EventInput(f"ev-{n}", type, subject, occurred_at, channel, position)


async def test_each_invalid_event_is_reported_at_the_callers_index() -> None:
    uow, post, product = world()
    events = [
        view(0, ("Product", product)),
        view(1, MALFORMED),
        view(2, ("Product", product), occurred_at=NOW + timedelta(minutes=10)),
        view(3, ("Product", product), occurred_at=NOW - timedelta(days=8)),
        view(4, ("Product", 999_999)),
        view(5, ("Product", product), type=EventType.LIKE),
        EventInput("bad id with spaces", EventType.VIEW, ("Post", post), NOW),
        view(7, ("Product", product), occurred_at=NOW.replace(tzinfo=None)),
        view(8, ("Post", post), position=-1),
        view(9, ("Product", product), type=EventType.PURCHASE, channel=Channel.APP, position=3),
    ]
    result = await track(uow, SHOPPER, events, NOW, rate_limits=UNLIMITED)
    assert [(e.field, e.code) for e in result.errors] == [
        (("events", 1, "subjectId"), ErrorCode.INVALID),
        (("events", 2, "occurredAt"), ErrorCode.INVALID),
        (("events", 3, "occurredAt"), ErrorCode.INVALID),
        (("events", 4, "subjectId"), ErrorCode.NOT_FOUND),
        (("events", 5, "subjectId"), ErrorCode.INVALID),
        (("events", 6, "eventId"), ErrorCode.INVALID),
        (("events", 7, "occurredAt"), ErrorCode.INVALID),
        (("events", 8, "position"), ErrorCode.INVALID),
    ]
    assert result.accepted == 2 and result.duplicates == 0
    assert [e.event_id for e in uow.feed.events] == ["ev-0", "ev-9"]
    assert uow.feed.events[0].actor_key == "u:3" and uow.feed.events[0].subject_type == "Product"


async def test_an_event_sent_twice_is_stored_once() -> None:
    uow, post, _ = world()
    first = await track(
        uow, SHOPPER, [view(1, ("Post", post)), view(1, ("Post", post))], NOW, rate_limits=UNLIMITED
    )
    assert (first.accepted, first.duplicates) == (1, 1)
    again = await track(uow, SHOPPER, [view(1, ("Post", post)), view(2)], NOW, rate_limits=UNLIMITED)
    assert (again.accepted, again.duplicates) == (1, 1)
    # Event ids are per sender: another device may use the same id.
    device = await track(
        uow, Actor(device_id="watch-9"), [view(1, ("Post", post))], NOW, rate_limits=UNLIMITED
    )
    assert device.accepted == 1 and uow.feed.events[-1].device_id == "watch-9"


async def test_nothing_valid_writes_nothing() -> None:
    uow, _, _ = world()
    result = await track(uow, SHOPPER, [view(1, MALFORMED)], NOW, rate_limits=UNLIMITED)
    assert result.accepted == 0 and uow.commits == 0 and not uow.writing


async def test_callers_without_identity_and_oversized_batches_are_refused() -> None:
    uow, _, _ = world()
    with pytest.raises(DomainError) as nobody:
        await track(uow, Actor(), [view(1)], NOW, rate_limits=UNLIMITED)
    assert nobody.value.errors[0].code is ErrorCode.UNAUTHENTICATED
    with pytest.raises(DomainError) as too_many:
        await track(uow, SHOPPER, [view(n) for n in range(MAX_EVENTS + 1)], NOW, rate_limits=UNLIMITED)
    assert too_many.value.errors[0].field == ("events",)
    assert too_many.value.errors[0].code is ErrorCode.LIMIT_EXCEEDED


async def test_a_sender_stores_at_most_the_quota_per_window_and_the_excess_is_refused_at_its_index() -> None:
    uow, post, _ = world()
    device = Actor(device_id="bot")
    sent = 0
    while sent < MAX_EVENTS_PER_WINDOW - 3:
        step = min(MAX_EVENTS, MAX_EVENTS_PER_WINDOW - 3 - sent)
        result = await track(
            uow, device, [view(sent + n, ("Post", post)) for n in range(step)], NOW, rate_limits=UNLIMITED
        )
        assert result.accepted == step and not result.errors
        sent += step
    over = await track(
        uow, device, [view(10_000 + n, ("Post", post)) for n in range(5)], NOW, rate_limits=UNLIMITED
    )
    assert over.accepted == 3
    assert [(e.field, e.code) for e in over.errors] == [
        (("events", 3), ErrorCode.LIMIT_EXCEEDED),
        (("events", 4), ErrorCode.LIMIT_EXCEEDED),
    ]
    # A retry of what was stored is no new event: duplicates, never refused for the quota.
    retry = await track(
        uow, device, [view(10_000 + n, ("Post", post)) for n in range(3)], NOW, rate_limits=UNLIMITED
    )
    assert (retry.accepted, retry.duplicates, retry.errors) == (0, 3, [])
    # Each sender has its own quota, and the window moves on.
    assert (await track(uow, SHOPPER, [view(1, ("Post", post))], NOW, rate_limits=UNLIMITED)).accepted == 1
    later = NOW + RATE_WINDOW + timedelta(seconds=1)
    assert (
        await track(uow, device, [view(20_000, ("Post", post))], later, rate_limits=UNLIMITED)
    ).accepted == 1
    assert len(uow.feed.events) == MAX_EVENTS_PER_WINDOW + 2


async def test_without_analytics_consent_a_users_events_are_checked_and_not_kept() -> None:
    uow, post, _ = world()
    private = Actor(user_id=4, device_id="phone", personalization_consent=True)
    result = await track(
        uow, private, [view(1, ("Post", post)), view(2, MALFORMED)], NOW, rate_limits=UNLIMITED
    )
    assert (result.accepted, result.duplicates) == (0, 0)
    assert [(e.field, e.code) for e in result.errors] == [(("events", 1, "subjectId"), ErrorCode.INVALID)]
    assert uow.feed.events == [] and uow.commits == 0  # not even as the device it sent from
    kept = await track(
        uow, Actor(user_id=4, analytics_consent=True), [view(1, ("Post", post))], NOW, rate_limits=UNLIMITED
    )
    assert kept.accepted == 1 and uow.feed.events[0].user_id == 4
