"""The feed's in-process caches: the shared snapshot and each session's plan."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from shoppable.domain.feed.caches import CandidatePlanCache, SnapshotCache
from shoppable.domain.feed.model import Candidate, FeedSource, ItemKind
from shoppable.domain.feed.ports import Snapshot


def snapshot() -> Snapshot:
    return Snapshot([], [], [], datetime.now(UTC))


async def test_snapshot_is_computed_once_while_fresh_and_again_when_stale() -> None:
    cache = SnapshotCache(ttl_seconds=60)
    computed = []

    async def compute() -> Snapshot:
        computed.append(1)
        await asyncio.sleep(0)
        return snapshot()

    first, second = await asyncio.gather(cache.get(compute), cache.get(compute))
    assert first is second and len(computed) == 1
    cache.ttl = 0
    third = await cache.get(compute)
    assert third is not first and len(computed) == 2


async def test_while_one_request_recomputes_the_others_keep_the_previous_snapshot() -> None:
    cache = SnapshotCache(ttl_seconds=0)
    old = await cache.get(lambda: asyncio.sleep(0, snapshot()))
    release = asyncio.Event()

    async def slow() -> Snapshot:
        await release.wait()
        return snapshot()

    recomputing = asyncio.create_task(cache.get(slow))
    await asyncio.sleep(0)
    assert await cache.get(slow) is old
    release.set()
    assert await recomputing is not old


def test_plans_expire_and_the_least_recently_used_leave_first() -> None:
    plan = [Candidate(ItemKind.POST, 1, 1, 1.0, FeedSource.NON_PERSONALIZED, ())]
    cache = CandidatePlanCache(max_sessions=2)
    cache.put("a", plan, [])
    cache.put("b", plan, [])
    assert cache.get("a") == (plan, [])
    cache.put("c", plan, [])
    assert cache.get("b") is None and cache.get("a") is not None
    cache.ttl = -1
    assert cache.get("a") is None
