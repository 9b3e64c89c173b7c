"""Keyset pagination: a page is the next `first` rows after a sort key, never an offset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Key = tuple[int | str | float, ...]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_IDS_PER_LOOKUP = 100
"""`nodes(ids:)` and other lookups by many ids."""


class InvalidPageRequest(ValueError):
    """Bad `first` or `after`: the caller's mistake, reported as BAD_USER_INPUT."""


@dataclass(frozen=True)
class PageRequest:
    first: int = DEFAULT_PAGE_SIZE
    after: Key | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.first <= MAX_PAGE_SIZE:
            raise InvalidPageRequest(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    keys: list[Key]
    has_next: bool


def page_from_rows(rows: Sequence[T], request: PageRequest, key: Callable[[T], Key]) -> Page[T]:
    """Rows were fetched with LIMIT first + 1; the extra row only tells whether there is a next page."""
    items = list(rows[: request.first])
    return Page(items=items, keys=[key(item) for item in items], has_next=len(rows) > request.first)
