"""A feed session's stored plan on SQLite and PostgreSQL: what another server process continues from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shoppable.domain.feed.model import (
    Candidate,
    FeedMode,
    FeedSession,
    FeedSource,
    ItemKind,
    Reason,
    ReasonCode,
    ServedItem,
)
from shoppable.domain.feed.ports import Plan
from shoppable.storage.db import Database

NOW = datetime.now(UTC).replace(microsecond=0)


def _session(served: int = 0) -> FeedSession:
    return FeedSession("s" * 32, "u:1", FeedMode.FOR_YOU, True, served, NOW + timedelta(hours=1))


async def test_a_plan_is_stored_with_its_session_and_read_back_whole(database: Database) -> None:
    why = (
        Reason(ReasonCode.PICKED_FOR_YOU, "Picked from what you viewed"),
        Reason(ReasonCode.NEW_ARRIVAL, "New"),
    )
    plan = Plan(
        "personal",
        [
            Candidate(
                ItemKind.POST, 3, 9, 1.25, FeedSource.FOLLOWING, (Reason(ReasonCode.FOLLOWS_CREATOR, "x"),)
            )
        ],
        [Candidate(ItemKind.PRODUCT, 4, 2, 0.5, FeedSource.PERSONALIZED, why)],
        NOW,
    )
    served = [ServedItem(0, ItemKind.POST, 3, 9, FeedSource.FOLLOWING, ())]
    uow = database.unit_of_work(write=True)
    async with uow:
        assert await uow.feed.saved_plan("s" * 32) is None
        await uow.feed.append(_session(), served, plan)
        await uow.commit()
    uow = database.unit_of_work()
    async with uow:
        assert await uow.feed.saved_plan("s" * 32) == plan
    # Extending the session without a new plan keeps the stored one; a new plan replaces it.
    replanned = Plan("public", [], [], NOW + timedelta(minutes=6))
    uow = database.unit_of_work(write=True)
    async with uow:
        await uow.feed.append(
            _session(1), [ServedItem(1, ItemKind.PRODUCT, 4, 2, FeedSource.PERSONALIZED, ())]
        )
        assert await uow.feed.saved_plan("s" * 32) == plan
        await uow.feed.append(_session(2), [], replanned)
        assert await uow.feed.saved_plan("s" * 32) == replanned
        await uow.commit()
