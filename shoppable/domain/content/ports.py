"""What the content domain needs from a media store (local disk or S3); `storage` implements it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

DEFAULT_HEAD_BYTES = 64 * 1024
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
"""Keys are never reused (a fresh random name per upload), so served media may be cached forever."""


@dataclass(frozen=True)
class UploadTarget:
    """Where and how the client sends the bytes.

    S3: `method="POST"`, a multipart form with `fields` first and the file last (field name `file`).
    Local disk: `method="PUT"` of the raw body with `headers`.
    """

    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str | None
    last_modified: datetime | None = None


class MediaStoreError(Exception):
    """The store failed (network, disk); not the client's fault."""


class ObjectNotFound(LookupError):
    """No object at that key."""


class InvalidObjectKey(ValueError):
    """A key that could escape the media root or name something hidden; refused before any I/O."""


class ObjectTooLarge(Exception):
    """An object is bigger than the caller is willing to read into memory."""


@runtime_checkable
class MediaStore(Protocol):
    """Every method refuses an invalid key (see `is_valid_object_key`) with InvalidObjectKey."""

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        """Permission to upload exactly one object at `key`, of `content_type` and 1..max_bytes bytes,
        for `expires_in` seconds."""
        ...

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and stored type of an object, None when there is none."""
        ...

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        """Up to `length` bytes from `start` (fewer at the end of the object; b"" past it).

        Raises ObjectNotFound, like every read below."""
        ...

    async def read_head(self, key: str, n: int = DEFAULT_HEAD_BYTES) -> bytes:
        """The first `n` bytes, enough to sniff the type and read most headers."""
        ...

    async def read_all(self, key: str, max_bytes: int) -> bytes:
        """The whole object; raises ObjectTooLarge beyond `max_bytes` rather than filling memory."""
        ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy (no bytes through the app)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; deleting a missing object is not an error."""
        ...

    def public_url(self, key: str) -> str: ...

    def list_keys(self, prefix: str, older_than: datetime) -> AsyncIterator[str]:
        """Keys under `prefix` last modified before `older_than` (for clean-up of abandoned uploads)."""
        ...
