"""Uploads: permission to send one file, then its verification into media.

Completing checks what was stored against what was declared; the objects an upload may have left
behind are found again by the clean-up job (`jobs/media_cleanup.py`) through `derived_keys`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoppable.domain import rate_limits
from shoppable.domain.content.access import signed_in_user
from shoppable.domain.content.media import (
    SNIFF_BYTES,
    MediaKind,
    check_object,
    new_object_key,
    rendition_key,
    validate_upload_request,
)
from shoppable.domain.content.mp4 import probe_mp4_duration_ms
from shoppable.domain.content.ports import (
    MediaServices,
    MediaStore,
    MediaStoreError,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    UploadTarget,
)
from shoppable.domain.content.records import Media, MediaRendition, Upload, UploadStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.uow import UnitOfWork

log = logging.getLogger("shoppable.content")

RENDITION_WIDTHS = (320, 640, 1080)
COMPLETION_GRACE = timedelta(minutes=5)
"""completeUpload is accepted this long after the upload URL expired, so that a transfer finishing
at the deadline can still be completed; after that the upload is expired and cleaned up."""
UPLOAD_PREFIX = "uploads/"
MEDIA_PREFIX = "media/"


@dataclass(frozen=True)
class UploadRequest:
    """The one file a client asks to send: its name, declared type and exact size."""

    filename: str
    content_type: str
    byte_size: int


@dataclass(frozen=True)
class CreatedUpload:
    upload: Upload
    target: UploadTarget


def completion_deadline(upload: Upload) -> datetime:
    return upload.expires_at + COMPLETION_GRACE


def media_key_for(upload_key: str) -> str:
    """Where a verified upload is copied to: `uploads/2026/11/x.jpg` -> `media/2026/11/x.jpg`."""
    return MEDIA_PREFIX + upload_key.removeprefix(UPLOAD_PREFIX)


def derived_keys(upload: Upload) -> list[str]:
    """Every object a completion may have written for an upload, for clean-up after a failure."""
    final = media_key_for(upload.key)
    keys = [upload.key, final]
    if upload.kind is MediaKind.IMAGE:
        keys += [rendition_key(final, width) for width in RENDITION_WIDTHS]
    return keys


async def create_upload(
    uow: UnitOfWork, services: MediaServices, actor: Actor, request: UploadRequest
) -> CreatedUpload:
    """Permission to send exactly one file of the declared type and size, for a limited time."""
    if not policy.can_upload_media(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to upload media.")
    await services.rate_limits.hit(rate_limits.CREATE_UPLOAD_PER_ACTOR, rate_limits.actor_key(actor))
    limits = services.media_limits
    errors = validate_upload_request(request.filename, request.content_type, request.byte_size, limits)
    if errors:
        raise DomainError(*errors)
    declared = request.content_type.split(";", 1)[0].strip().lower()
    kind = MediaKind.VIDEO if declared.startswith("video/") else MediaKind.IMAGE
    key = new_object_key(kind, declared)
    # The grant is for the declared size, not the kind's limit: a store that enforces its policy
    # (S3, our upload endpoint) refuses a larger body outright.
    target = await services.media.presign_upload(key, declared, request.byte_size, limits.upload_ttl_seconds)
    await uow.begin_write()
    upload = await uow.content.add_upload(
        actor.user_id, key, request.filename.strip(), declared, kind, request.byte_size, target.expires_at
    )
    await uow.commit()
    return CreatedUpload(upload=upload, target=target)


@dataclass(frozen=True)
class _VerifiedMedia:
    key: str
    info: ObjectInfo
    width: int | None
    height: int | None
    duration_ms: int | None
    renditions: list[MediaRendition]


async def complete_upload(uow: UnitOfWork, services: MediaServices, actor: Actor, upload_id: int) -> Media:
    """Verify what was stored against what was declared, and turn it into media.

    The upload key stays writable by the client until its URL expires (S3 lets a presigned POST be
    replayed), so the object is first copied to a key only we write, and everything is verified on
    that copy: size, Content-Type as stored, type by magic bytes, then dimensions and renditions for
    images or duration for videos. Anything wrong: the objects are deleted, the upload is marked
    failed, and the caller gets userErrors. Completing twice returns the same media.

    The write lock is not held during the store I/O and image decoding (seconds for a big photo):
    the upload is read, the transaction ended, and read again before writing.
    """
    user_id = signed_in_user(actor, "upload media")
    content = uow.content
    await uow.begin_write()
    upload = await content.get_upload(upload_id)
    if upload is None or upload.user_id != user_id:
        raise DomainError.single(("uploadId",), ErrorCode.NOT_FOUND, "No such upload.")
    if upload.status is UploadStatus.COMPLETED and upload.media_id is not None:
        return (await content.get_media([upload.media_id]))[0]
    if upload.status is UploadStatus.FAILED:
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload was refused; start a new one."
        )
    await uow.rollback()

    if services.clock() > completion_deadline(upload):
        await _fail(uow, services.media, upload)
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload has expired; start a new one."
        )
    try:
        verified = await _verify(services, upload)
    except DomainError:
        await _fail(uow, services.media, upload)
        raise

    current = await content.get_upload(upload.id)
    if current is None:  # cleaned up meanwhile (see jobs/media_cleanup.py)
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload has expired; start a new one."
        )
    if current.status is UploadStatus.COMPLETED and current.media_id is not None:
        return (await content.get_media([current.media_id]))[0]  # a concurrent completion won
    media = await content.add_media(
        user_id,
        upload.kind,
        verified.key,
        upload.content_type,
        verified.info.size,
        verified.width,
        verified.height,
        verified.duration_ms,
        verified.renditions,
    )
    await content.set_upload_status(upload.id, UploadStatus.COMPLETED, media.id)
    await uow.commit()
    await _delete_quietly(services.media, [upload.key])
    return media


async def _fail(uow: UnitOfWork, store: MediaStore, upload: Upload) -> None:
    await _delete_quietly(store, derived_keys(upload))
    await uow.content.set_upload_status(upload.id, UploadStatus.FAILED)
    await uow.commit()


async def _delete_quietly(store: MediaStore, keys: Sequence[str]) -> None:
    """Best effort: what is left behind is found again by the clean-up job."""
    for key in keys:
        try:
            await store.delete(key)
        except MediaStoreError:
            log.warning("could not delete media object %s", key, exc_info=True)


async def _check_stored(store: MediaStore, key: str, upload: Upload) -> ObjectInfo:
    info = await store.head(key)
    head = await store.read_head(key, SNIFF_BYTES) if info is not None else b""
    errors = check_object(
        upload.content_type,
        upload.byte_size,
        info.size if info is not None else None,
        head,
        stored_content_type=info.content_type if info is not None else None,
    )
    if errors:
        raise DomainError(*errors)
    assert info is not None  # check_object reports a missing object
    return info


async def _verify(services: MediaServices, upload: Upload) -> _VerifiedMedia:
    store = services.media
    # A cheap look at the upload itself first, so that a wrong or oversized file is never copied.
    await _check_stored(store, upload.key, upload)
    final = media_key_for(upload.key)
    try:
        await store.copy(upload.key, final)
    except ObjectNotFound:
        raise DomainError.single(
            ("uploadId",), ErrorCode.NOT_FOUND, "Nothing was uploaded for this upload."
        ) from None
    info = await _check_stored(store, final, upload)
    if upload.kind is MediaKind.VIDEO:
        duration = await probe_mp4_duration_ms(lambda start, n: store.read_range(final, start, n), info.size)
        if duration is None:
            raise DomainError.single(
                ("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The video has no readable movie header."
            )
        return _VerifiedMedia(final, info, None, None, duration, [])
    try:
        data = await store.read_all(final, services.media_limits.max_image_bytes)
    except ObjectTooLarge:
        raise DomainError.single(("byteSize",), ErrorCode.TOO_LARGE, "The image is too large.") from None
    processed = await services.images(data, RENDITION_WIDTHS)
    renditions = []
    for rendition in processed.renditions:
        key = rendition_key(final, rendition.width)
        await store.put(key, rendition.data, rendition.content_type)
        renditions.append(MediaRendition(0, rendition.width, rendition.height, key, rendition.content_type))
    return _VerifiedMedia(final, info, processed.width, processed.height, None, renditions)
