"""The running experiments of each surface, cached in the process: the feed asks on every page.

A start or stop made in this process (GraphQL, a job) is seen at once: it calls `forget`. One made in
another process (`shoppable experiments start`, another server worker) is seen within
`RUNNING_EXPERIMENTS_TTL_SECONDS`, when this process reads the experiments again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from shoppable.domain.experiments.model import Experiment

RUNNING_EXPERIMENTS_TTL_SECONDS = 5.0


class RunningExperimentsCache:
    """Plain Python, shared by the requests of one process; losing it costs one read."""

    def __init__(self, ttl_seconds: float = RUNNING_EXPERIMENTS_TTL_SECONDS) -> None:
        self.ttl = ttl_seconds
        self._found: dict[str, tuple[float, Sequence[Experiment]]] = {}
        self._generation = 0

    async def get(
        self, surface: str, load: Callable[[], Awaitable[Sequence[Experiment]]]
    ) -> Sequence[Experiment]:
        found = self._found.get(surface)
        if found is not None and time.monotonic() - found[0] < self.ttl:
            return found[1]
        generation, read_at = self._generation, time.monotonic()
        running = tuple(await load())
        if generation == self._generation:
            # Not kept when a start or stop in this process came while reading: the next page reads again.
            self._found[surface] = (read_at, running)
        return running

    def forget(self) -> None:
        """After starting or stopping an experiment here: the next page reads the experiments again."""
        self._generation += 1
        self._found.clear()
