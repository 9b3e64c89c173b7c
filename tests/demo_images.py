"""The demo seed's catalog images, drawn, rendered and embedded once per test run.

`shoppable seed` draws ~90 product images and renders (WebP) and embeds (EfficientNet) each: about
half a minute of CPU per seed, paid again by every test that seeds the demo data. These are pure
functions of their input, so the first seed of a run computes them for real and the later ones (in
any xdist worker: the cache is a folder of the run) read the same results back. Everything else the
seed does (rows, media files, the visual index) still happens in each test. tests/jobs/test_vision_demo.py,
which is about that image pipeline, does not use this.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from shoppable.demo import catalog_images
from shoppable.demo.product_images import DemoImageSpec
from shoppable.domain.vision import limits

T = TypeVar("T")


def _stored(path: Path, make: Callable[[], T]) -> T:
    if path.exists():
        value: T = pickle.loads(path.read_bytes())
        return value
    value = make()
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(pickle.dumps(value))
    os.replace(partial, path)  # another worker may have written the same result meanwhile: either is right
    return value


def cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent  # the run's folder, above each worker's own
    folder = run / "demo-images"
    folder.mkdir(exist_ok=True)
    return folder


def install(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    draw_product = catalog_images.draw_product
    ingest_bytes = catalog_images.ingest_bytes

    def draw(spec: DemoImageSpec) -> bytes:
        key = hashlib.sha256(repr(spec).encode()).hexdigest()
        return _stored(folder / f"drawn-{key}", lambda: draw_product(spec))

    async def ingest(uow: Any, services: Any, image: Any, data: bytes) -> Any:
        key = hashlib.sha256(data + repr(limits.CATALOG_IMAGE_WIDTHS).encode()).hexdigest()
        path = folder / f"ingested-{key}"
        embedder = services.embedder
        if path.exists():
            processed, vector = pickle.loads(path.read_bytes())
        else:
            processed = vector = None

        async def images(source: bytes, widths: Sequence[int]) -> Any:
            nonlocal processed
            if processed is None:
                processed = await services.images(source, widths)
            return processed

        class Embedder:
            model_name = embedder.model_name

            async def embed(self, source: bytes, *, max_pixels: int) -> Any:
                nonlocal vector
                if vector is None:
                    vector = await embedder.embed(source, max_pixels=max_pixels)
                return vector

        cached = path.exists()
        reading = copy.copy(services)
        reading.images = images
        reading.embedder = Embedder()
        stored = await ingest_bytes(uow, reading, image, data)
        if not cached:
            _stored(path, lambda: (processed, vector))
        return stored

    monkeypatch.setattr(catalog_images, "draw_product", draw)
    monkeypatch.setattr(catalog_images, "ingest_bytes", ingest)
