"""hideFromFeed's rules: signed-in viewers, readable ids of hideable kinds that a shopper may see;
hiding is idempotent."""

from __future__ import annotations

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.hides import NOT_FOUND_MESSAGE, set_hidden
from shoppable.domain.feed.model import MALFORMED, Malformed
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import UNLIMITED
from tests.domain.feed.fakes import FakeUnitOfWork

SHOPPER = Actor(user_id=5)


async def test_hide_and_unhide() -> None:
    uow = FakeUnitOfWork()
    uow.feed.add_post(9)
    await set_hidden(uow, SHOPPER, ("Creator", 9), hidden=True, rate_limits=UNLIMITED)
    await set_hidden(uow, SHOPPER, ("Creator", 9), hidden=True, rate_limits=UNLIMITED)
    assert uow.feed.hides == {(5, "Creator", 9)} and uow.commits == 2
    await set_hidden(uow, SHOPPER, ("Creator", 9), hidden=False, rate_limits=UNLIMITED)
    await set_hidden(
        uow, SHOPPER, ("Merchant", 1), hidden=False, rate_limits=UNLIMITED
    )  # never hidden: no error
    assert uow.feed.hides == set()


async def test_every_hideable_kind_that_exists_can_be_hidden() -> None:
    uow = FakeUnitOfWork()
    post, product = uow.feed.add_post(9), uow.feed.add_product(4)
    subjects = [("Post", post), ("Product", product), ("Creator", 9), ("Merchant", 4)]
    for subject in subjects:
        await set_hidden(uow, SHOPPER, subject, hidden=True, rate_limits=UNLIMITED)
    assert uow.feed.hides == {(5, kind, pk) for kind, pk in subjects}


@pytest.mark.parametrize("kind", ["Post", "Product", "Creator", "Merchant"])
async def test_what_does_not_exist_or_is_not_visible_cannot_be_hidden(kind: str) -> None:
    uow = FakeUnitOfWork()  # nothing exists (the fake's existing_subjects is what a shopper may see)
    with pytest.raises(DomainError) as refused:
        await set_hidden(uow, SHOPPER, (kind, 424242), hidden=True, rate_limits=UNLIMITED)
    assert [(e.field, e.code, e.message) for e in refused.value.errors] == [
        (("subjectId",), ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE)
    ]
    assert uow.feed.hides == set() and uow.commits == 0
    await set_hidden(
        uow, SHOPPER, (kind, 424242), hidden=False, rate_limits=UNLIMITED
    )  # showing again is always allowed


@pytest.mark.parametrize(
    ("actor", "subject", "field", "code"),
    [
        (Actor(), ("Post", 1), (), ErrorCode.UNAUTHENTICATED),
        (Actor(), MALFORMED, (), ErrorCode.UNAUTHENTICATED),  # who asks is checked first
        (SHOPPER, MALFORMED, ("subjectId",), ErrorCode.INVALID),
        (SHOPPER, ("Sku", 1), ("subjectId",), ErrorCode.INVALID),
    ],
)
async def test_refusals(
    actor: Actor, subject: tuple[str, int] | Malformed, field: tuple[str, ...], code: ErrorCode
) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(DomainError) as refused:
        await set_hidden(uow, actor, subject, hidden=True, rate_limits=UNLIMITED)
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]
    assert uow.feed.hides == set() and uow.commits == 0
