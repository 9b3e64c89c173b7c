"""The cache of search totals and facets: an entry is found only under the version it was counted at."""

from __future__ import annotations

from shoppable.domain.search.caches import SearchCountCache


def test_an_entry_is_found_only_under_its_own_version() -> None:
    cache = SearchCountCache()
    cache.put(3, "jackets", (10, []))
    assert cache.get(3, "jackets") == (10, [])
    assert cache.get(4, "jackets") is None
    assert cache.get(3, "shoes") is None


def test_a_newer_version_drops_every_older_entry_and_older_ones_are_not_stored() -> None:
    cache = SearchCountCache()
    cache.put(3, "jackets", 10)
    cache.put(4, "shoes", 5)
    assert len(cache) == 1 and cache.get(3, "jackets") is None
    cache.put(3, "jackets", 10)  # counted in a snapshot older than one already seen
    assert cache.get(3, "jackets") is None and len(cache) == 1


def test_least_recently_used_goes_first() -> None:
    cache = SearchCountCache(max_entries=2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    assert cache.get(1, "a") == 1
    cache.put(1, "c", 3)
    assert cache.get(1, "b") is None
    assert cache.get(1, "a") == 1 and cache.get(1, "c") == 3
