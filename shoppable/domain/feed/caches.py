"""In-process caches of the feed: plain Python, shared by the requests of one process, never persisted.

Losing either only costs time: the snapshot is recomputed, a session's plan is ranked again.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from shoppable.domain.feed.model import Candidate
from shoppable.domain.feed.ports import Snapshot


class CandidatePlanCache:
    """Ranked candidates per feed session, in this process, for a few minutes (least recently used out)."""

    def __init__(self, max_sessions: int = 10_000, ttl_seconds: float = 300.0) -> None:
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds
        self._plans: OrderedDict[str, tuple[float, list[Candidate], list[Candidate]]] = OrderedDict()

    def get(self, session_id: str) -> tuple[list[Candidate], list[Candidate]] | None:
        found = self._plans.get(session_id)
        if found is None or time.monotonic() - found[0] > self.ttl:
            self._plans.pop(session_id, None)
            return None
        self._plans.move_to_end(session_id)
        return found[1], found[2]

    def put(self, session_id: str, posts: list[Candidate], products: list[Candidate]) -> None:
        self._plans[session_id] = (time.monotonic(), posts, products)
        self._plans.move_to_end(session_id)
        while len(self._plans) > self.max_sessions:
            self._plans.popitem(last=False)


class SnapshotCache:
    """The everyone-feed (trending posts and products, new arrivals), recomputed at most every `ttl` seconds.

    Shared by all requests of a process; one request recomputes while the others keep the previous one.
    `compute` runs on the asking request's own unit of work: the requests waiting for the first one may
    each hold a connection, and a second one from a drained pool would never come.
    """

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl = ttl_seconds
        self._value: Snapshot | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self, compute: Callable[[], Awaitable[Snapshot]]) -> Snapshot:
        value = self._value
        if value is not None and (time.monotonic() - self._at < self.ttl or self._lock.locked()):
            return value
        async with self._lock:
            if self._value is None or time.monotonic() - self._at >= self.ttl:
                self._value = await compute()
                self._at = time.monotonic()
            return self._value
