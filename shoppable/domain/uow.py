"""The unit of work every domain operation runs in: one transaction and the repositories that share it.

Operations take `(uow, actor, input)`; storage implements this protocol (`storage.uow`), and domain
tests implement it with in-memory fakes.
"""

from __future__ import annotations

from typing import Protocol

from shoppable.domain.catalog.importing import ImportJobRepository
from shoppable.domain.catalog.ports import CatalogRepository
from shoppable.domain.commerce.ports import CommerceRepository
from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.experiments.ports import ExperimentRepository
from shoppable.domain.feed.ports import FeedRepository
from shoppable.domain.idempotency import IdempotencyRepository
from shoppable.domain.identity.ports import IdentityRepository, TrustRepository
from shoppable.domain.ports import Transaction
from shoppable.domain.search.products import ProductSearchIndex
from shoppable.domain.vision.ports import VisionRepository
from shoppable.domain.webhooks.ports import WebhookRepository


class UnitOfWork(Transaction, Protocol):
    """Nothing is kept unless `commit` is called; repositories are built on first use."""

    async def close(self) -> None:
        """Give the connection back (what was not committed is rolled back); the next use takes another."""
        ...

    @property
    def identity(self) -> IdentityRepository: ...

    @property
    def catalog(self) -> CatalogRepository: ...

    @property
    def content(self) -> ContentRepository: ...

    @property
    def imports(self) -> ImportJobRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    @property
    def feed(self) -> FeedRepository: ...

    @property
    def commerce(self) -> CommerceRepository: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def trust(self) -> TrustRepository:
        """Sessions, consent history, resets, mail, exports, the audit log and privacy rules."""
        ...

    @property
    def vision(self) -> VisionRepository: ...

    @property
    def experiments(self) -> ExperimentRepository: ...

    @property
    def search(self) -> ProductSearchIndex: ...
