"""Image dimensions and web renditions with Pillow, for `completeUpload`.

Renditions are the only form of a photo that is stored and served: small, WebP, upright (EXIF
orientation applied) and without EXIF or XMP metadata (no GPS position of the creator's home).
HEIC/HEIF (the iPhone default) is decoded by `pillow-heif`, whose opener is registered on import.

Limits (`MediaLimits` in the domain): at most `max_image_pixels` pixels, renditions scaled so that
neither side exceeds WebP's 16,383 pixels, and at most `max_concurrent_image_decodes` decodes at
once per process (`ImageRenderer`). The functions here are CPU-bound and synchronous: the renderer
runs them with `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError
from pillow_heif import register_heif_opener

from shoppable.domain.content.media import WEBP_MAX_SIDE, MediaLimits
from shoppable.domain.errors import DomainError, ErrorCode

register_heif_opener()

DEFAULT_MAX_PIXELS = MediaLimits.max_image_pixels
DEFAULT_RENDITION_WIDTHS = (320, 640, 1080)
WEBP_QUALITY = 80
_ORIENTATION_TAG = 0x0112
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_FORMATS = ["JPEG", "PNG", "WEBP", "HEIF"]


class ImageError(Exception):
    """An uploaded image cannot be used; the message is fit for the uploader."""


class UndecodableImage(ImageError):
    pass


class ImageTooLarge(ImageError):
    pass


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes
    content_type: str = "image/webp"


@dataclass(frozen=True)
class ProcessedImage:
    width: int | None
    height: int | None
    renditions: list[Rendition] = field(default_factory=list)


def inspect_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) as displayed (after EXIF rotation), reading only the header.

    Raises ImageTooLarge or UndecodableImage.
    """
    with _open(data, max_pixels) as image:
        return _displayed_size(image)[:2]


def make_renditions(
    data: bytes, widths: Iterable[int] = DEFAULT_RENDITION_WIDTHS, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> list[Rendition]:
    """WebP renditions at the given widths, never upscaled: a width beyond the original becomes the
    original width, so a 700 px image gives 320, 640 and 700."""
    return process_image(data, widths, max_pixels=max_pixels).renditions


def process_image(
    data: bytes, widths: Iterable[int] = DEFAULT_RENDITION_WIDTHS, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ProcessedImage:
    """Dimensions and renditions with a single decode; what `completeUpload` needs for an image.

    Memory stays near one decoded copy of the original: it is reduced (by an integer factor, still
    at least twice the largest rendition) before it is turned upright and converted.
    """
    with _open(data, max_pixels) as image:
        width, height, orientation = _displayed_size(image)
        sizes = rendition_sizes(width, height, widths)
        largest = max(w for w, _ in sizes)
        _draft_for(image, width, largest)
        try:
            image.load()
            icc_profile = image.info.get("icc_profile")
            working: Image.Image = image
            if working.mode not in {"RGB", "RGBA"}:
                working = working.convert(_web_mode(working))
            decoded_width = working.size[1] if orientation in _SWAPPED_ORIENTATIONS else working.size[0]
            factor = decoded_width // (largest * 2)  # JPEG drafts may already have decoded smaller
            if factor >= 2:
                working = working.reduce(factor)
            if orientation in _TRANSPOSE_FOR_ORIENTATION:
                working = working.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])
        except (OSError, SyntaxError, ValueError) as exc:
            raise UndecodableImage("The image is damaged or truncated.") from exc
        renditions = [_rendition(working, size, icc_profile) for size in sizes]
    return ProcessedImage(width=width, height=height, renditions=renditions)


