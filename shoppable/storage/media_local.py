"""Media on local disk (the embedded default, no S3): files under MEDIA_DIR, uploads through our app.

The flow mirrors S3's presigned POST so the domain cannot tell the stores apart: `presign_upload`
hands out a signed, expiring URL `{base_url}/v1/uploads/{token}`; the upload route verifies the
token and calls `receive_upload`, which enforces what the token grants (one key, one content type,
1..max_bytes bytes) while streaming to disk; `/media/{key}` serves files via `resolve_path`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import shutil
import stat as stat_module
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import jwt

from shoppable.domain.content.media import (
    SNIFF_BYTES,
    content_type_for_key,
    is_served_key,
    is_valid_object_key,
    normalize_content_type,
    same_media_type,
    sniff_content_type,
)
from shoppable.domain.content.ports import (
    DEFAULT_HEAD_BYTES,
    IMMUTABLE_CACHE_CONTROL,
    InvalidObjectKey,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    ServedFile,
    UploadRejected,
    UploadTarget,
)

INCOMING_DIR = ".incoming"
"""Partial uploads live here (same filesystem, so the final rename is atomic); keys never start with a dot."""
WRITE_BUFFER_BYTES = 1024 * 1024


class UploadTokenError(UploadRejected):
    code = "INVALID_TOKEN"


class UploadTokenExpired(UploadTokenError):
    code = "EXPIRED"


class UploadTooLarge(UploadRejected):
    code = "TOO_LARGE"


class UploadTypeMismatch(UploadRejected):
    code = "UNSUPPORTED_MEDIA_TYPE"


class UploadEmpty(UploadRejected):
    code = "EMPTY"


class UploadAlreadyReceived(UploadRejected):
    code = "CONFLICT"


@dataclass(frozen=True)
class UploadGrant:
    """What one upload token allows: exactly this key, this type, at most this many bytes, until then."""

    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime


class UploadTokenSigner:
    """Signs and checks upload tokens (HS256 JWTs) with a key derived from the app's secret.

    The derived key and the audience keep these tokens apart from any other token signed with the
    same secret (sessions cannot be used as upload grants, nor the reverse).
    """

    AUDIENCE = "shoppable:media-upload"
    _ALGORITHM = "HS256"

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("an upload token signer needs a secret")
        self._key = hmac.new(secret.encode(), b"shoppable media upload token v1", hashlib.sha256).digest()

    def sign(self, key: str, content_type: str, max_bytes: int, expires_at: datetime) -> str:
        claims = {
            "aud": self.AUDIENCE,
            "key": key,
            "ct": content_type,
            "max": max_bytes,
            "exp": int(expires_at.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=self._ALGORITHM)

    def verify(self, token: str) -> UploadGrant:
        """The grant a token carries; raises UploadTokenExpired or UploadTokenError."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._ALGORITHM],
                audience=self.AUDIENCE,
                options={"require": ["exp", "aud", "key", "ct", "max"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise UploadTokenExpired("This upload link has expired.") from exc
        except jwt.PyJWTError as exc:
            raise UploadTokenError("This upload link is not valid.") from exc
        key, content_type, max_bytes = claims["key"], claims["ct"], claims["max"]
        if (
            not isinstance(key, str)
            or not is_valid_object_key(key)
            or not isinstance(content_type, str)
            or not isinstance(max_bytes, int)
            or isinstance(max_bytes, bool)
            or max_bytes <= 0
        ):
            raise UploadTokenError("This upload link is not valid.")
        return UploadGrant(key, content_type, max_bytes, datetime.fromtimestamp(claims["exp"], UTC))


class LocalMediaStore:
    """`MediaStore` on a directory. File I/O runs in worker threads, never on the event loop."""

    def __init__(
        self,
        root: Path,
        base_url: str,
        signer: UploadTokenSigner,
        *,
        upload_path: str = "/v1/uploads",
        media_path: str = "/media",
    ) -> None:
        self.root = Path(root).resolve()
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.upload_path = "/" + upload_path.strip("/")
        self.media_path = "/" + media_path.strip("/")

    # -- keys and paths -------------------------------------------------------------------------

    @staticmethod
    def _checked(key: str) -> str:
        """The key itself; raises InvalidObjectKey for anything that could leave the root."""
        if not is_valid_object_key(key):
            raise InvalidObjectKey(f"invalid media key: {key!r}")
        return key

    def path_for(self, key: str) -> Path:
        """The file of a key; raises InvalidObjectKey for anything that could leave the root."""
        return self.root / self._checked(key)

    def resolve_path(self, key: str) -> Path | None:
        """The existing regular file to serve for `GET /media/{key}`, or None (answer 404).

        Only keys under `media/` are served (never an upload, which a client wrote); refuses invalid
        keys and anything whose real path (after symlinks) is outside the root.
        """
        if not is_served_key(key):
            return None
        try:
            real = (self.root / key).resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, RuntimeError):
            return None
        if not real.is_relative_to(self.root) or not real.is_file():
            return None
        return real

    @staticmethod
    def content_type(key: str) -> str:
        """The Content-Type to serve a key with (from its extension; keys are ours)."""
        return content_type_for_key(key) or "application/octet-stream"

    @staticmethod
    def response_headers(key: str) -> dict[str, str]:
        """Headers for `GET /media/{key}` besides Content-Type/Length."""
        return {"Cache-Control": IMMUTABLE_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}

    # -- MediaStore -----------------------------------------------------------------------------

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        self.path_for(key)
        content_type = normalize_content_type(content_type)
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_in)
        token = self.signer.sign(key, content_type, max_bytes, expires_at)
        return UploadTarget(
            url=f"{self.base_url}{self.upload_path}/{token}",
            method="PUT",
            headers={"Content-Type": content_type},
            fields={},
            expires_at=expires_at,
        )

    def verify_upload_token(self, token: str) -> UploadGrant:
        return self.signer.verify(token)

    # -- DirectMedia ----------------------------------------------------------------------------

    async def receive(
        self, token: str, body: AsyncIterable[bytes], content_type: str | None, content_length: int | None
    ) -> int:
        grant = self.verify_upload_token(token)
        return await receive_upload(self, grant, body, content_type, content_length=content_length)

    def granted_key(self, token: str) -> str:
        return self.verify_upload_token(token).key

    def served_file(self, key: str) -> ServedFile | None:
        path = self.resolve_path(key)
        if path is None:
            return None
        return ServedFile(path, self.content_type(key), self.response_headers(key))

    async def head(self, key: str) -> ObjectInfo | None:
        path = self.path_for(key)
        try:
            stat = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat_module.S_ISREG(stat.st_mode):
            return None
        return ObjectInfo(
            size=stat.st_size,
            content_type=content_type_for_key(key),
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        )

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        path = self.path_for(key)

        def read() -> bytes:
            try:
                with path.open("rb") as file:
                    file.seek(start)
                    return file.read(length)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
                raise ObjectNotFound(key) from exc

        return await asyncio.to_thread(read)

    async def read_head(self, key: str, n: int = DEFAULT_HEAD_BYTES) -> bytes:
        return await self.read_range(key, 0, n)

    async def read_all(self, key: str, max_bytes: int) -> bytes:
        path = self.path_for(key)

        def read() -> bytes:
            try:
                with path.open("rb") as file:
                    data = file.read(max_bytes + 1)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
                raise ObjectNotFound(key) from exc
            if len(data) > max_bytes:
                raise ObjectTooLarge(f"{key} is larger than {max_bytes} bytes")
            return data

        return await asyncio.to_thread(read)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path_for(key)

        def write() -> None:
            temp = self._new_incoming_path()
            try:
                temp.write_bytes(data)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, target)
            finally:
                temp.unlink(missing_ok=True)

        await asyncio.to_thread(write)

    async def copy(self, source_key: str, target_key: str) -> None:
        source, target = self.path_for(source_key), self.path_for(target_key)

        def copy() -> None:
            temp = self._new_incoming_path()
            try:
                try:
                    shutil.copyfile(source, temp)
                except (FileNotFoundError, IsADirectoryError) as exc:
                    raise ObjectNotFound(source_key) from exc
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, target)
            finally:
                temp.unlink(missing_ok=True)

        await asyncio.to_thread(copy)

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def public_url(self, key: str) -> str:
        # Checked as path_for checks, without building a Path: a feed page asks for dozens of URLs.
        return f"{self.base_url}{self.media_path}/{self._checked(key)}"

    async def list_keys(self, prefix: str, older_than: datetime) -> AsyncIterator[str]:
        cutoff = older_than.timestamp()

        # Walk only the directory the prefix names, not the whole store.
        directory_key = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / directory_key if directory_key else self.root

        def scan() -> list[str]:
            found: list[str] = []
            if (directory_key and not is_valid_object_key(directory_key)) or not start.is_dir():
                return found
            for directory, subdirectories, files in os.walk(start):
                subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
                for name in files:
                    path = Path(directory, name)
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix) and is_valid_object_key(key):
                        with contextlib.suppress(FileNotFoundError):
                            if path.stat().st_mtime < cutoff:
                                found.append(key)
            return sorted(found)

        for key in await asyncio.to_thread(scan):
            yield key

    async def remove_stale_incoming(self, older_than: datetime) -> int:
        """Delete partial uploads left by a crash; returns how many were removed."""
        incoming, cutoff = self.root / INCOMING_DIR, older_than.timestamp()

        def sweep() -> int:
            removed = 0
            if not incoming.is_dir():
                return 0
            for path in incoming.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    def _new_incoming_path(self) -> Path:
        incoming = self.root / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        return incoming / f"{uuid.uuid4().hex}.part"


