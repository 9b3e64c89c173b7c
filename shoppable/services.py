"""The app's one typed `Services` object: everything a request, a job or a CLI command needs besides
the database transaction. Built once by `build_services`, shared by GraphQL, REST, jobs and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.commerce.checkout import HoldDurations
from shoppable.domain.commerce.payments import PaymentGateway
from shoppable.domain.content.media import MediaLimits
from shoppable.domain.content.ports import ImageProcessor, MediaStore
from shoppable.domain.experiments.running import RunningExperimentsCache
from shoppable.domain.feed.caches import CandidatePlanCache, SnapshotCache
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.recovery import MailSender
from shoppable.domain.rate_limits import RateLimiter
from shoppable.domain.search.caches import SearchCountCache
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.image_fetch import PinnedImageFetcher
from shoppable.storage.imaging import ImageRenderer
from shoppable.storage.mail import mail_sender_for
from shoppable.storage.media_stores import media_store_for
from shoppable.storage.models import ModelStore
from shoppable.storage.outbound_http import PinnedHttpSender
from shoppable.storage.payment_gateways import payment_gateways
from shoppable.storage.rate_limits import LimitsRateLimiter
from shoppable.storage.vision.embedder import OnnxImageEmbedder
from shoppable.storage.vision.index import UsearchVisualIndex

if TYPE_CHECKING:
    from shoppable.jobs.queue import JobQueue


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    database: Database
    media: MediaStore
    images: ImageProcessor
    snapshots: SnapshotCache
    plans: CandidatePlanCache
    models: ModelStore
    rate_limits: RateLimiter
    webhook_sender: PinnedHttpSender
    mail: MailSender
    embedder: OnnxImageEmbedder
    visual_index: UsearchVisualIndex
    image_fetcher: PinnedImageFetcher
    payments: dict[str, PaymentGateway] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now
    search_counts: SearchCountCache = field(default_factory=SearchCountCache)
    running_experiments: RunningExperimentsCache = field(default_factory=RunningExperimentsCache)
    """The running experiments per surface, read again every few seconds (the feed asks every page)."""
    """Totals and facets of recent searches, keyed by the search version (never stale)."""
    jobs: JobQueue = field(init=False)
    """Set by `build_services`: the queue's runners hand these same services to every job."""

    @property
    def media_limits(self) -> MediaLimits:
        return MediaLimits(
            max_image_bytes=self.settings.max_image_bytes,
            max_video_bytes=self.settings.max_video_bytes,
            upload_ttl_seconds=self.settings.upload_ttl_seconds,
        )

    @property
    def upload_ttl_seconds(self) -> int:
        return self.settings.upload_ttl_seconds

    @property
    def tokens(self) -> TokenConfig:
        return TokenConfig(
            secret=self.settings.secret_key,
            ttl_seconds=self.settings.token_ttl_seconds,
            refresh_ttl_seconds=self.settings.refresh_token_ttl_seconds,
            session_max_age_seconds=self.settings.session_max_age_seconds,
        )

    @property
    def password_reset_url(self) -> str:
        return (
            self.settings.password_reset_url or f"{self.settings.public_base_url.rstrip('/')}/reset-password"
        )

    @property
    def holds(self) -> HoldDurations:
        return HoldDurations(
            signed_in=timedelta(seconds=self.settings.checkout_hold_seconds),
            anonymous=timedelta(seconds=self.settings.anonymous_checkout_hold_seconds),
        )

    def payment_gateway(self, name: str) -> PaymentGateway | None:
        return self.payments.get(name)

    async def close(self) -> None:
        await self.jobs.close()
        await self.webhook_sender.close()
        if isinstance(self.rate_limits, LimitsRateLimiter):
            await self.rate_limits.close()
        await self.database.dispose()


def build_services(settings: Settings, database: Database | None = None) -> Services:
    """Services from settings: SQLite or PostgreSQL, local disk or S3, in-process jobs or SAQ on Redis,
    rate limits counted in Redis or in memory."""
    from shoppable.jobs.registry import make_queue  # jobs take Services, so they import this module

    database = database or Database(settings.database_url)
    services = Services(
        settings=settings,
        database=database,
        media=media_store_for(settings),
        images=ImageRenderer(),
        snapshots=SnapshotCache(settings.feed_snapshot_ttl_seconds),
        plans=CandidatePlanCache(),
        models=ModelStore(settings.model_dir),
        rate_limits=LimitsRateLimiter(settings.redis_url, settings.rate_limits),
        payments=payment_gateways(settings),
        webhook_sender=PinnedHttpSender(
            allow_private=settings.allow_private_network_fetch,
            timeout_seconds=settings.webhook_timeout_seconds,
        ),
        mail=mail_sender_for(settings),
        embedder=OnnxImageEmbedder(),
        visual_index=UsearchVisualIndex(settings.model_dir / "vision"),
        image_fetcher=PinnedImageFetcher(allow_private=settings.allow_private_network_fetch),
    )
    services.jobs = make_queue(services)
    return services