def rendition_sizes(width: int, height: int, widths: Iterable[int]) -> list[tuple[int, int]]:
    """(width, height) of each rendition: the requested widths capped at the original's, then scaled
    down where a side would exceed WebP's limit; deduplicated, narrowest first."""
    sizes = set()
    for target in rendition_widths(width, widths):
        target_height = max(1, round(height * target / width))
        if target_height > WEBP_MAX_SIDE:
            target, target_height = max(1, round(width * WEBP_MAX_SIDE / height)), WEBP_MAX_SIDE
        if target > WEBP_MAX_SIDE:
            target, target_height = WEBP_MAX_SIDE, max(1, round(height * WEBP_MAX_SIDE / width))
        sizes.add((target, target_height))
    return sorted(sizes)


def rendition_widths(original_width: int, widths: Iterable[int]) -> list[int]:
    """The widths to produce for an image `original_width` wide: capped at it, deduplicated, ascending."""
    capped = sorted({min(w, original_width) for w in widths if w > 0})
    return capped or [original_width]


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(_too_large_message(max_pixels)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImage("The file is not an image we can read.") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise UndecodableImage("The image has no pixels.")
    if width * height > max_pixels:
        image.close()
        raise ImageTooLarge(_too_large_message(max_pixels))
    return image


def _too_large_message(max_pixels: int) -> str:
    return f"Images may have at most {max_pixels / 1_000_000:g} megapixels."


def _displayed_size(image: Image.Image) -> tuple[int, int, int | None]:
    """(width, height, EXIF orientation) as displayed."""
    width, height = image.size
    try:
        # JPEG and WebP keep EXIF in the header; for PNG this decodes the image to find the chunk.
        orientation = image.getexif().get(_ORIENTATION_TAG)
    except (OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImage("The image is damaged or truncated.") from exc
    if orientation in _SWAPPED_ORIENTATIONS:
        return height, width, orientation
    return width, height, orientation


def _draft_for(image: Image.Image, displayed_width: int, largest_target: int) -> None:
    """Let JPEG decode at 1/2, 1/4 or 1/8 scale when the renditions need no more pixels than that."""
    if image.format != "JPEG" or largest_target >= displayed_width:
        return
    scale = largest_target / displayed_width
    raw_width, raw_height = image.size
    image.draft("RGB", (math.ceil(raw_width * scale), math.ceil(raw_height * scale)))


def _web_mode(image: Image.Image) -> str:
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode == "P" and "transparency" in image.info
    )
    return "RGBA" if has_alpha else "RGB"


def _rendition(upright: Image.Image, size: tuple[int, int], icc_profile: bytes | None) -> Rendition:
    if upright.size == size:
        resized = upright
    else:
        resized = upright.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    # Only the colour profile is carried over: no EXIF, no XMP (encoder options, not image.info).
    options: dict[str, object] = {"quality": WEBP_QUALITY, "method": 4}
    if icc_profile:
        options["icc_profile"] = icc_profile
    resized.save(buffer, format="WEBP", **options)
    return Rendition(width=size[0], height=size[1], data=buffer.getvalue())


class ImageRenderer:
    """The content domain's ImageProcessor: Pillow in a worker thread, its refusals as userErrors.

    At most `max_concurrent_image_decodes` images are decoded at once: four 64-megapixel PNGs
    decoded together would take well over a gigabyte.
    """

    def __init__(self, limits: MediaLimits | None = None) -> None:
        limits = limits or MediaLimits()
        self.max_pixels = limits.max_image_pixels
        self._decodes = asyncio.Semaphore(limits.max_concurrent_image_decodes)

    async def __call__(self, data: bytes, widths: Sequence[int]) -> ProcessedImage:
        async with self._decodes:
            return await render_image(data, widths, max_pixels=self.max_pixels)


async def render_image(
    data: bytes, widths: Sequence[int], *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ProcessedImage:
    """`process_image` in a worker thread, its refusals as userErrors."""
    try:
        return await asyncio.to_thread(process_image, data, tuple(widths), max_pixels=max_pixels)
    except ImageTooLarge as exc:
        raise DomainError.single(("byteSize",), ErrorCode.TOO_LARGE, str(exc)) from None
    except UndecodableImage as exc:
        raise DomainError.single(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
