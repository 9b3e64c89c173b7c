"""Deterministic bucketing: GrowthBook's hashing (FNV-1a 32 bit), so buckets match its SDKs.

`gb_hash(seed, value, 2)` is GrowthBook's v2 hash, `fnv32a(str(fnv32a(seed + value))) % 10000 / 10000`;
v1 is `fnv32a(value + seed) % 1000 / 1000`. Both are checked in tests against the published vectors of
GrowthBook's SDK test suite (cases.json, "hash"). The experiment key is the seed, so buckets of two
experiments are independent, and the unit id the value, so a person's bucket never depends on the channel.
"""

from __future__ import annotations

from collections.abc import Sequence

_FNV32_PRIME = 0x01000193
_FNV32_OFFSET = 0x811C9DC5


def fnv32a(text: str) -> int:
    """FNV-1a over the string's UTF-16 code units' low bytes, as GrowthBook's JS SDK (charCodeAt) does
    for the ASCII ids used here; other characters are hashed by code point."""
    value = _FNV32_OFFSET
    for char in text:
        value ^= ord(char)
        value = (value * _FNV32_PRIME) & 0xFFFFFFFF
    return value


def gb_hash(seed: str, value: str, version: int = 2) -> float | None:
    """A number in [0, 1) for `value` under `seed`; None for an unknown hash version (as GrowthBook)."""
    if version == 2:
        return (fnv32a(str(fnv32a(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv32a(value + seed) % 1000) / 1000
    return None


def bucket_ranges(weights: Sequence[int]) -> list[tuple[float, float]]:
    """Consecutive ranges of [0, 1) in proportion to integer weights (full coverage)."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must add up to more than zero")
    ranges, start = [], 0
    for weight in weights:
        end = start + weight
        ranges.append((start / total, end / total))
        start = end
    return ranges


def choose(seed: str, unit: str, weights: Sequence[int]) -> int:
    """The index of the variant `unit` falls in for experiment `seed`."""
    n = gb_hash(seed, unit, 2)
    assert n is not None
    for index, (low, high) in enumerate(bucket_ranges(weights)):
        if low <= n < high:
            return index
    return len(weights) - 1
