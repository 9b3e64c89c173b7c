"""Image dimensions and WebP renditions: sizes, no upscaling, EXIF rotation, bomb guard, HEIC, WebP's
size limit and the cap on concurrent decodes."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import time
import zlib

import pytest
from PIL import Image

from shoppable.domain.content.media import WEBP_MAX_SIDE, MediaLimits, sniff_content_type
from shoppable.storage import imaging
from shoppable.storage.imaging import (
    ImageRenderer,
    ImageTooLarge,
    UndecodableImage,
    inspect_image,
    make_renditions,
    process_image,
    rendition_widths,
)

ORIENTATION = 0x0112
GPS_INFO = 0x8825


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def photo(width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", **options) -> bytes:
    return encoded(Image.new(mode, (width, height), "orange"), fmt, **options)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be huge: what a decompression bomb looks like before decoding."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_dimensions_of_each_decodable_format(fmt):
    assert inspect_image(photo(640, 480, fmt)) == (640, 480)


def test_renditions_at_the_standard_widths_keep_the_aspect_ratio():
    renditions = make_renditions(photo(2000, 1000))
    assert [(r.width, r.height) for r in renditions] == [(320, 160), (640, 320), (1080, 540)]
    for rendition in renditions:
        assert rendition.content_type == "image/webp"
        assert sniff_content_type(rendition.data) == "image/webp"
        assert decoded(rendition.data).size == (rendition.width, rendition.height)


def test_renditions_never_upscale_and_the_largest_is_the_original_width():
    assert [r.width for r in make_renditions(photo(700, 350))] == [320, 640, 700]
    assert [(r.width, r.height) for r in make_renditions(photo(200, 100))] == [(200, 100)]
    assert rendition_widths(1080, (320, 640, 1080)) == [320, 640, 1080]
    assert rendition_widths(100, ()) == [100]


def test_a_rotated_phone_photo_is_measured_and_rendered_upright():
    # Stored sideways (400x200, left half red) with "rotate 90° clockwise to display" in EXIF.
    raw = Image.new("RGB", (400, 200), "blue")
    raw.paste("red", (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[GPS_INFO] = {1: "N", 2: (48.0, 51.0, 29.0)}
    data = encoded(raw, "JPEG", exif=exif.tobytes(), quality=95)

    assert inspect_image(data) == (200, 400)
    processed = process_image(data)
    assert (processed.width, processed.height) == (200, 400)
    [rendition] = processed.renditions
    upright = decoded(rendition.data).convert("RGB")
    assert upright.size == (200, 400)
    red, _green, blue = upright.getpixel((100, 50))
    assert red > 200 and blue < 60  # the left edge is now the top
    red, _green, blue = upright.getpixel((100, 350))
    assert blue > 200 and red < 60
    assert not decoded(rendition.data).getexif()  # no GPS position (or any EXIF) in what we serve


def test_transparency_survives():
    half_transparent = encoded(Image.new("RGBA", (400, 400), (255, 128, 0, 100)), "PNG")
    rendition = make_renditions(half_transparent)[0]
    assert decoded(rendition.data).mode == "RGBA"
    assert decoded(rendition.data).getpixel((10, 10))[3] < 128


def test_palette_and_grayscale_images_are_rendered():
    assert make_renditions(photo(400, 300, "PNG", mode="P"))[0].width == 320
    assert make_renditions(photo(400, 300, "PNG", mode="L"))[0].width == 320


def test_large_jpegs_are_decoded_at_reduced_scale_but_measured_in_full():
    processed = process_image(photo(4000, 3000, quality=60), widths=(320,))
    assert (processed.width, processed.height) == (4000, 3000)
    assert [(r.width, r.height) for r in processed.renditions] == [(320, 240)]


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = png_header_only(20_000, 20_000)  # 400 megapixels in a few dozen bytes
    assert len(bomb) < 100
    with pytest.raises(ImageTooLarge, match="megapixels"):
        inspect_image(bomb)
    with pytest.raises(ImageTooLarge):
        make_renditions(bomb)


def test_the_pixel_limit_is_configurable():
    data = photo(300, 300)
    with pytest.raises(ImageTooLarge):
        inspect_image(data, max_pixels=300 * 300 - 1)
    assert inspect_image(data, max_pixels=300 * 300) == (300, 300)


def test_pillows_own_bomb_error_is_reported_the_same_way():
    with pytest.raises(ImageTooLarge):
        inspect_image(png_header_only(50_000, 50_000), max_pixels=10**12)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff" + b"not really a jpeg" * 10,
        b"\x7fELF\x02\x01\x01\x00" + bytes(100),
        photo(40, 40, "GIF"),
        b"",
    ],
)
def test_what_is_not_a_readable_image_is_undecodable(data):
    with pytest.raises(UndecodableImage):
        inspect_image(data)


def test_a_truncated_image_is_undecodable():
    noisy = Image.effect_noise((800, 600), 50).convert("RGB")
    jpeg, png = encoded(noisy, "JPEG"), encoded(noisy, "PNG")
    truncated_jpeg = jpeg[: len(jpeg) // 2]
    assert inspect_image(truncated_jpeg) == (800, 600)  # the header is intact
    with pytest.raises(UndecodableImage):
        process_image(truncated_jpeg)
    with pytest.raises(UndecodableImage):
        process_image(png[: len(png) // 2])


def gps_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[GPS_INFO] = {1: "N", 2: (48.0, 51.0, 29.0)}
    return exif.tobytes()


def test_an_iphone_heic_photo_gets_upright_renditions_without_its_gps_position():
    raw = Image.new("RGB", (1200, 800), "blue")
    raw.paste("red", (0, 0, 600, 800))
    heic = encoded(raw, "HEIF", exif=gps_exif(orientation=6), quality=90)
    assert sniff_content_type(heic) == "image/heic"
    assert inspect_image(heic) == (800, 1200)

    processed = process_image(heic)
    assert (processed.width, processed.height) == (800, 1200)
    assert [(r.width, r.height) for r in processed.renditions] == [(320, 480), (640, 960), (800, 1200)]
    for rendition in processed.renditions:
        served = decoded(rendition.data)
        assert served.format == "WEBP"
        assert not served.getexif() and "exif" not in served.info and "xmp" not in served.info
    top = decoded(processed.renditions[0].data).convert("RGB").getpixel((160, 20))
    assert top[0] > 200 and top[2] < 60  # the red left half is now on top


def test_a_very_tall_image_gets_renditions_webp_can_encode():
    """1000x17000 (a long screenshot): WebP stops at 16,383 pixels a side, so the largest rendition
    is scaled to fit rather than failing every completion."""
    processed = process_image(photo(1000, 17_000, "PNG"))
    assert (processed.width, processed.height) == (1000, 17_000)
    sizes = [(r.width, r.height) for r in processed.renditions]
    assert sizes == [(320, 5440), (640, 10_880), (964, WEBP_MAX_SIDE)]
    assert all(decoded(r.data).size == (r.width, r.height) for r in processed.renditions)


def test_a_very_wide_image_is_capped_on_its_width_too():
    assert imaging.rendition_sizes(40_000, 100, (320, 640, 1080, 20_000)) == [
        (320, 1),
        (640, 2),
        (1080, 3),
        (WEBP_MAX_SIDE, 41),
    ]


def test_big_images_are_reduced_before_they_are_converted():
    processed = process_image(photo(6000, 4000, "PNG"))
    assert [(r.width, r.height) for r in processed.renditions] == [(320, 213), (640, 427), (1080, 720)]


async def test_at_most_the_configured_number_of_images_are_decoded_at_once(monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()

    def slow_process(data, widths, *, max_pixels):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return imaging.ProcessedImage(1, 1, [])

    monkeypatch.setattr(imaging, "process_image", slow_process)
    renderer = ImageRenderer(MediaLimits(max_concurrent_image_decodes=2))
    await asyncio.gather(*(renderer(b"", (320,)) for _ in range(8)))
    assert most == 2
    assert MediaLimits().max_concurrent_image_decodes == 2
