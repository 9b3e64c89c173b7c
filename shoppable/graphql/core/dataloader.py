"""DataLoaders that can also answer synchronously, and the one helper fields use to read them.

A list resolver loads each relation for the whole page up front (one statement per relation); the
per-item fields then answer at once from what was loaded, instead of each scheduling a task that
waits for the batch. Same statements, far fewer tasks.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


class _Missing:
    """Marks a key the loader has not loaded yet (None is a real value: "no such object")."""


MISSING: Any = _Missing()


class Loader(DataLoader[K, V]):
    """A DataLoader that remembers what it loaded or was primed with, so `peek` can answer now."""

    def __init__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self._loaded: dict[K, V] = {}

        async def load_and_remember(keys: list[K]) -> Sequence[V]:
            values = await load_fn(keys)
            for key, value in zip(keys, values, strict=True):
                self._loaded.setdefault(key, value)
            return values

        super().__init__(load_and_remember)

    def prime_many(self, data: Mapping[K, V], force: bool = False) -> None:
        super().prime_many(data, force)
        for key, value in data.items():
            if force:
                self._loaded[key] = value
            else:
                self._loaded.setdefault(key, value)

    def peek(self, key: K) -> V:
        """The loaded value, or MISSING when it has not been loaded yet."""
        return self._loaded.get(key, MISSING)


def now_or_later(loader: Loader[K, V], key: K, build: Callable[[V], R]) -> R | Awaitable[R]:
    """`build(value)` at once when `key` is already loaded, else once the DataLoader has loaded it."""
    found = loader.peek(key)
    if found is MISSING:
        return then(loader.load(key), build)
    return build(found)


async def then(pending: Awaitable[V], build: Callable[[V], Any]) -> Any:
    """`build` applied to an awaited value; `build` may itself return an awaitable."""
    result = build(await pending)
    return await result if inspect.isawaitable(result) else result
