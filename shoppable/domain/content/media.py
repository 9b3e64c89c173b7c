"""Which uploads we accept, and how we recognise what was really uploaded.

Clients declare a filename, a content type and a size when they ask to upload. None of it is
trusted: the object key is ours, the size is checked against the stored object, and the type is
read from the file's first bytes (its "magic"), so a PNG declared as JPEG or an executable renamed
`.jpg` is refused whatever the client said.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shoppable.domain.errors import ErrorCode, FieldError

MEBIBYTE = 1024 * 1024
MAX_FILENAME_LENGTH = 255
MAX_KEY_LENGTH = 512
SNIFF_BYTES = 64
"""How many leading bytes `sniff_content_type` needs to recognise every type we accept."""


class MediaKind(StrEnum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"


@dataclass(frozen=True)
class MediaType:
    content_type: str
    kind: MediaKind
    extension: str


MEDIA_TYPES: dict[str, MediaType] = {
    media_type.content_type: media_type
    for media_type in (
        MediaType("image/jpeg", MediaKind.IMAGE, "jpg"),
        MediaType("image/png", MediaKind.IMAGE, "png"),
        MediaType("image/webp", MediaKind.IMAGE, "webp"),
        MediaType("image/heic", MediaKind.IMAGE, "heic"),
        MediaType("image/heif", MediaKind.IMAGE, "heif"),
        MediaType("video/mp4", MediaKind.VIDEO, "mp4"),
        MediaType("video/quicktime", MediaKind.VIDEO, "mov"),
    )
}
"""Every content type an upload may declare, with its kind and the extension of its object key."""

CONTENT_TYPE_BY_EXTENSION: dict[str, str] = {t.extension: t.content_type for t in MEDIA_TYPES.values()} | {
    "jpeg": "image/jpeg",
}

# HEIC and HEIF are one container; phones and browsers use either name for the same file.
_EQUIVALENT_TYPES = {"image/heif": "image/heic"}


GIBIBYTE = 1024 * MEBIBYTE
WEBP_MAX_SIDE = 16_383
"""WebP cannot encode an image wider or taller than this; renditions are scaled to fit."""


@dataclass(frozen=True)
class MediaLimits:
    """Every limit on uploads and their processing; the byte sizes and the upload lifetime can be tuned
    by operators (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, UPLOAD_TTL_SECONDS), the rest are fixed here."""

    max_image_bytes: int = 20 * MEBIBYTE
    max_video_bytes: int = 500 * MEBIBYTE
    upload_ttl_seconds: int = 15 * 60
    max_image_pixels: int = 64_000_000
    """Above any phone camera's normal output (48-50 MP); a 20 MB PNG can claim far more, and decoding
    it would take gigabytes of memory (a "decompression bomb")."""
    max_concurrent_image_decodes: int = 2
    """Per process: a 64-megapixel image takes about 250 MB while it is decoded and resized."""
    max_video_duration_ms: int = 10 * 60 * 1000
    creator_bytes_per_day: int = 2 * GIBIBYTE
    """What one creator may upload in 24 hours (completed media and uploads in progress)."""
    member_bytes_per_day: int = 20 * MEBIBYTE
    """What someone who is not (yet) a creator may upload in 24 hours: images only, for the avatar they
    choose when they become one. Media nothing uses is deleted (see `retention.py`)."""

    def max_bytes(self, kind: MediaKind) -> int:
        return self.max_image_bytes if kind is MediaKind.IMAGE else self.max_video_bytes

    def bytes_per_day(self, is_creator: bool) -> int:
        return self.creator_bytes_per_day if is_creator else self.member_bytes_per_day


def normalize_content_type(content_type: str | None) -> str:
    """`"IMAGE/JPEG; charset=x"` -> `"image/jpeg"`; the form stored and pinned in upload policies."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def media_type(content_type: str | None) -> MediaType | None:
    return MEDIA_TYPES.get(normalize_content_type(content_type))


