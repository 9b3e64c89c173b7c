"""`shoppable vision eval`: how well visual search finds a product from a realistic photo of it.

The benchmark is built from the catalog's own images: each indexed image of a visible product is
altered the way a shopper's photo differs from a product shot (a crop, a rotation, a perspective
tilt, other lighting, a colour cast, blur, heavy JPEG compression, the product small on a cluttered
background, and all of a phone photo's changes at once), then searched for through the same path as
`visualSearch` (embedding, index, the database's visibility check). A query is a hit at k when one of
its first k products shows the original image. Latency is per query: embedding plus search.
"""

from __future__ import annotations

import io
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from shoppable.domain.vision.limits import SEARCH_UPLOAD_MAX_PIXELS
from shoppable.domain.vision.records import CatalogImage
from shoppable.domain.vision.search import nearest_products
from shoppable.storage.vision.index import _new_index

if TYPE_CHECKING:
    from shoppable.services import Services

Augmentation = Callable[[Image.Image, random.Random], Image.Image]


def crop(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    share = rng.uniform(0.55, 0.8)
    w, h = int(width * math.sqrt(share)), int(height * math.sqrt(share))
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    return image.crop((left, top, left + w, top + h))


def rotation(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(8, 25)
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=_corner(image))


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    d = 0.12
    corners = [
        (rng.uniform(0, d) * width, rng.uniform(0, d) * height),
        (width - rng.uniform(0, d) * width, rng.uniform(0, d) * height),
        (width - rng.uniform(0, d) * width, height - rng.uniform(0, d) * height),
        (rng.uniform(0, d) * width, height - rng.uniform(0, d) * height),
    ]
    target = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    return image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(target, corners),
        Image.Resampling.BILINEAR,
    )


def lighting(image: Image.Image, rng: random.Random) -> Image.Image:
    brighter = ImageEnhance.Brightness(image).enhance(
        rng.choice((rng.uniform(0.55, 0.8), rng.uniform(1.2, 1.45)))
    )
    return ImageEnhance.Contrast(brighter).enhance(rng.uniform(0.7, 1.3))


def colour_shift(image: Image.Image, rng: random.Random) -> Image.Image:
    array = np.asarray(image.convert("RGB"), dtype=np.float32)
    gains = np.array([rng.uniform(0.8, 1.2) for _ in range(3)], dtype=np.float32)
    shifted = np.clip(array * gains, 0, 255).astype(np.uint8)
    return ImageEnhance.Color(Image.fromarray(shifted)).enhance(rng.uniform(0.7, 1.3))


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(1.5, 3.5) * image.size[0] / 640))


def jpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=rng.randint(8, 20))
    return Image.open(io.BytesIO(buffer.getvalue()))


def cluttered_background(image: Image.Image, rng: random.Random) -> Image.Image:
    """The product at 55-75% of a busy scene: shapes of every colour, lines, noise."""
    width, height = image.size
    scene = Image.new("RGB", (width, height), tuple(rng.randrange(0, 256) for _ in range(3)))
    draw = ImageDraw.Draw(scene)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(10, width // 5)
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
        else:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = np.asarray(scene, dtype=np.int16) + np.random.default_rng(rng.randrange(1 << 30)).integers(
        -25, 25, (height, width, 3)
    )
    scene = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))
    scale = rng.uniform(0.55, 0.75)
    small = image.resize((int(width * scale), int(height * scale)), Image.Resampling.BILINEAR)
    scene.paste(
        small, (rng.randrange(0, width - small.size[0] + 1), rng.randrange(0, height - small.size[1] + 1))
    )
    return scene


def phone_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """A bit of everything: what a shopper's snapshot of a product usually is."""
    for step in (crop, rotation, lighting, colour_shift, jpeg):
        image = step(image, rng)
    return image


AUGMENTATIONS: dict[str, Augmentation] = {
    "crop": crop,
    "rotation": rotation,
    "perspective": perspective,
    "lighting": lighting,
    "colour": colour_shift,
    "blur": blur,
    "jpeg": jpeg,
    "clutter": cluttered_background,
    "phone_photo": phone_photo,
}


def _corner(image: Image.Image) -> tuple[int, ...]:
    pixel = image.convert("RGB").getpixel((0, 0))
    return tuple(pixel) if isinstance(pixel, tuple) else (int(pixel or 0),) * 3


