"""Upload validation, magic-byte sniffing, stored-object checks, keys and MP4 durations."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime

import pytest

from shoppable.domain.content.media import (
    MEBIBYTE,
    MEDIA_TYPES,
    MediaKind,
    MediaLimits,
    check_object,
    content_type_for_key,
    is_valid_object_key,
    new_object_key,
    normalize_content_type,
    rendition_key,
    sniff_content_type,
    validate_upload_request,
)
from shoppable.domain.content.mp4 import parse_box_header, probe_mp4_duration_ms, read_mp4_duration_ms
from shoppable.domain.errors import ErrorCode

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(40)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00" + bytes(40)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + bytes(40)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50)
GIF = b"GIF89a\x01\x00\x01\x00" + bytes(40)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    size = 16 + 4 * len(compatible)
    return struct.pack(">I", size) + b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)


HEIC = ftyp(b"heic", b"mif1", b"heic") + bytes(32)
HEIF_MIF1_HEIC = ftyp(b"mif1", b"mif1", b"heic") + bytes(32)
HEIF_PLAIN = ftyp(b"mif1", b"mif1") + bytes(32)
AVIF = ftyp(b"avif", b"avif", b"mif1", b"miaf") + bytes(32)
AVIF_MIF1_MAJOR = ftyp(b"mif1", b"avif", b"mif1", b"miaf") + bytes(32)
MP4 = ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41") + bytes(32)
MP4_MP42 = ftyp(b"mp42", b"mp42", b"isom") + bytes(32)
MP4_UNKNOWN_MAJOR = ftyp(b"XAVC", b"XAVC", b"mp42", b"iso2") + bytes(32)
M4A_AUDIO = ftyp(b"M4A ", b"M4A ", b"mp42", b"isom") + bytes(32)  # MP4-compatible, but audio only
QUICKTIME = ftyp(b"qt  ", b"qt  ") + bytes(32)
QUICKTIME_OLD = struct.pack(">I", 8) + b"wide" + struct.pack(">I", 1000) + b"mdat" + bytes(40)
THREE_GP = ftyp(b"3gp4", b"3gp4", b"3gp5") + bytes(32)

LIMITS = MediaLimits()


def codes(errors):
    return [(e.field, e.code) for e in errors]


# -- validate_upload_request -----------------------------------------------------------------------


@pytest.mark.parametrize("content_type", sorted(MEDIA_TYPES))
def test_every_accepted_type_is_valid_within_limits(content_type):
    assert validate_upload_request("clip", content_type, 1000, LIMITS) == []


def test_declared_content_type_is_normalized():
    assert validate_upload_request("a.jpg", " Image/JPEG; charset=binary", 10, LIMITS) == []
    assert normalize_content_type(" Image/JPEG; q=1") == "image/jpeg"


@pytest.mark.parametrize(
    "content_type",
    ["image/gif", "image/svg+xml", "text/html", "application/x-msdownload", "application/octet-stream", ""],
)
def test_other_types_are_unsupported(content_type):
    assert codes(validate_upload_request("a.jpg", content_type, 10, LIMITS)) == [
        (("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    ]


def test_default_limits_are_20_mb_images_500_mb_videos_15_minutes():
    assert (LIMITS.max_image_bytes, LIMITS.max_video_bytes) == (20 * MEBIBYTE, 500 * MEBIBYTE)
    assert LIMITS.upload_ttl_seconds == 900


def test_sizes_up_to_the_limit_of_the_kind_are_accepted():
    assert validate_upload_request("a.jpg", "image/jpeg", 20 * MEBIBYTE, LIMITS) == []
    assert validate_upload_request("a.mp4", "video/mp4", 500 * MEBIBYTE, LIMITS) == []


def test_a_byte_over_the_limit_is_too_large():
    image = validate_upload_request("a.jpg", "image/jpeg", 20 * MEBIBYTE + 1, LIMITS)
    video = validate_upload_request("a.mov", "video/quicktime", 500 * MEBIBYTE + 1, LIMITS)
    assert codes(image) == codes(video) == [(("byteSize",), ErrorCode.TOO_LARGE)]
    assert "20 MB" in image[0].message


def test_limits_are_configurable():
    small = MediaLimits(max_image_bytes=100, max_video_bytes=1000)
    assert codes(validate_upload_request("a.png", "image/png", 101, small)) == [
        (("byteSize",), ErrorCode.TOO_LARGE)
    ]
    assert validate_upload_request("a.mp4", "video/mp4", 101, small) == []


@pytest.mark.parametrize("byte_size", [0, -1, True, 1.5, None])
def test_byte_size_must_be_a_positive_integer(byte_size):
    assert codes(validate_upload_request("a.jpg", "image/jpeg", byte_size, LIMITS)) == [
        (("byteSize",), ErrorCode.INVALID)
    ]


@pytest.mark.parametrize(
    "filename",
    ["", "   ", "x" * 256, "../../etc/passwd", "dir/a.jpg", "C:\\a.jpg", "a\x00.jpg", "..", "a\n.jpg"],
)
def test_bad_filenames_are_invalid(filename):
    assert codes(validate_upload_request(filename, "image/jpeg", 10, LIMITS)) == [
        (("filename",), ErrorCode.INVALID)
    ]


def test_all_problems_are_reported_at_once():
    errors = validate_upload_request("", "image/gif", 0, LIMITS)
    assert {e.field for e in errors} == {("filename",), ("contentType",), ("byteSize",)}


# -- sniff_content_type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (HEIF_MIF1_HEIC, "image/heic"),
        (HEIF_PLAIN, "image/heif"),
        (MP4, "video/mp4"),
        (MP4_MP42, "video/mp4"),
        (MP4_UNKNOWN_MAJOR, "video/mp4"),
        (QUICKTIME, "video/quicktime"),
        (QUICKTIME_OLD, "video/quicktime"),
        (ELF, None),
        (WINDOWS_EXE, None),
        (GIF, None),
        (SVG, None),
        (AVIF, None),
        (AVIF_MIF1_MAJOR, None),
        (M4A_AUDIO, None),
        (THREE_GP, None),
        (b"", None),
        (b"\xff\xd8", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    ],
)
def test_sniffing_recognises_accepted_types_by_their_magic_bytes(head, expected):
    assert sniff_content_type(head) == expected


# -- check_object ----------------------------------------------------------------------------------


def test_a_stored_object_matching_its_declaration_passes():
    assert check_object("image/jpeg", 1234, 1234, JPEG) == []
    assert check_object("video/quicktime", 50, 50, QUICKTIME) == []


def test_heic_and_heif_are_the_same_container():
    assert check_object("image/heif", 10, 10, HEIC) == []
    assert check_object("image/heic", 10, 10, HEIF_PLAIN) == []


def test_png_bytes_declared_as_jpeg_are_refused():
    errors = check_object("image/jpeg", 100, 100, PNG)
    assert codes(errors) == [(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)]
    assert "image/png" in errors[0].message


def test_an_executable_renamed_jpg_is_refused():
    for executable in (ELF, WINDOWS_EXE):
        assert codes(check_object("image/jpeg", 64, 64, executable)) == [
            (("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)
        ]


def test_a_video_declared_as_an_image_is_refused():
    assert codes(check_object("image/jpeg", 64, 64, MP4)) == [
        (("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    ]


def test_a_size_other_than_declared_is_invalid():
    assert codes(check_object("image/jpeg", 100, 101, JPEG)) == [(("byteSize",), ErrorCode.INVALID)]
    assert codes(check_object("image/jpeg", 100, 99, JPEG)) == [(("byteSize",), ErrorCode.INVALID)]


def test_size_and_type_problems_are_both_reported():
    assert {e.field for e in check_object("image/jpeg", 100, 5000, ELF)} == {("byteSize",), ("contentType",)}


def test_a_missing_object_is_not_found():
    assert codes(check_object("image/jpeg", 100, None, b"")) == [(("uploadId",), ErrorCode.NOT_FOUND)]


# -- keys ------------------------------------------------------------------------------------------


def test_new_keys_are_random_dated_and_typed_by_us():
    now = datetime(2026, 11, 3, tzinfo=UTC)
    key = new_object_key(MediaKind.IMAGE, "image/jpeg", now=now)
    assert re.fullmatch(r"uploads/2026/11/[0-9a-f]{32}\.jpg", key)
    assert key != new_object_key(MediaKind.IMAGE, "image/jpeg", now=now)
    assert new_object_key(MediaKind.VIDEO, "video/quicktime", now=now).endswith(".mov")
    assert is_valid_object_key(key)


def test_a_key_kind_must_match_its_content_type():
    with pytest.raises(ValueError):
        new_object_key(MediaKind.VIDEO, "image/png")
    with pytest.raises(ValueError):
        new_object_key(MediaKind.IMAGE, "image/gif")


def test_rendition_keys_sit_beside_the_original():
    assert rendition_key("uploads/2026/11/abc.jpg", 640) == "uploads/2026/11/abc.w640.webp"
    assert rendition_key("uploads/2026/11/abc.webp", 320) == "uploads/2026/11/abc.w320.webp"
    assert is_valid_object_key(rendition_key("uploads/2026/11/abc.png", 1080))


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../secret",
        "uploads/../../x",
        "uploads//x.jpg",
        ".incoming/a.part",
        "a/./b",
        "a\\b",
        "a b",
    ],
)
def test_keys_that_could_escape_or_hide_are_invalid(key):
    assert not is_valid_object_key(key)


def test_served_content_type_comes_from_the_key_extension():
    assert content_type_for_key("uploads/2026/11/a.jpg") == "image/jpeg"
    assert content_type_for_key("uploads/2026/11/a.w320.webp") == "image/webp"
    assert content_type_for_key("uploads/2026/11/a.mov") == "video/quicktime"
    assert content_type_for_key("uploads/2026/11/a.html") is None


# -- MP4 duration ----------------------------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mvhd_v0(timescale: int, duration: int) -> bytes:
    return box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, duration) + bytes(80))


def mvhd_v1(timescale: int, duration: int) -> bytes:
    return box(b"mvhd", b"\x01\x00\x00\x00" + struct.pack(">QQIQ", 0, 0, timescale, duration) + bytes(80))


def movie(*, moov_first: bool, mvhd: bytes, media_bytes: int = 5000) -> bytes:
    head = ftyp(b"isom", b"isom", b"mp41")
    moov = box(b"moov", mvhd + box(b"trak", bytes(100)))
    mdat = box(b"mdat", bytes(media_bytes))
    return head + (moov + mdat if moov_first else mdat + moov)


def test_duration_of_a_fast_start_movie():
    assert read_mp4_duration_ms(movie(moov_first=True, mvhd=mvhd_v0(600, 9000))) == 15_000


def test_duration_with_a_version_1_movie_header():
    assert read_mp4_duration_ms(movie(moov_first=True, mvhd=mvhd_v1(90_000, 90_000 * 61 + 45_000))) == 61_500


def test_unknown_or_missing_durations_are_none():
    assert read_mp4_duration_ms(movie(moov_first=True, mvhd=mvhd_v0(0, 10))) is None
    assert read_mp4_duration_ms(movie(moov_first=True, mvhd=mvhd_v0(1000, 0xFFFFFFFF))) is None
    assert read_mp4_duration_ms(ftyp(b"isom") + box(b"mdat", bytes(10))) is None
    assert read_mp4_duration_ms(ELF) is None
    assert read_mp4_duration_ms(b"") is None


def test_box_headers_with_64_bit_sizes():
    large = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 5_000_000_000)
    header = parse_box_header(large)
    assert (header.type, header.size, header.header_size) == ("mdat", 5_000_000_000, 16)
    assert parse_box_header(struct.pack(">I", 4) + b"bad!") is None


async def test_probing_finds_a_moov_box_after_the_media_with_few_small_reads():
    data = movie(moov_first=False, mvhd=mvhd_v0(1000, 42_000), media_bytes=200_000)
    reads = []

    async def read_range(start: int, length: int) -> bytes:
        reads.append((start, length))
        return data[start : start + length]

    assert await probe_mp4_duration_ms(read_range, len(data)) == 42_000
    assert len(reads) == 4  # the ftyp, mdat and moov headers, then the moov box
    assert max(length for _, length in reads) < 300


async def test_probing_a_truncated_or_foreign_file_gives_none():
    data = movie(moov_first=False, mvhd=mvhd_v0(1000, 42_000))[:-220]  # cut inside the moov header

    async def read_range(start: int, length: int) -> bytes:
        return data[start : start + length]

    assert await probe_mp4_duration_ms(read_range, len(data)) is None

    async def read_elf(start: int, length: int) -> bytes:
        return ELF[start : start + length]

    assert await probe_mp4_duration_ms(read_elf, len(ELF)) is None


def test_a_stored_content_type_other_than_declared_is_refused():
    assert check_object("image/jpeg", 64, 64, JPEG, stored_content_type="image/jpeg") == []
    assert check_object("image/jpeg", 64, 64, JPEG, stored_content_type="IMAGE/JPEG; x=y") == []
    assert codes(check_object("image/jpeg", 64, 64, JPEG, stored_content_type="text/html")) == [
        (("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    ]
