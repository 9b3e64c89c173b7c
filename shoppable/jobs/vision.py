"""Visual search jobs: catalog images (link, fetch, render, embed) and the clean-up of search photos."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from shoppable.domain.content.ports import MediaStoreError
from shoppable.domain.vision.ingest import fetch_due_images, link_products
from shoppable.domain.vision.limits import SEARCH_UPLOAD_RETENTION

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.vision")
JOB_KEY = "vision_images"
IMAGES_PER_RUN = 600
"""One run does at most this many downloads (about a minute of embedding on one core), well inside
SAQ's heartbeat; the next run (every minute, or after the next import) goes on where it stopped."""


async def request_image_sync(services: Services) -> None:
    """Ask for catalog images to be brought up to date (after an upsert or an import); runs once at a time."""
    await services.jobs.enqueue("vision_images", job_key=JOB_KEY)


async def vision_images(services: Services, max_images: int | None = IMAGES_PER_RUN) -> dict[str, Any]:
    """Link changed products to their images, then fetch, render and embed every due image.

    A reading unit of work: each write takes SQLite's write lock for itself (`begin_write`), so the
    downloads and the embedding between writes never hold it (a writer-for-life connection would,
    and keep every request waiting)."""
    uow = services.database.unit_of_work()
    async with uow:
        linked = await link_products(uow, services.clock())
        report = await fetch_due_images(uow, services, max_images=max_images)
    if report.fetched:
        await services.visual_index.persist()
    result = {
        "linked_products": linked,
        "fetched": report.fetched,
        "failed": report.failed,
        "retried": report.retried,
    }
    if linked or report.fetched or report.failed or report.retried:
        log.info("catalog images: %s", result)
    return result


async def vision_cleanup(services: Services) -> int:
    """Delete search photos (what is left of them) and their embeddings a day after their upload."""
    deleted = 0
    uow = services.database.unit_of_work()
    async with uow:
        while True:
            old = await uow.vision.search_uploads_before(services.clock() - SEARCH_UPLOAD_RETENTION, 200)
            if not old:
                break
            for upload in old:
                try:
                    await services.media.delete(upload.key)
                except MediaStoreError:
                    log.warning("could not delete search photo %s", upload.key, exc_info=True)
            await uow.begin_write()
            await uow.vision.delete_search_uploads([u.id for u in old])
            await uow.commit()
            deleted += len(old)
    return deleted
