"""Image dimensions and WebP renditions: sizes, no upscaling, EXIF rotation, bomb guard, HEIC."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from shoppable.domain.content.media import sniff_content_type
from shoppable.storage.imaging import (
    HEIF_SUPPORTED,
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


@pytest.mark.skipif(HEIF_SUPPORTED, reason="pillow-heif is installed, HEIC decodes")
def test_heic_degrades_to_unknown_dimensions_and_no_renditions():
    heic = struct.pack(">I", 24) + b"ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
    assert inspect_image(heic) is None
    assert make_renditions(heic) == []
    processed = process_image(heic)
    assert (processed.width, processed.height, processed.decodable) == (None, None, False)
