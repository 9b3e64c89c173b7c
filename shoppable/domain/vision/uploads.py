"""A shopper's photo for visual search: any viewer may send one (anonymous devices too), small,
rate limited, never served, read once and deleted; its embedding is kept for a day so the same
search can be paged or repeated, then deleted too (`jobs/vision.py`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shoppable.domain import rate_limits
from shoppable.domain.content.media import media_type, normalize_content_type
from shoppable.domain.content.ports import UploadTarget
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity.actor import Actor
from shoppable.domain.uow import UnitOfWork
from shoppable.domain.vision import limits
from shoppable.domain.vision.ports import VisionServices
from shoppable.domain.vision.records import SearchUpload

SEARCH_UPLOAD_PREFIX = "uploads/search/"


@dataclass(frozen=True)
class CreatedSearchUpload:
    upload: SearchUpload
    target: UploadTarget


async def create_search_upload(
    uow: UnitOfWork, services: VisionServices, actor: Actor, content_type: str, byte_size: int
) -> CreatedSearchUpload:
    owner = rate_limits.actor_key(actor)
    await services.rate_limits.hit(rate_limits.VISUAL_SEARCH_UPLOADS_PER_ACTOR, owner)
    if actor.user_id is None and actor.api_key_id is None:
        # Device ids cost nothing to change: anonymous callers are also counted by address.
        await services.rate_limits.hit(
            rate_limits.ANONYMOUS_VISUAL_SEARCH_UPLOADS_PER_IP, rate_limits.ip_key(actor)
        )
    errors: list[FieldError] = []
    normalized = normalize_content_type(content_type)
    declared = media_type(normalized)
    if declared is None or normalized not in limits.SEARCH_UPLOAD_TYPES:
        errors.append(
            FieldError(
                ("contentType",),
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "Search with a JPEG, PNG, WebP or HEIC photo.",
            )
        )
    if not 0 < byte_size <= limits.SEARCH_UPLOAD_MAX_BYTES:
        errors.append(
            FieldError(
                ("byteSize",),
                ErrorCode.TOO_LARGE if byte_size > 0 else ErrorCode.INVALID,
                f"A search photo has 1 byte to {limits.SEARCH_UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
            )
        )
    if errors:
        raise DomainError(*errors)
    assert declared is not None
    now = services.clock()
    key = f"{SEARCH_UPLOAD_PREFIX}{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{declared.extension}"
    target = await services.media.presign_upload(
        key, declared.content_type, byte_size, services.upload_ttl_seconds
    )
    await uow.begin_write()
    upload = await uow.vision.add_search_upload(
        owner, key, declared.content_type, byte_size, target.expires_at, now
    )
    await uow.commit()
    return CreatedSearchUpload(upload, target)


async def awaits_bytes(uow: UnitOfWork, key: str) -> bool:
    """Whether the search upload at `key` may still receive its photo (never embedded yet)."""
    if not key.startswith(SEARCH_UPLOAD_PREFIX):
        return False
    upload = await uow.vision.search_upload_by_key(key)
    return upload is not None and not upload.has_embedding