async def receive_upload(
    store: LocalMediaStore,
    grant: UploadGrant,
    body_chunks: AsyncIterable[bytes],
    content_type_header: str | None,
    *,
    content_length: int | None = None,
) -> int:
    """Stream a PUT body into the granted key; returns the number of bytes stored.

    Enforces what S3 enforces for a presigned POST, and a little more: the Content-Type must be the
    granted one, the body 1..max_bytes bytes (stopping the moment it is exceeded, not after reading
    it all), and its first bytes must be of that type. The key is written at most once: a second
    upload with the same token is refused, so a verified file cannot be swapped afterwards. On any
    failure, nothing is left on disk. Raises an UploadRejected subclass (its `status_code` is the
    HTTP answer).
    """
    if grant.expires_at <= datetime.now(UTC):
        raise UploadTokenExpired("This upload link has expired.")
    if normalize_content_type(content_type_header) != grant.content_type:
        raise UploadTypeMismatch(f"Content-Type must be {grant.content_type}.")
    if content_length is not None and content_length > grant.max_bytes:
        raise UploadTooLarge(f"The upload may be at most {grant.max_bytes} bytes.")
    target = store.path_for(grant.key)
    if await asyncio.to_thread(target.exists):
        raise UploadAlreadyReceived("This upload has already been received.")

    temp = await asyncio.to_thread(store._new_incoming_path)
    file: BinaryIO = await asyncio.to_thread(temp.open, "xb")
    try:
        total, sniffed = 0, False
        buffer = bytearray()
        async for chunk in body_chunks:
            total += len(chunk)
            if total > grant.max_bytes:
                raise UploadTooLarge(f"The upload may be at most {grant.max_bytes} bytes.")
            buffer += chunk
            if not sniffed and len(buffer) >= SNIFF_BYTES:
                _check_leading_bytes(grant, bytes(buffer[:SNIFF_BYTES]))
                sniffed = True
            if len(buffer) >= WRITE_BUFFER_BYTES:
                await asyncio.to_thread(file.write, bytes(buffer))
                buffer.clear()
        if total == 0:
            raise UploadEmpty("The upload is empty.")
        if not sniffed:
            _check_leading_bytes(grant, bytes(buffer))
        if buffer:
            await asyncio.to_thread(file.write, bytes(buffer))
        await asyncio.to_thread(file.close)
        await asyncio.to_thread(_publish_once, temp, target)
    finally:
        # Synchronous on purpose: it must also run when the request is cancelled mid-upload.
        file.close()
        temp.unlink(missing_ok=True)
    return total


def _check_leading_bytes(grant: UploadGrant, head: bytes) -> None:
    sniffed = sniff_content_type(head)
    if sniffed is None or not same_media_type(grant.content_type, sniffed):
        raise UploadTypeMismatch(f"The file is not {grant.content_type}.")


def _publish_once(temp: Path, target: Path) -> None:
    """Move a finished upload into place atomically, refusing to replace an existing file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(temp, target)
    except FileExistsError as exc:
        raise UploadAlreadyReceived("This upload has already been received.") from exc
    except OSError:
        # Filesystems without hard links: a plain rename, after the existence check above.
        if target.exists():
            raise UploadAlreadyReceived("This upload has already been received.") from None
        os.replace(temp, target)
