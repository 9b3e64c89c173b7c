"""Every background job by name, and the queue the settings call for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.jobs.catalog_import import catalog_import, resume_imports
from shoppable.jobs.commerce import commerce_commissions, commerce_holds
from shoppable.jobs.event_retention import event_retention
from shoppable.jobs.feed_cleanup import feed_cleanup
from shoppable.jobs.media_cleanup import media_cleanup
from shoppable.jobs.privacy import data_export, delete_media_objects, mail_outbox, privacy_cleanup
from shoppable.jobs.queue import InProcessQueue, JobFunction, JobQueue, SaqQueue
from shoppable.jobs.recs_train import recs_train
from shoppable.jobs.search_popularity import search_popularity
from shoppable.jobs.vision import vision_cleanup, vision_images
from shoppable.jobs.webhooks import webhook_log_cleanup, webhooks_deliver

if TYPE_CHECKING:
    from shoppable.services import Services

JOBS: dict[str, JobFunction] = {
    "catalog_import": catalog_import,
    "resume_imports": resume_imports,
    "recs_train": recs_train,
    "feed_cleanup": feed_cleanup,
    "media_cleanup": media_cleanup,
    "event_retention": event_retention,
    "commerce_holds": commerce_holds,
    "commerce_commissions": commerce_commissions,
    "webhooks_deliver": webhooks_deliver,
    "webhook_log_cleanup": webhook_log_cleanup,
    "data_export": data_export,
    "mail_outbox": mail_outbox,
    "privacy_cleanup": privacy_cleanup,
    "delete_media_objects": delete_media_objects,
    "vision_images": vision_images,
    "vision_cleanup": vision_cleanup,
    "search_popularity": search_popularity,
}

# Periodic jobs: name -> (cron schedule for SAQ workers, interval in seconds for the in-process runner).
PERIODIC: dict[str, tuple[str, int]] = {
    "resume_imports": ("* * * * *", 60),
    "recs_train": ("7 * * * *", 3600),
    "feed_cleanup": ("*/15 * * * *", 900),
    "media_cleanup": ("*/15 * * * *", 900),
    "event_retention": ("41 * * * *", 3600),
    "commerce_holds": ("* * * * *", 60),
    "commerce_commissions": ("23 * * * *", 3600),
    "webhook_log_cleanup": ("53 * * * *", 3600),
    "mail_outbox": ("* * * * *", 60),
    "privacy_cleanup": ("23 * * * *", 3600),
    "vision_images": ("* * * * *", 60),
    "vision_cleanup": ("*/15 * * * *", 900),
    "search_popularity": ("37 * * * *", 3600),
}


def make_queue(services: Services) -> JobQueue:
    """SAQ on Redis when REDIS_URL is set (run `shoppable worker`), else in-process asyncio tasks."""
    settings = services.settings
    if settings.redis_url:
        return SaqQueue(
            settings.redis_url, settings.saq_queue, heartbeat_seconds=settings.job_heartbeat_seconds
        )
    return InProcessQueue(services, JOBS)
