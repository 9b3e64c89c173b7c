"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State

from shoppable.api.catalog import CatalogController
from shoppable.api.graphql import graphql_controller
from shoppable.api.health import health
from shoppable.api.media import receive_media_upload, serve_media
from shoppable.api.problems import EXCEPTION_HANDLERS
from shoppable.api.request_ids import configure_logging, request_id_middleware
from shoppable.api.state import AppServices, FeedServices
from shoppable.graphql.ids import CursorCodec
from shoppable.jobs.catalog_import import resume_interrupted_imports
from shoppable.jobs.context import JobContext
from shoppable.jobs.queue import InProcessQueue
from shoppable.jobs.registry import PERIODIC, make_queue
from shoppable.settings import Settings, get_settings
from shoppable.storage.db import Database
from shoppable.storage.feed import CandidatePlanCache, SnapshotCache
from shoppable.storage.media_stores import media_store_for
from shoppable.storage.models import ModelStore


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check_production_safety()
    configure_logging(settings.log_level)
    owns_database = database is None
    database = database or Database(settings.database_url)
    services = AppServices(
        settings=settings,
        database=database,
        cursors=CursorCodec(settings.secret_key),
        media=media_store_for(settings),
    )

    services.feed = FeedServices(
        snapshots=SnapshotCache(database, settings.feed_snapshot_ttl_seconds),
        models=ModelStore(settings.model_dir),
        plans=CandidatePlanCache(),
    )
    job_context = JobContext(settings=settings, database=database, services={"app": services})
    services.jobs = make_queue(job_context)
    job_context.services["queue"] = services.jobs

    async def startup() -> None:
        # Imports a restart interrupted are taken up again; with SAQ, workers do this themselves.
        if isinstance(services.jobs, InProcessQueue):
            await resume_interrupted_imports(job_context, services.jobs)
            for name, (_cron, seconds) in PERIODIC.items():
                services.jobs.every(seconds, name)

    async def shutdown() -> None:
        await services.jobs.close()
        if owns_database:
            await database.dispose()

    return Litestar(
        route_handlers=[
            health,
            graphql_controller(services),
            CatalogController,
            receive_media_upload,
            serve_media,
        ],
        state=State({"services": services}),
        middleware=[request_id_middleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        cors_config=CORSConfig(allow_origins=settings.cors_origins) if settings.cors_origins else None,
        on_startup=[startup],
        on_shutdown=[shutdown],
        debug=False,
        openapi_config=None,
    )
