"""A set of strings that costs about 8-16 bytes per member, for the file-wide duplicate checks.

A feed of a million SKUs would spend ~90 bytes per code in a Python `set[str]`; this keeps only
a keyed 64-bit digest of each string in an open-addressing NumPy table. Two different strings
share a digest with probability ~n²/2⁶⁵ (about 3 in 100 million for a million codes), which would
report a spurious duplicate; the digest key is random per process, so no file can aim for it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import numpy as np

_EMPTY = 0


class DigestSet:
    def __init__(self, capacity: int = 1 << 14) -> None:
        self._key = os.urandom(16)
        self._table = np.zeros(capacity, dtype=np.uint64)
        self._values = np.zeros(capacity, dtype=np.uint32)
        """A small number kept with each member (where a handle first appeared), 4 bytes more each."""
        self._mask = capacity - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _digest(self, text: str) -> int:
        value = int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8, key=self._key).digest(), "little"
        )
        return value or 1  # 0 marks an empty slot

    def _slot(self, digest: int) -> int:
        """Index holding `digest`, or the empty slot where it would go (linear probing)."""
        table, mask = self._table, self._mask
        index = digest & mask
        while True:
            found = int(table[index])
            if found in (_EMPTY, digest):
                return index
            index = (index + 1) & mask

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and int(self._table[self._slot(self._digest(text))]) != _EMPTY

    def add(self, text: str, value: int = 0) -> None:
        """Add a member; the first value given for it is kept."""
        digest = self._digest(text)
        index = self._slot(digest)
        if int(self._table[index]) == _EMPTY:
            self._table[index] = digest
            self._values[index] = min(max(value, 0), 2**32 - 1)
            self._count += 1
            if self._count * 10 > len(self._table) * 7:
                self._grow()

    def value_of(self, text: str) -> int | None:
        """The value kept with a member, or None when it is not one."""
        index = self._slot(self._digest(text))
        return None if int(self._table[index]) == _EMPTY else int(self._values[index])

    def update(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.add(text)

    def _grow(self) -> None:
        used = self._table != _EMPTY
        old, old_values = self._table[used], self._values[used]
        self._table = np.zeros(len(self._table) * 2, dtype=np.uint64)
        self._values = np.zeros(len(self._table), dtype=np.uint32)
        self._mask = len(self._table) - 1
        for digest, value in zip(old.tolist(), old_values.tolist(), strict=True):
            index = self._slot(digest)
            self._table[index] = digest
            self._values[index] = value
