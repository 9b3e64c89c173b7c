"""The `RateLimiter` port on the `limits` library: moving windows in Redis when `REDIS_URL` is set
(shared by every process), in this process's memory otherwise."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from shoppable.domain.rate_limits import RateLimit, RateLimited, tuned

KEY_PREFIX = "shoppable-rate"


class LimitsRateLimiter:
    def __init__(self, redis_url: str | None = None, overrides: Mapping[str, str] | None = None) -> None:
        self.limits = tuned(overrides or {})
        self.storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix=KEY_PREFIX)
            if redis_url
            else MemoryStorage()
        )
        self.strategy = MovingWindowRateLimiter(self.storage)

    def _item(self, limit: RateLimit) -> tuple[RateLimitItem, RateLimit]:
        configured = self.limits.get(limit.name, limit)
        return RateLimitItemPerSecond(configured.amount, configured.window_seconds), configured

    @staticmethod
    def _identifiers(limit: RateLimit, key: str) -> tuple[str, str]:
        # Keys hold emails and addresses: stored hashed, and of a fixed length whatever was sent.
        return limit.name, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    async def _refuse(self, item: RateLimitItem, limit: RateLimit, identifiers: tuple[str, str]) -> None:
        stats = await self.strategy.get_window_stats(item, *identifiers)
        raise RateLimited(limit, stats.reset_time - time.time())

    async def hit(self, limit: RateLimit, key: str) -> None:
        item, configured = self._item(limit)
        identifiers = self._identifiers(limit, key)
        if not await self.strategy.hit(item, *identifiers):
            await self._refuse(item, configured, identifiers)

    async def check(self, limit: RateLimit, key: str) -> None:
        item, configured = self._item(limit)
        identifiers = self._identifiers(limit, key)
        if not await self.strategy.test(item, *identifiers):
            await self._refuse(item, configured, identifiers)

    async def close(self) -> None:
        if isinstance(self.storage, RedisStorage):
            bridge: Any = self.storage.bridge  # its `storage` is a redis.asyncio.Redis ("redispy")
            await bridge.storage.aclose()
        timer = getattr(self.storage, "timer", None)
        if timer is not None:
            timer.cancel()
