"""Media in an S3 bucket (or anything speaking S3: MinIO, R2, moto), uploaded directly by clients.

Clients upload with a presigned POST whose policy pins the key, the exact content type and a
content-length range, so the bytes never pass through the app. Not every S3 implementation enforces
policies (moto does not), so `completeUpload` still checks the stored object itself.

boto3 is synchronous: every call runs in a worker thread. One client is shared; boto3 clients are
thread-safe (sessions are not, hence the client is made once, up front).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shoppable.domain.content.media import is_valid_object_key, normalize_content_type
from shoppable.domain.content.ports import (
    DEFAULT_HEAD_BYTES,
    IMMUTABLE_CACHE_CONTROL,
    InvalidObjectKey,
    MediaStoreError,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    UploadTarget,
)

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def default_s3_client(endpoint_url: str | None, region: str) -> Any:
    """A client with path-style addressing when an endpoint is given (MinIO, moto), virtual otherwise."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "virtual"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3MediaStore:
    """`MediaStore` on one bucket."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        public_base_url: str | None = None,
        client_factory: Callable[[], Any] | None = None,
        *,
        cache_control: str = IMMUTABLE_CACHE_CONTROL,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.cache_control = cache_control
        self.client = client_factory() if client_factory else default_s3_client(self.endpoint_url, region)

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self.client, operation), **kwargs)
        except BotoCoreError as exc:
            raise MediaStoreError(f"S3 {operation} failed: {exc}") from exc

    @staticmethod
    def _check_key(key: str) -> str:
        if not is_valid_object_key(key):
            raise InvalidObjectKey(f"invalid media key: {key!r}")
        return key

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        self._check_key(key)
        content_type = normalize_content_type(content_type)
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_in)
        fields = {"Content-Type": content_type, "Cache-Control": self.cache_control}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"Cache-Control": self.cache_control},
            ["content-length-range", 1, max_bytes],
        ]
        # boto3 adds the {"bucket": …} and {"key": key} conditions itself: the key is pinned.
        post = await self._call(
            "generate_presigned_post",
            Bucket=self.bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return UploadTarget(
            url=post["url"], method="POST", headers={}, fields=dict(post["fields"]), expires_at=expires_at
        )

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            response = await self._call("head_object", Bucket=self.bucket, Key=self._check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise MediaStoreError(f"S3 head_object failed: {exc}") from exc
        return ObjectInfo(
            size=response["ContentLength"],
            content_type=response.get("ContentType"),
            last_modified=response.get("LastModified"),
        )

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        self._check_key(key)
        if length <= 0:
            return b""
        try:
            response = await self._call(
                "get_object", Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}"
            )
        except ClientError as exc:
            if _error_code(exc) in {"InvalidRange", "416"}:
                return b""
            if _is_missing(exc):
                raise ObjectNotFound(key) from exc
            raise MediaStoreError(f"S3 get_object failed: {exc}") from exc
        body = response["Body"]
        try:
            return await asyncio.to_thread(body.read)
        finally:
            body.close()

    async def read_head(self, key: str, n: int = DEFAULT_HEAD_BYTES) -> bytes:
        return await self.read_range(key, 0, n)

    async def read_all(self, key: str, max_bytes: int) -> bytes:
        try:
            response = await self._call("get_object", Bucket=self.bucket, Key=self._check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise ObjectNotFound(key) from exc
            raise MediaStoreError(f"S3 get_object failed: {exc}") from exc
        body = response["Body"]
        try:
            if response["ContentLength"] > max_bytes:
                raise ObjectTooLarge(f"{key} is larger than {max_bytes} bytes")
            data = await asyncio.to_thread(body.read, max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise ObjectTooLarge(f"{key} is larger than {max_bytes} bytes")
        return data

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await self._call(
                "put_object",
                Bucket=self.bucket,
                Key=self._check_key(key),
                Body=data,
                ContentType=content_type,
                CacheControl=self.cache_control,
            )
        except ClientError as exc:
            raise MediaStoreError(f"S3 put_object failed: {exc}") from exc

    async def copy(self, source_key: str, target_key: str) -> None:
        try:
            await self._call(
                "copy_object",
                Bucket=self.bucket,
                Key=self._check_key(target_key),
                CopySource={"Bucket": self.bucket, "Key": self._check_key(source_key)},
            )
        except ClientError as exc:
            if _is_missing(exc):
                raise ObjectNotFound(source_key) from exc
            raise MediaStoreError(f"S3 copy_object failed: {exc}") from exc

    async def delete(self, key: str) -> None:
        try:
            await self._call("delete_object", Bucket=self.bucket, Key=self._check_key(key))
        except ClientError as exc:
            if not _is_missing(exc):
                raise MediaStoreError(f"S3 delete_object failed: {exc}") from exc

    def public_url(self, key: str) -> str:
        """MEDIA_BASE_URL (a CDN) when set; else the bucket's own URL (path-style with an endpoint)."""
        path = quote(self._check_key(key), safe="/")
        if self.public_base_url:
            return f"{self.public_base_url}/{path}"
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.bucket}/{path}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{path}"

    async def list_keys(self, prefix: str, older_than: datetime) -> AsyncIterator[str]:
        pages = iter(self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix))
        next_page = partial(next, pages, None)
        while (page := await asyncio.to_thread(next_page)) is not None:
            for item in page.get("Contents", []):
                if item["LastModified"] < older_than:
                    yield item["Key"]


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_missing(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _error_code(exc) in _MISSING_CODES or status == 404