def _perspective_coefficients(
    target: list[tuple[float, float]], source: list[tuple[float, float]]
) -> tuple[float, ...]:
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for point in source for c in point], dtype=np.float64)
    return tuple(float(c) for c in np.linalg.solve(a, b))


@dataclass
class EvalReport:
    images: int = 0
    queries: int = 0
    hits_at_1: int = 0
    hits_at_10: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_augmentation: dict[str, dict[str, int]] = field(default_factory=dict)
    index_build_images_per_second: float = 0.0
    embed_images_per_second: float = 0.0
    index_size: int = 0

    def as_dict(self) -> dict[str, Any]:
        latencies = sorted(self.latencies_ms)
        return {
            "images": self.images,
            "queries": self.queries,
            "recall@1": round(self.hits_at_1 / self.queries, 4) if self.queries else None,
            "recall@10": round(self.hits_at_10 / self.queries, 4) if self.queries else None,
            "latency_ms": {
                "p50": round(statistics.median(latencies), 1) if latencies else None,
                "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            },
            "by_augmentation": {
                name: {
                    "queries": counts["queries"],
                    "recall@1": round(counts["hits@1"] / counts["queries"], 4),
                    "recall@10": round(counts["hits@10"] / counts["queries"], 4),
                }
                for name, counts in self.by_augmentation.items()
            },
            "index_size": self.index_size,
            "embed_images_per_second": round(self.embed_images_per_second, 1),
            "index_build_images_per_second": round(self.index_build_images_per_second, 1),
        }


async def evaluate(
    services: Services, *, limit: int | None = None, seed: int = 7, augmentations: list[str] | None = None
) -> EvalReport:
    """Recall@1 and @10 over every (image, augmentation) pair, query latency, and build rates."""
    names = augmentations or list(AUGMENTATIONS)
    rng = random.Random(seed)
    report = EvalReport()
    uow = services.database.unit_of_work()
    async with uow:
        await services.visual_index.catch_up(uow.vision)
        images: list[CatalogImage] = []
        after = 0
        while page := await uow.vision.ready_images(after, 500):
            images += page
            after = page[-1].id
        candidates = await uow.vision.visible_candidates({image.id: 1.0 for image in images})
        owners: dict[int, set[int]] = {}
        for candidate in candidates:
            owners.setdefault(candidate.image_id, set()).add(candidate.product_id)
        usable = [image for image in images if image.id in owners and image.renditions]
        rng.shuffle(usable)
        if limit is not None:
            usable = usable[:limit]
        report.images = len(usable)
        report.index_size = len(services.visual_index)
        originals: list[Image.Image] = []
        for image in usable:
            rendition = image.rendition_for(1080)
            assert rendition is not None
            data = await services.media.read_all(rendition.key, 32 * 1024 * 1024)
            originals.append(Image.open(io.BytesIO(data)).convert("RGB"))

        embedder = services.embedder
        started = time.perf_counter()
        vectors = [embedder.embed_images([original])[0] for original in originals]
        embedding_seconds = time.perf_counter() - started
        report.embed_images_per_second = len(originals) / embedding_seconds if embedding_seconds else 0.0
        index = _new_index()
        started = time.perf_counter()
        if vectors:
            index.add(np.arange(len(vectors), dtype=np.uint64), np.stack(vectors), threads=1)
        adding = time.perf_counter() - started
        total = embedding_seconds + adding
        report.index_build_images_per_second = len(vectors) / total if total else 0.0

        for image, original in zip(usable, originals, strict=True):
            for name in names:
                altered = AUGMENTATIONS[name](original, random.Random(rng.randrange(1 << 30)))
                buffer = io.BytesIO()
                altered.convert("RGB").save(buffer, format="JPEG", quality=90)
                query = buffer.getvalue()
                started = time.perf_counter()
                vector = await embedder.embed(query, max_pixels=SEARCH_UPLOAD_MAX_PIXELS)
                found = await nearest_products(uow, services, [vector])
                report.latencies_ms.append((time.perf_counter() - started) * 1000)
                top = [c.product_id for c in found[:10]]
                hit1 = bool(top) and top[0] in owners[image.id]
                hit10 = any(p in owners[image.id] for p in top)
                counts = report.by_augmentation.setdefault(name, {"queries": 0, "hits@1": 0, "hits@10": 0})
                counts["queries"] += 1
                counts["hits@1"] += hit1
                counts["hits@10"] += hit10
                report.queries += 1
                report.hits_at_1 += hit1
                report.hits_at_10 += hit10
    return report
