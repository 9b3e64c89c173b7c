"""The vector index of catalog images: usearch (HNSW, cosine, half precision), persisted on disk.

The database holds every embedding and is the source of truth; the index is a fast copy of it:
- loaded from `<MODEL_DIR>/vision/index.usearch` (one file: a JSON header with the model and how
  far it got, then the index) on first use, or built from the database when there is no file or it was made by another
  model;
- kept up to date as images arrive: the process that embeds an image adds it at once, and every
  process catches up from the database (embeddings stored since its watermark) before it answers a
  query, at most every `refresh_seconds`;
- written back atomically by the ingest job after new images, and rebuilt from scratch by
  `shoppable vision index`.
Below `EXACT_BELOW` vectors, searches are exact (a scan, measured at a few milliseconds); above it,
HNSW answers approximately with a wide beam (`expansion_search`).
Products that are archived or sold out stay in the index: queries drop them by checking the
database, so they disappear at once and come back when restocked without touching the index.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from usearch.index import Index

from shoppable.domain.vision.ports import StoredEmbedding, Vector, VisionRepository
from shoppable.storage.vision.embedder import DIMENSIONS, MODEL_NAME

EXACT_BELOW = 10_000
"""Exact search (a scan over half-precision vectors) takes 32 ms (p50) at 10,000 images on one busy
core and grows linearly; HNSW answers in 10 ms there with recall@10 0.94 against the exact answer
(bench/vision_index.py). Below this size the exact answer is cheap enough to always give."""
CATCH_UP_SLACK = timedelta(seconds=30)
"""Embeddings are stamped just before their transaction commits: look this far behind the watermark."""
PAGE = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _new_index() -> Index:
    return Index(
        ndim=DIMENSIONS, metric="cos", dtype="f16", connectivity=16, expansion_add=128, expansion_search=128
    )


class UsearchVisualIndex:
    """Implements `shoppable.domain.vision.ports.VectorIndex`."""

    def __init__(self, directory: Path, *, refresh_seconds: float = 2.0) -> None:
        self.directory = directory
        self.refresh_seconds = refresh_seconds
        self._index: Index | None = None
        self._watermark = _EPOCH
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._loading = asyncio.Lock()
        self._dirty = False

    @property
    def path(self) -> Path:
        return self.directory / "index.usearch"

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else 0

    # -- loading and catching up ---------------------------------------------------------------------

    def _load_file(self) -> bool:
        try:
            data = self.path.read_bytes()
            header_length = int.from_bytes(data[:4], "big")
            manifest = json.loads(data[4 : 4 + header_length])
        except (OSError, ValueError):
            return False
        if manifest.get("model") != MODEL_NAME:
            return False
        index = _new_index()
        try:
            index.load(bytearray(data[4 + header_length :]))
        except (OSError, RuntimeError, ValueError):
            return False
        self._index = index
        self._watermark = datetime.fromisoformat(manifest["watermark"])
        return True

    async def catch_up(self, repository: VisionRepository) -> None:
        if self._index is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return
        async with self._loading:
            if self._index is None and not await asyncio.to_thread(self._load_file):
                await self.rebuild(repository)
                return
            since = self._watermark - CATCH_UP_SLACK
            while True:
                found = await repository.embeddings_since(since, PAGE)
                await self.add([e for e in found if not self._contains(e.image_id)], stamps=found)
                if len(found) < PAGE:
                    break
                since = found[-1].embedded_at
            self._checked_at = time.monotonic()

    async def rebuild(self, repository: VisionRepository) -> int:
        """A new index from every stored embedding, swapped in when complete; returns its size."""
        index = _new_index()
        watermark, after = _EPOCH, 0
        while True:
            page = await repository.embeddings_after(after, PAGE)
            if page:
                keys = np.array([e.image_id for e in page], dtype=np.uint64)
                vectors = np.stack([e.vector for e in page]).astype(np.float32)
                await asyncio.to_thread(index.add, keys, vectors, threads=1)
                watermark = max(watermark, *(e.embedded_at for e in page))
                after = page[-1].image_id
            if len(page) < PAGE:
                break
        with self._lock:
            self._index, self._watermark, self._dirty = index, watermark, True
        self._checked_at = time.monotonic()
        return len(index)

    def _contains(self, key: int) -> bool:
        with self._lock:
            return self._index is not None and bool(self._index.contains(key))

    # -- changes -----------------------------------------------------------------------------------------

    async def add(self, items: Sequence[StoredEmbedding], *, stamps: Sequence[StoredEmbedding] = ()) -> None:
        """Add (or replace) vectors; `stamps` only move the watermark."""

        def apply() -> None:
            with self._lock:
                if self._index is None:
                    self._index = _new_index()
                for item in items:
                    if self._index.contains(item.image_id):
                        self._index.remove(item.image_id)
                if items:
                    keys = np.array([i.image_id for i in items], dtype=np.uint64)
                    self._index.add(keys, np.stack([i.vector for i in items]).astype(np.float32), threads=1)
                    self._dirty = True
                for item in (*items, *stamps):
                    self._watermark = max(self._watermark, item.embedded_at)

        if items or stamps:
            await asyncio.to_thread(apply)

    async def search(self, vector: Vector, k: int) -> list[tuple[int, float]]:
        def run() -> list[tuple[int, float]]:
            with self._lock:
                if self._index is None or len(self._index) == 0:
                    return []
                count = min(k, len(self._index))
                matches = self._index.search(
                    np.asarray(vector, dtype=np.float32),
                    count,
                    exact=len(self._index) < EXACT_BELOW,
                    threads=1,
                )
                return [
                    (int(key), 1.0 - float(distance))
                    for key, distance in zip(matches.keys, matches.distances, strict=True)
                ]

        return await asyncio.to_thread(run)

    async def persist(self) -> None:
        """Write the index with its header to a new file, then rename it over the old one: a reader
        (another process starting) sees the old file or the new one, never a mix."""

        def write() -> None:
            with self._lock:
                if self._index is None or not self._dirty:
                    return
                saved = self._index.save()
                assert saved is not None  # no path given: the bytes
                body = bytes(saved)
                header = json.dumps(
                    {"model": MODEL_NAME, "watermark": self._watermark.isoformat(), "count": len(self._index)}
                ).encode()
                self._dirty = False
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_bytes(len(header).to_bytes(4, "big") + header + body)
            os.replace(temporary, self.path)

        await asyncio.to_thread(write)
