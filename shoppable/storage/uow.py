"""The SQL unit of work: one transaction and the repositories that share it, each built on first use."""

from __future__ import annotations

from functools import cached_property

from shoppable.storage.catalog import SqlCatalogRepository
from shoppable.storage.commerce import SqlCommerceRepository
from shoppable.storage.content import SqlContentRepository
from shoppable.storage.db import SqlTransaction
from shoppable.storage.feed import SqlFeedRepository
from shoppable.storage.idempotency import SqlIdempotencyRepository
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.imports import SqlImportJobRepository
from shoppable.storage.search import SqlSearchIndex


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

    @property
    def search(self) -> SqlSearchIndex:
        """The catalog's search index; the catalog repository keeps it in step with every write."""
        return self.catalog.search_index
