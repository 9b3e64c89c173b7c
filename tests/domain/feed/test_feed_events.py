"""events.track: per-event validation at the caller's indexes, duplicates, limits, who may send."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.events import MALFORMED, MAX_EVENTS, EventInput, track
from shoppable.domain.feed.model import Channel, EventType, Malformed
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import UNLIMITED
from tests.domain.feed.fakes import NOW, FakeUnitOfWork

SHOPPER = Actor(user_id=3)


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
