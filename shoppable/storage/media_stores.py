"""Choosing the media store from settings."""

from __future__ import annotations

from shoppable.domain.content.ports import MediaStore
from shoppable.settings import Settings
from shoppable.storage.media_local import LocalMediaStore, UploadTokenSigner
from shoppable.storage.media_s3 import S3MediaStore


def media_store_for(settings: Settings) -> MediaStore:
    """S3 when S3_BUCKET is set, else files under MEDIA_DIR uploaded through our own endpoint."""
    if settings.s3_bucket:
        return S3MediaStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            public_base_url=settings.media_base_url,
        )
    return LocalMediaStore(
        settings.media_dir, settings.public_base_url, UploadTokenSigner(settings.secret_key)
    )
