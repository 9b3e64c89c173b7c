"""Totals and facets of recent searches, in this process, keyed by the search and the search version.

Counting a browse over a large catalog groups every product it shows; the same browse is asked again
and again (a category page, a brand page), and its counts change only when the catalog does. The
index keeps a version number that every transaction writing it bumps in the same commit
(`ProductSearchIndex.version`), read in one statement before each search: an entry is used only for
the version it was counted at, so a write committed by any process makes it unreachable at once.
Nothing is ever served by age. Losing the cache only costs time.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class SearchCountCache:
    """Least recently used out, at most `max_entries`; entries of older versions are dropped as soon as
    a newer version is seen (they can never be asked for again)."""

    def __init__(self, max_entries: int = 2_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, Any], Any] = OrderedDict()
        self._newest = -1

    def get(self, version: int, key: Any) -> Any | None:
        found = self._entries.get((version, key))
        if found is not None:
            self._entries.move_to_end((version, key))
        return found

    def put(self, version: int, key: Any, value: Any) -> None:
        if version > self._newest:
            self._newest = version
            self._entries.clear()
        elif version < self._newest:
            return  # counted in an older snapshot: no later search reads that version
        self._entries[(version, key)] = value
        self._entries.move_to_end((version, key))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
