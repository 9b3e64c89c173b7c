"""Product photos for the demo catalog, drawn on the spot: `make run` works offline on a fresh clone.

The sample feeds in `examples/` name image URLs of a placeholder service, which a machine without a
network cannot fetch. The demo draws a studio-style picture for each of those URLs instead and hands
the bytes to the same pipeline a fetched image goes through (renditions, embedding, index). A
product's silhouette and fabric pattern come from its handle and category, a SKU's colour from its
colour option; "detail" and "alt" URLs are close-ups. Deterministic: the same URL always gives the
same picture.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

SIZE = 800

NAMED_COLOURS = {
    "black": (34, 34, 38),
    "charcoal": (60, 62, 66),
    "graphite": (70, 72, 78),
    "grey": (128, 130, 134),
    "gray": (128, 130, 134),
    "heather": (150, 146, 152),
    "white": (236, 234, 228),
    "ivory": (238, 232, 214),
    "oat": (214, 200, 172),
    "sand": (206, 186, 150),
    "natural": (216, 202, 176),
    "camel": (184, 140, 90),
    "tan": (190, 150, 104),
    "brown": (112, 74, 46),
    "rust": (168, 78, 40),
    "red": (184, 38, 40),
    "burgundy": (118, 28, 44),
    "orange": (226, 110, 36),
    "yellow": (232, 196, 48),
    "mustard": (202, 160, 40),
    "olive": (104, 110, 52),
    "sage": (150, 168, 132),
    "green": (48, 120, 70),
    "forest": (34, 84, 52),
    "teal": (30, 118, 122),
    "blue": (44, 92, 170),
    "storm": (68, 96, 128),
    "navy": (30, 42, 82),
    "indigo": (52, 52, 120),
    "sky": (120, 170, 220),
    "purple": (104, 60, 140),
    "pink": (222, 140, 160),
    "blush": (226, 176, 170),
    "terracotta": (190, 96, 64),
    "slate": (96, 108, 122),
}


@dataclass(frozen=True)
class DemoImageSpec:
    """What to draw for one image URL."""

    url: str
    product_key: str
    category: str
    colour: str | None = None


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def colour_for(name: str | None, fallback: random.Random) -> tuple[int, int, int]:
    if name:
        lowered = name.lower()
        for word, rgb in NAMED_COLOURS.items():
            if word in lowered:
                return rgb
        seeded = _rng("colour", lowered)
        return (seeded.randrange(30, 230), seeded.randrange(30, 230), seeded.randrange(30, 230))
    return (fallback.randrange(30, 230), fallback.randrange(30, 230), fallback.randrange(30, 230))


def _kind(category: str, key: str) -> str:
    text = f"{category} {key}".lower()
    for kind, words in (
        ("trousers", ("trouser", "pant", "short", "jean", "chino")),
        ("shoe", ("footwear", "shoe", "runner", "boot", "sneaker")),
        ("bag", ("pack", "bag", "tote")),
        ("hat", ("beanie", "hat", "cap")),
        ("glove", ("glove", "mitten")),
        ("bedding", ("duvet", "sheet", "pillow", "bedding", "throw", "blanket", "towel")),
        ("lamp", ("lamp", "light")),
        ("vessel", ("vase", "mug", "cup", "bowl", "carafe", "candle", "pot")),
        (
            "top",
            (
                "jacket",
                "shirt",
                "hoodie",
                "layer",
                "vest",
                "sweater",
                "overshirt",
                "knit",
                "cardigan",
                "coat",
            ),
        ),
    ):
        if any(word in text for word in words):
            return kind
    return "top"


def _silhouette(kind: str, rng: random.Random) -> list[list[tuple[float, float]]]:
    """Polygons in a unit square (0..1), centred."""
    j = lambda spread: rng.uniform(-spread, spread)  # noqa: E731 - a tiny local jitter
    if kind == "top":
        shoulder, waist, sleeve = 0.3 + j(0.04), 0.26 + j(0.05), 0.62 + j(0.18)
        neck = 0.07 + j(0.03)
        body = [
            (0.5 - neck, 0.18),
            (0.5 - shoulder, 0.24),
            (0.5 - shoulder - 0.14, 0.24 + sleeve * 0.55),
            (0.5 - shoulder - 0.04, 0.27 + sleeve * 0.58),
            (0.5 - shoulder + 0.04, 0.42),
            (0.5 - waist, 0.86 + j(0.05)),
            (0.5 + waist, 0.86 + j(0.05)),
            (0.5 + shoulder - 0.04, 0.42),
            (0.5 + shoulder + 0.04, 0.27 + sleeve * 0.58),
            (0.5 + shoulder + 0.14, 0.24 + sleeve * 0.55),
            (0.5 + shoulder, 0.24),
            (0.5 + neck, 0.18),
            (0.5, 0.24 + j(0.04)),
        ]
        return [body]
    if kind == "trousers":
        waist, hem, length = 0.22 + j(0.03), 0.1 + j(0.04), 0.45 + rng.uniform(0, 0.4)
        return [
            [
                (0.5 - waist, 0.12),
                (0.5 + waist, 0.12),
                (0.5 + waist + 0.04, 0.12 + length),
                (0.5 + 0.02, 0.12 + length),
                (0.5, 0.32),
                (0.5 - 0.02, 0.12 + length),
                (0.5 - waist - 0.04, 0.12 + length),
            ],
            [(0.5 - waist, 0.12), (0.5 + waist, 0.12), (0.5 + waist, 0.16 + hem * 0.1), (0.5 - waist, 0.16)],
        ]
    if kind == "shoe":
        toe, heel = 0.86 + j(0.04), 0.38 + j(0.06)
        return [
            [
                (0.12, 0.62),
                (0.16, 0.36),
                (0.3, 0.34),
                (0.46, heel + 0.1),
                (0.72, 0.5),
                (toe, 0.58),
                (0.88, 0.68),
                (0.12, 0.7),
            ],
            [(0.1, 0.68), (0.9, 0.66), (0.9, 0.74), (0.1, 0.76)],
        ]
    if kind == "bag":
        width, top = 0.28 + j(0.05), 0.22 + j(0.05)
        return [
            [
                (0.5 - width, top + 0.08),
                (0.5 - width + 0.06, top),
                (0.5 + width - 0.06, top),
                (0.5 + width, top + 0.08),
                (0.5 + width, 0.86),
                (0.5 - width, 0.86),
            ],
            [
                (0.5 - 0.16, top + 0.3),
                (0.5 + 0.16, top + 0.3),
                (0.5 + 0.16, top + 0.48),
                (0.5 - 0.16, top + 0.48),
            ],
        ]
    if kind == "hat":
        return [
            [(0.22 + 0.56 * t / 16, 0.62 - 0.4 * (1 - ((t - 8) / 8) ** 2) ** 0.5) for t in range(17)]
            + [(0.78, 0.72), (0.22, 0.72)],
        ]
    if kind == "glove":
        fingers = [
            [
                (0.3 + i * 0.1, 0.2 + abs(i - 1.5) * 0.05),
                (0.38 + i * 0.1, 0.2 + abs(i - 1.5) * 0.05),
                (0.38 + i * 0.1, 0.5),
                (0.3 + i * 0.1, 0.5),
            ]
            for i in range(4)
        ]
        return [
            *fingers,
            [(0.28, 0.45), (0.7, 0.45), (0.68, 0.82), (0.32, 0.82)],
            [(0.18, 0.5), (0.3, 0.46), (0.32, 0.6), (0.22, 0.62)],
        ]
    if kind == "bedding":
        fold = 0.3 + j(0.1)
        return [
            [(0.12, 0.3), (0.88, 0.26), (0.9, 0.78), (0.1, 0.8)],
            [(0.12, 0.3), (0.88, 0.26), (0.88, 0.26 + fold * 0.3), (0.12, 0.3 + fold * 0.3)],
        ]
    if kind == "lamp":
        return [
            [(0.32, 0.16), (0.68, 0.16), (0.78, 0.42), (0.22, 0.42)],
            [(0.47, 0.42), (0.53, 0.42), (0.53, 0.8), (0.47, 0.8)],
            [(0.34, 0.8), (0.66, 0.8), (0.66, 0.86), (0.34, 0.86)],
        ]
    width = 0.2 + j(0.08)
    return [
        [(0.5 - width, 0.22), (0.5 + width, 0.22), (0.5 + width + 0.06, 0.82), (0.5 - width - 0.06, 0.82)]
    ]


def _pattern(image: Image.Image, rng: random.Random, base: tuple[int, int, int]) -> None:
    draw = ImageDraw.Draw(image)
    accent = tuple(min(255, max(0, c + rng.choice((-70, -50, 50, 70)))) for c in base)
    style = rng.choice(("stripes", "checks", "dots", "plain", "panels", "chevron"))
    step = rng.randrange(28, 90)
    if style == "stripes":
        for x in range(-SIZE, 2 * SIZE, step):
            draw.line([(x, 0), (x + rng.choice((0, SIZE // 2)), SIZE)], fill=accent, width=max(4, step // 4))
    elif style == "checks":
        for x in range(0, SIZE, step):
            draw.line([(x, 0), (x, SIZE)], fill=accent, width=max(3, step // 6))
            draw.line([(0, x), (SIZE, x)], fill=accent, width=max(3, step // 6))
    elif style == "dots":
        for x in range(step // 2, SIZE, step):
            for y in range(step // 2, SIZE, step):
                r = step // 6
                draw.ellipse((x - r, y - r, x + r, y + r), fill=accent)
    elif style == "panels":
        y = rng.randrange(200, 600)
        draw.rectangle((0, y, SIZE, y + rng.randrange(60, 180)), fill=accent)
    elif style == "chevron":
        for y in range(0, SIZE + step, step):
            draw.line([(0, y), (SIZE // 2, y + step // 2), (SIZE, y)], fill=accent, width=max(4, step // 5))


def draw_product(spec: DemoImageSpec) -> bytes:
    """An 800 x 800 JPEG of the product on a soft studio background."""
    product = _rng("product", spec.product_key)
    kind = _kind(spec.category, spec.product_key)
    base = colour_for(spec.colour, product)
    background = tuple(rng_value for rng_value in (product.randrange(228, 250),) * 3)
    canvas = Image.new("RGB", (SIZE, SIZE), background)
    shade = ImageDraw.Draw(canvas)
    shade.ellipse((150, 690, 650, 760), fill=tuple(c - 30 for c in background))
    fabric = Image.new("RGB", (SIZE, SIZE), base)
    _pattern(fabric, _rng("pattern", spec.product_key), base)
    mask = Image.new("L", (SIZE, SIZE), 0)
    outline = ImageDraw.Draw(mask)
    polygons = _silhouette(kind, _rng("shape", spec.product_key))
    for polygon in polygons:
        outline.polygon([(x * SIZE, y * SIZE) for x, y in polygon], fill=255)
    canvas.paste(fabric, (0, 0), mask.filter(ImageFilter.GaussianBlur(1.2)))
    details = ImageDraw.Draw(canvas)
    detail_rng = _rng("details", spec.product_key)
    trim = tuple(max(0, c - 60) for c in base)
    for polygon in polygons[:1]:
        details.line([(x * SIZE, y * SIZE) for x, y in [*polygon, polygon[0]]], fill=trim, width=5)
    for _ in range(detail_rng.randrange(1, 4)):
        x, y = detail_rng.randrange(300, 500), detail_rng.randrange(300, 600)
        r = detail_rng.randrange(10, 26)
        details.ellipse(
            (x - r, y - r, x + r, y + r), fill=(detail_rng.randrange(200, 256),) * 3, outline=trim, width=3
        )
    if detail_rng.random() < 0.6:
        x = detail_rng.randrange(330, 470)
        details.line([(x, 260), (x + detail_rng.randrange(-20, 20), 700)], fill=trim, width=6)
    lowered = spec.url.lower()
    if "detail" in lowered or "alt" in lowered:
        zoom = _rng("zoom", spec.url)
        left, top = zoom.randrange(120, 260), zoom.randrange(140, 300)
        canvas = canvas.crop((left, top, left + 420, top + 420)).resize(
            (SIZE, SIZE), Image.Resampling.BICUBIC
        )
    buffer = io.BytesIO()
    canvas.filter(ImageFilter.GaussianBlur(0.6)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def specs_for(
    product_key: str, category: str, images: Sequence[str], sku_images: Sequence[tuple[str, str | None]]
) -> list[DemoImageSpec]:
    """One spec per distinct URL of a product: its own images, then each SKU image with its colour."""
    found: dict[str, DemoImageSpec] = {}
    first_colour = next((colour for _, colour in sku_images if colour), None)
    for url in images:
        found.setdefault(url, DemoImageSpec(url, product_key, category, first_colour))
    for url, colour in sku_images:
        found.setdefault(url, DemoImageSpec(url, product_key, category, colour))
    return list(found.values())
