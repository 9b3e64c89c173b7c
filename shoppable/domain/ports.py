"""What every domain operation needs from persistence, whatever the storage is."""

from __future__ import annotations

from typing import Protocol


class Transaction(Protocol):
    """A unit of work: nothing is kept unless `commit` is called."""

    async def begin_write(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
