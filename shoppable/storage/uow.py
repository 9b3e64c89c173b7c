"""The SQL unit of work: one transaction and the repositories that share it, each built on first use."""

from __future__ import annotations

from functools import cached_property

from shoppable.storage.catalog import SqlCatalogRepository
from shoppable.storage.commerce import SqlCommerceRepository
from shoppable.storage.content import SqlContentRepository
from shoppable.storage.db import SqlTransaction
from shoppable.storage.experiments import SqlExperimentRepository
from shoppable.storage.feed import SqlFeedRepository
from shoppable.storage.idempotency import SqlIdempotencyRepository
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.imports import SqlImportJobRepository
from shoppable.storage.search import SqlSearchIndex
from shoppable.storage.trust import SqlTrustRepository
from shoppable.storage.vision.repository import SqlVisionRepository
from shoppable.storage.webhooks import SqlWebhookRepository


class SqlUnitOfWork(SqlTransaction):
    """Implements `shoppable.domain.uow.UnitOfWork`."""

    @cached_property
    def identity(self) -> SqlIdentityRepository:
        return SqlIdentityRepository(self)

    @cached_property
    def catalog(self) -> SqlCatalogRepository:
        return SqlCatalogRepository(self)

    @cached_property
    def content(self) -> SqlContentRepository:
        return SqlContentRepository(self)

    @cached_property
    def imports(self) -> SqlImportJobRepository:
        return SqlImportJobRepository(self)

    @cached_property
    def idempotency(self) -> SqlIdempotencyRepository:
        return SqlIdempotencyRepository(self)

    @cached_property
    def feed(self) -> SqlFeedRepository:
        return SqlFeedRepository(self)

    @cached_property
    def commerce(self) -> SqlCommerceRepository:
        return SqlCommerceRepository(self)

    @cached_property
    def webhooks(self) -> SqlWebhookRepository:
        return SqlWebhookRepository(self)

    async def commit(self) -> None:
        catalog: SqlCatalogRepository | None = self.__dict__.get("catalog")
        if catalog is not None:
            await catalog.search_index.bump_version()  # cached search counts of every process go
        await super().commit()
        webhooks: SqlWebhookRepository | None = self.__dict__.get("webhooks")
        if webhooks is not None and webhooks.wrote_deliveries:
            webhooks.wrote_deliveries = False
            for listener in self.db.outbox_listeners:
                listener()

    async def rollback(self) -> None:
        await super().rollback()
        catalog: SqlCatalogRepository | None = self.__dict__.get("catalog")
        if catalog is not None:
            catalog.search_index.wrote = False

    @cached_property
    def trust(self) -> SqlTrustRepository:
        return SqlTrustRepository(self)

    @cached_property
    def vision(self) -> SqlVisionRepository:
        return SqlVisionRepository(self)

    @cached_property
    def experiments(self) -> SqlExperimentRepository:
        return SqlExperimentRepository(self)

    @property
    def search(self) -> SqlSearchIndex:
        """The catalog's search index; the catalog repository keeps it in step with every write."""
        return self.catalog.search_index