def same_media_type(declared: str, sniffed: str) -> bool:
    declared, sniffed = normalize_content_type(declared), normalize_content_type(sniffed)
    return _EQUIVALENT_TYPES.get(declared, declared) == _EQUIVALENT_TYPES.get(sniffed, sniffed)


def validate_upload_request(
    filename: str, content_type: str, byte_size: int, limits: MediaLimits
) -> list[FieldError]:
    """Problems with a `createUpload` input, empty when an upload may start."""
    errors: list[FieldError] = []
    name = (filename or "").strip()
    if not name:
        errors.append(FieldError(("filename",), ErrorCode.INVALID, "A filename is required."))
    elif len(name) > MAX_FILENAME_LENGTH:
        errors.append(
            FieldError(
                ("filename",), ErrorCode.INVALID, f"A filename has at most {MAX_FILENAME_LENGTH} characters."
            )
        )
    elif (
        any(c in name for c in "/\\")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
        or name in {".", ".."}
    ):
        errors.append(
            FieldError(
                ("filename",),
                ErrorCode.INVALID,
                "A filename may not contain path separators or control characters.",
            )
        )

    declared = media_type(content_type)
    if declared is None:
        accepted = ", ".join(MEDIA_TYPES)
        errors.append(
            FieldError(
                ("contentType",),
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"Uploads must be one of: {accepted}.",
            )
        )

    if isinstance(byte_size, bool) or not isinstance(byte_size, int) or byte_size <= 0:
        errors.append(
            FieldError(("byteSize",), ErrorCode.INVALID, "byteSize must be a positive number of bytes.")
        )
    elif declared is not None and byte_size > limits.max_bytes(declared.kind):
        limit = limits.max_bytes(declared.kind)
        errors.append(
            FieldError(
                ("byteSize",),
                ErrorCode.TOO_LARGE,
                f"{declared.kind.value.title()}s may be at most {_human_size(limit)}.",
            )
        )
    return errors


