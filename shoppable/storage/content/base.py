"""What every part of the SQL content repository shares: the transaction it runs in."""

from __future__ import annotations

from shoppable.storage.db import SqlTransaction


class SqlRepositoryPart:
    """One concept's statements; `SqlContentRepository` composes the parts into one repository."""

    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow
