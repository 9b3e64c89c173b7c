"""Image dimensions and web renditions with Pillow, for `completeUpload`.

Renditions are what feeds should show: they are small, WebP, upright (EXIF orientation applied)
and carry no EXIF metadata (no GPS position of the creator's home), unlike the original upload.

HEIC/HEIF: Pillow cannot decode them without the `pillow-heif` plugin, which is not a dependency.
Without it such images are accepted with unknown dimensions and no renditions (`decodable=False`);
installing `pillow-heif` turns full support on, as its opener is registered when present.

These functions are CPU-bound and synchronous: call them with `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from shoppable.domain.content.media import sniff_content_type
from shoppable.domain.errors import DomainError, ErrorCode

try:  # optional plugin, see the module docstring
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:
    HEIF_SUPPORTED = False

DEFAULT_MAX_PIXELS = 64_000_000
"""Above any phone camera's normal output (48-50 MP); a 20 MB PNG can claim far more, and decoding
it would take gigabytes of memory (a "decompression bomb")."""
DEFAULT_RENDITION_WIDTHS = (320, 640, 1080)
WEBP_QUALITY = 80
_ORIENTATION_TAG = 0x0112
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_FORMATS = ["JPEG", "PNG", "WEBP"] + (["HEIF"] if HEIF_SUPPORTED else [])


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
    decodable: bool = True
    """False for HEIC/HEIF without the plugin: dimensions unknown and no renditions."""


def inspect_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int] | None:
    """(width, height) as displayed (after EXIF rotation), reading only the header.

    None when this installation cannot decode the format (HEIC without the plugin). Raises
    ImageTooLarge or UndecodableImage.
    """
    if _undecodable_here(data):
        return None
    with _open(data, max_pixels) as image:
        return _displayed_size(image)


def make_renditions(
    data: bytes, widths: Iterable[int] = DEFAULT_RENDITION_WIDTHS, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> list[Rendition]:
    """WebP renditions at the given widths, never upscaled: a width beyond the original becomes the
    original width, so a 700 px image gives 320, 640 and 700. Empty for undecodable formats."""
    return process_image(data, widths, max_pixels=max_pixels).renditions


def process_image(
    data: bytes, widths: Iterable[int] = DEFAULT_RENDITION_WIDTHS, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ProcessedImage:
    """Dimensions and renditions with a single decode; what `completeUpload` needs for an image."""
    if _undecodable_here(data):
        return ProcessedImage(width=None, height=None, renditions=[], decodable=False)
    with _open(data, max_pixels) as image:
        width, height = _displayed_size(image)
        targets = rendition_widths(width, widths)
        _draft_for(image, width, max(targets))
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise UndecodableImage("The image is damaged or truncated.") from exc
        upright = upright.convert(_web_mode(upright))
        icc_profile = image.info.get("icc_profile")
        renditions = [_rendition(upright, target, width, height, icc_profile) for target in targets]
    return ProcessedImage(width=width, height=height, renditions=renditions)


def rendition_widths(original_width: int, widths: Iterable[int]) -> list[int]:
    """The widths to produce for an image `original_width` wide: capped at it, deduplicated, ascending."""
    capped = sorted({min(w, original_width) for w in widths if w > 0})
    return capped or [original_width]


def _undecodable_here(data: bytes) -> bool:
    return not HEIF_SUPPORTED and sniff_content_type(data[:64]) in {"image/heic", "image/heif"}


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


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    try:
        # JPEG and WebP keep EXIF in the header; for PNG this decodes the image to find the chunk.
        orientation = image.getexif().get(_ORIENTATION_TAG)
    except (OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImage("The image is damaged or truncated.") from exc
    if orientation in _SWAPPED_ORIENTATIONS:
        return height, width
    return width, height


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


def _rendition(
    upright: Image.Image, target_width: int, width: int, height: int, icc_profile: bytes | None
) -> Rendition:
    target_height = max(1, round(height * target_width / width))
    if upright.size == (target_width, target_height):
        resized = upright
    else:
        resized = upright.resize((target_width, target_height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": WEBP_QUALITY, "method": 4}
    if icc_profile:
        options["icc_profile"] = icc_profile
    resized.save(buffer, format="WEBP", **options)
    return Rendition(width=target_width, height=target_height, data=buffer.getvalue())


async def render_image(data: bytes, widths: Sequence[int]) -> ProcessedImage:
    """The content domain's ImageProcessor: Pillow in a worker thread, its refusals as userErrors."""
    try:
        return await asyncio.to_thread(process_image, data, tuple(widths))
    except ImageTooLarge as exc:
        raise DomainError.single(("byteSize",), ErrorCode.TOO_LARGE, str(exc)) from None
    except UndecodableImage as exc:
        raise DomainError.single(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