# ISO base media file format (MP4, QuickTime, HEIF) brands, from the `ftyp` box.
HEIC_BRANDS = frozenset({"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"})
HEIF_BRANDS = frozenset({"mif1", "msf1", "mif2"})
AVIF_BRANDS = frozenset({"avif", "avis"})
MP4_BRANDS = frozenset(
    {
        "isom",
        "iso2",
        "iso3",
        "iso4",
        "iso5",
        "iso6",
        "iso7",
        "iso8",
        "iso9",
        "mp41",
        "mp42",
        "mp71",
        "avc1",
        "av01",
        "hvc1",
        "dash",
        "M4V ",
        "M4VH",
        "M4VP",
        "MSNV",
        "NDAS",
        "mmp4",
    }
)
AUDIO_BRANDS = frozenset({"M4A ", "M4B ", "M4P "})
QUICKTIME_BRAND = "qt  "
# Old QuickTime files have no `ftyp`; they start with one of these atoms.
QUICKTIME_LEADING_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def sniff_content_type(head: bytes) -> str | None:
    """The accepted content type the first bytes of a file show, or None for anything else.

    Pass at least `SNIFF_BYTES` bytes when the file has that many.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if len(head) >= 8 and head[4:8] in QUICKTIME_LEADING_ATOMS:
        return "video/quicktime"
    return None


def _sniff_ftyp(head: bytes) -> str | None:
    box_size = int.from_bytes(head[:4], "big")
    if box_size < 16:
        box_size = 16
    major = head[8:12].decode("latin-1")
    compatible = {head[i : i + 4].decode("latin-1") for i in range(16, min(box_size, len(head)) - 3, 4)}
    brands = [major, *sorted(compatible)]
    if major == QUICKTIME_BRAND:
        return "video/quicktime"
    if major in AUDIO_BRANDS:
        return None
    if major in HEIC_BRANDS:
        return "image/heic"
    if major in HEIF_BRANDS:
        if compatible & HEIC_BRANDS:
            return "image/heic"
        if compatible & AVIF_BRANDS:
            return None
        return "image/heif"
    if major in MP4_BRANDS:
        return "video/mp4"
    # An unfamiliar major brand: decide by what the file says it is compatible with.
    if QUICKTIME_BRAND in brands:
        return "video/quicktime"
    if compatible & HEIC_BRANDS:
        return "image/heic"
    if compatible & MP4_BRANDS:
        return "video/mp4"
    return None


def check_object(
    declared_type: str,
    declared_size: int,
    actual_size: int | None,
    head: bytes,
    *,
    stored_content_type: str | None = None,
) -> list[FieldError]:
    """Problems with a stored upload compared with what `createUpload` declared; empty when it matches.

    `actual_size` is None when no object was stored; `head` is the object's first bytes (at least
    `SNIFF_BYTES`). Pass the Content-Type the store recorded as `stored_content_type` where clients
    set it (S3 form uploads): a store that does not enforce the upload policy would otherwise serve
    the file as whatever the client claimed, `text/html` included. The caller deletes the object
    whenever this returns errors.
    """
    if actual_size is None:
        return [FieldError(("uploadId",), ErrorCode.NOT_FOUND, "Nothing was uploaded for this upload.")]
    errors: list[FieldError] = []
    if actual_size != declared_size:
        errors.append(
            FieldError(
                ("byteSize",),
                ErrorCode.INVALID,
                f"The uploaded file has {actual_size} bytes, not the {declared_size} declared.",
            )
        )
    if stored_content_type is not None and normalize_content_type(
        stored_content_type
    ) != normalize_content_type(declared_type):
        errors.append(
            FieldError(
                ("contentType",),
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"The file was stored as {stored_content_type}, not the {normalize_content_type(declared_type)} declared.",
            )
        )
        return errors
    sniffed = sniff_content_type(head)
    if sniffed is None:
        errors.append(
            FieldError(
                ("contentType",),
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "The uploaded file is not a supported image or video.",
            )
        )
    elif not same_media_type(declared_type, sniffed):
        errors.append(
            FieldError(
                ("contentType",),
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"The uploaded file is {sniffed}, not the {normalize_content_type(declared_type)} declared.",
            )
        )
    return errors


def new_object_key(kind: MediaKind, content_type: str, *, now: datetime | None = None) -> str:
    """A fresh key such as `uploads/2026/11/<32 hex>.jpg`; nothing in it comes from the client."""
    declared = media_type(content_type)
    if declared is None or declared.kind is not kind:
        raise ValueError(f"{content_type!r} is not an accepted {kind.value.lower()} type")
    moment = now or datetime.now(UTC)
    return f"uploads/{moment:%Y}/{moment:%m}/{uuid.uuid4().hex}.{declared.extension}"


SERVED_PREFIX = "media/"
"""The only keys that are ever served (`/media/...` on local disk; on S3 make only this prefix public).
Uploads (`uploads/...`) are written by clients and are never served."""


def is_served_key(key: str) -> bool:
    return is_valid_object_key(key) and key.startswith(SERVED_PREFIX)


def rendition_prefix(key: str) -> str:
    """What every rendition key of `key` starts with (`uploads/2026/11/abc.jpg` -> `.../abc.w`)."""
    stem = key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key
    return f"{stem}.w"


def rendition_key(key: str, width: int) -> str:
    """`uploads/2026/11/abc.jpg`, 640 -> `uploads/2026/11/abc.w640.webp` (renditions are WebP)."""
    if width <= 0:
        raise ValueError("width must be positive")
    return f"{rendition_prefix(key)}{width}.webp"


_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def is_valid_object_key(key: str) -> bool:
    """A relative path of plain segments: no `..`, no hidden or empty segments, no absolute paths.

    Stores refuse any other key before touching disk or a bucket.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        return False
    return all(_KEY_SEGMENT.fullmatch(segment) for segment in key.split("/"))


def content_type_for_key(key: str) -> str | None:
    """The content type a stored key is served with, from its extension (keys are ours)."""
    name = key.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return CONTENT_TYPE_BY_EXTENSION.get(name.rsplit(".", 1)[1].lower())


def _human_size(size: int) -> str:
    if size % MEBIBYTE == 0:
        return f"{size // MEBIBYTE} MB"
    return f"{size} bytes"
