"""Uploads: permission to send one file, then its verification into media.

Completing checks what was stored against what was declared. Only keys under `media/`
(`SERVED_PREFIX`) are ever served: a photo's original is read once, rendered into WebP renditions
without metadata, and never kept, so its EXIF (GPS position included) cannot be downloaded; a
video is copied under `media/` once it is verified. The objects an upload may have left behind are
found again by the clean-up job (`jobs/media_cleanup.py`) through `derived_keys`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoppable.domain import rate_limits
from shoppable.domain.content.access import signed_in_user
from shoppable.domain.content.media import (
    SERVED_PREFIX,
    SNIFF_BYTES,
    MediaKind,
    MediaLimits,
    check_object,
    media_type,
    new_object_key,
    rendition_key,
    validate_upload_request,
)
from shoppable.domain.content.mp4 import probe_movie
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
MEDIA_PREFIX = SERVED_PREFIX
QUOTA_WINDOW = timedelta(hours=24)
"""`MediaLimits.bytes_per_day` counts what a user uploaded within this window."""


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
    """Permission to send exactly one file of the declared type and size, for a limited time.

    Creators upload photos and videos; anyone else only a photo (the avatar they choose when they
    become a creator), within a much smaller daily quota.
    """
    if not policy.can_upload_media(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to upload media.")
    await services.rate_limits.hit(rate_limits.CREATE_UPLOAD_PER_ACTOR, rate_limits.actor_key(actor))
    limits = services.media_limits
    errors = validate_upload_request(request.filename, request.content_type, request.byte_size, limits)
    if errors:
        raise DomainError(*errors)
    declared = media_type(request.content_type)
    assert declared is not None  # validated above
    await uow.begin_write()
    is_creator = bool(await uow.content.creators_of_users([actor.user_id]))
    if not policy.can_upload_media_of_kind(is_creator, declared.kind):
        raise DomainError.single(
            ("contentType",), ErrorCode.FORBIDDEN, "Become a creator to upload videos for posts."
        )
    await _check_quota(uow, limits, actor.user_id, is_creator, request.byte_size, services.clock())
    key = new_object_key(declared.kind, declared.content_type)
    # The grant is for the declared size, not the kind's limit: a store that enforces its policy
    # (S3, our upload endpoint) refuses a larger body outright.
    target = await services.media.presign_upload(
        key, declared.content_type, request.byte_size, limits.upload_ttl_seconds
    )
    upload = await uow.content.add_upload(
        actor.user_id,
        key,
        request.filename.strip(),
        declared.content_type,
        declared.kind,
        request.byte_size,
        target.expires_at,
    )
    await uow.commit()
    return CreatedUpload(upload=upload, target=target)


async def _check_quota(
    uow: UnitOfWork, limits: MediaLimits, user_id: int, is_creator: bool, byte_size: int, now: datetime
) -> None:
    allowed = limits.bytes_per_day(is_creator)
    used = await uow.content.uploaded_bytes_since(user_id, now - QUOTA_WINDOW, now)
    if used + byte_size > allowed:
        raise DomainError.single(
            ("byteSize",),
            ErrorCode.LIMIT_EXCEEDED,
            f"You can upload at most {allowed // (1024 * 1024)} MB a day; try again later.",
        )


async def awaits_bytes(uow: UnitOfWork, key: str) -> bool:
    """Whether the upload at `key` may still receive its file: pending, never completed or refused.

    An upload URL is a bearer grant; once the upload is completed (or refused) it is spent.
    """
    upload = await uow.content.get_upload_by_key(key)
    return upload is not None and upload.status is UploadStatus.PENDING


async def complete_upload(uow: UnitOfWork, services: MediaServices, actor: Actor, upload_id: int) -> Media:
    """Verify what was stored against what was declared, and turn it into media.

    Images: the upload is read once into memory, those very bytes are checked (size, type by magic
    bytes) and rendered into WebP renditions; the original is not kept. Videos: the upload key stays
    writable by the client until its URL expires (S3 lets a presigned POST be replayed), so it is
    first copied under `media/`, a key only we write, and verified there: size, Content-Type as
    stored, type by magic bytes, a real video track and a plausible duration. Anything wrong: the
    objects are deleted, the upload is marked failed, and the caller gets userErrors.

    Idempotent, also under concurrency: completing twice, or eight times at once, returns the same
    media (the media row is inserted with ON CONFLICT on its key, and a completion that loses the
    race answers with the winner's). The write lock is not held during the store I/O and image
    decoding (seconds for a big photo): the upload is read, the transaction ended, and read again
    before writing.
    """
    user_id = signed_in_user(actor, "upload media")
    content = uow.content
    await uow.begin_write()
    upload = await content.get_upload(upload_id)
    if upload is None or upload.user_id != user_id:
        raise DomainError.single(("uploadId",), ErrorCode.NOT_FOUND, "No such upload.")
    if (done := await _completed_media(uow, upload)) is not None:
        return done
    if upload.status is UploadStatus.FAILED:
        raise _refused()
    await uow.rollback()

    if services.clock() > completion_deadline(upload):
        await _fail(uow, services.media, upload)
        raise _expired()
    try:
        verified = await _verify(services, upload)
    except DomainError:
        # A concurrent completion that won may have removed the upload from under this one.
        await uow.rollback()
        current = await content.get_upload(upload.id)
        if current is not None and (done := await _completed_media(uow, current)) is not None:
            return done
        await _fail(uow, services.media, upload)
        raise

    current = await content.get_upload(upload.id)
    if current is None:  # cleaned up meanwhile (see jobs/media_cleanup.py)
        raise _expired()
    if (done := await _completed_media(uow, current)) is not None:
        return done
    if current.status is UploadStatus.FAILED:
        raise _refused()
    media = await content.add_media(
        user_id,
        upload.kind,
        verified.key,
        verified.content_type,
        upload.byte_size,
        verified.width,
        verified.height,
        verified.duration_ms,
        verified.renditions,
    )
    await content.set_upload_status(upload.id, UploadStatus.COMPLETED, media.id)
    await uow.commit()
    await _delete_quietly(services.media, [upload.key])
    return media


async def _completed_media(uow: UnitOfWork, upload: Upload) -> Media | None:
    if upload.status is not UploadStatus.COMPLETED or upload.media_id is None:
        return None
    found = await uow.content.get_media([upload.media_id])
    return found[0] if found else None


def _expired() -> DomainError:
    return DomainError.single(("uploadId",), ErrorCode.INVALID, "This upload has expired; start a new one.")


def _refused() -> DomainError:
    return DomainError.single(("uploadId",), ErrorCode.INVALID, "This upload was refused; start a new one.")


async def _fail(uow: UnitOfWork, store: MediaStore, upload: Upload) -> None:
    """Mark a pending upload failed, then delete what it left; a completed one is left alone."""
    await uow.begin_write()
    failed = await uow.content.set_upload_status(upload.id, UploadStatus.FAILED, only_if=UploadStatus.PENDING)
    await uow.commit()
    if failed:
        await _delete_quietly(store, derived_keys(upload))


async def _delete_quietly(store: MediaStore, keys: Sequence[str]) -> None:
    """Best effort: what is left behind is found again by the clean-up job."""
    for key in keys:
        try:
            await store.delete(key)
        except MediaStoreError:
            log.warning("could not delete media object %s", key, exc_info=True)


@dataclass(frozen=True)
class _VerifiedMedia:
    key: str
    content_type: str
    width: int | None
    height: int | None
    duration_ms: int | None
    renditions: list[MediaRendition]


async def _check_stored(store: MediaStore, key: str, upload: Upload) -> ObjectInfo:
    info = await store.head(key)
    try:
        head = await store.read_head(key, SNIFF_BYTES) if info is not None else b""
    except ObjectNotFound:
        info, head = None, b""
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


def _nothing_uploaded() -> DomainError:
    return DomainError.single(("uploadId",), ErrorCode.NOT_FOUND, "Nothing was uploaded for this upload.")


async def _verify(services: MediaServices, upload: Upload) -> _VerifiedMedia:
    # A cheap look at the upload itself first, so that a wrong or oversized file is never read or copied.
    await _check_stored(services.media, upload.key, upload)
    if upload.kind is MediaKind.VIDEO:
        return await _verify_video(services, upload)
    return await _verify_image(services, upload)


async def _verify_video(services: MediaServices, upload: Upload) -> _VerifiedMedia:
    store, final = services.media, media_key_for(upload.key)
    try:
        await store.copy(upload.key, final)
        info = await _check_stored(store, final, upload)
        movie = await probe_movie(lambda start, n: store.read_range(final, start, n), info.size)
    except ObjectNotFound:
        raise _nothing_uploaded() from None
    if movie.problem is not None or movie.duration_ms is None:
        message = movie.problem or "The video has no readable movie header."
        raise DomainError.single(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, message)
    limit = services.media_limits.max_video_duration_ms
    if not 0 < movie.duration_ms <= limit:
        raise DomainError.single(
            ("durationMs",),
            ErrorCode.INVALID,
            f"A video lasts more than 0 and at most {limit // 60_000} minutes.",
        )
    return _VerifiedMedia(final, upload.content_type, None, None, movie.duration_ms, [])


async def _verify_image(services: MediaServices, upload: Upload) -> _VerifiedMedia:
    store, limits = services.media, services.media_limits
    try:
        data = await store.read_all(upload.key, limits.max_image_bytes)
    except ObjectTooLarge:
        raise DomainError.single(("byteSize",), ErrorCode.TOO_LARGE, "The image is too large.") from None
    except ObjectNotFound:
        raise _nothing_uploaded() from None
    # What was checked above may have been replaced since (S3); these bytes are the ones rendered.
    errors = check_object(upload.content_type, upload.byte_size, len(data), data[:SNIFF_BYTES])
    if errors:
        raise DomainError(*errors)
    processed = await services.images(data, RENDITION_WIDTHS)
    if not processed.renditions:
        raise DomainError.single(
            ("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The image could not be rendered."
        )
    stem, renditions = media_key_for(upload.key), []
    try:
        for rendition in processed.renditions:
            key = rendition_key(stem, rendition.width)
            await store.put(key, rendition.data, rendition.content_type)
            renditions.append(
                MediaRendition(0, rendition.width, rendition.height, key, rendition.content_type)
            )
    except BaseException:
        await _delete_quietly(store, [r.key for r in renditions])
        raise
    largest = renditions[-1]
    return _VerifiedMedia(
        largest.key, largest.content_type, processed.width, processed.height, None, renditions
    )
