"""Training the feed's ranker from the events table; run periodically and by `shoppable recs train`.

What it learns from is decided in `shoppable.domain.feed.training` (consenting users only). The new
model version is written beside the old ones and swapped in atomically; web processes pick it up
within a minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shoppable.domain.feed import training
from shoppable.domain.recs.training import train_from_arrays

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.recs")

TRAINING_WINDOW = timedelta(days=180)


async def recs_train(services: Services) -> dict[str, Any] | None:
    started = time.perf_counter()
    now = services.clock()
    async with services.database.unit_of_work() as uow:
        found = await training.interactions(uow, now - TRAINING_WINDOW)
    if not found.user_ids:
        log.info("recs train: no consented interactions yet; keeping the current model")
        return None
    async with services.database.unit_of_work() as uow:
        catalog = await training.catalog(uow)
    trained = await asyncio.to_thread(
        train_from_arrays,
        found.user_ids,
        found.item_ids,
        found.timestamps,
        found.weights,
        items=catalog,
        now=now.timestamp(),
        params=dict(training.RANKER_PARAMS),
    )
    path = await asyncio.to_thread(services.models.save, trained)
    info = {
        **trained.info,
        "version": trained.version,
        "path": str(path),
        "seconds": round(time.perf_counter() - started, 2),
    }
    log.info("recs train: %s", info)
    return info
