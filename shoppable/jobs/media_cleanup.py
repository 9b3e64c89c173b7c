"""Periodic clean-up of the media store: expired uploads, and media nothing shows any more.

An upload row lives until its completion deadline (expiry + grace) and a safety margin. After:
- never completed (pending or refused): the uploaded object and anything a completion may have
  written (a copied video, renditions) are deleted; nothing references them;
- completed: only the upload key is deleted again, since on S3 the presigned POST could have been
  replayed after completion; the media (under `media/`) is untouched.
Then the row is removed. Objects are deleted before rows, so a store outage leaves the row for the
next run rather than an orphaned file. Partial local uploads left by a crash are swept too.

Media (`domain/content/retention.py`): the files of media shown only by deleted posts are deleted
once the post has been deleted for `DELETED_POST_MEDIA_GRACE`, and media nothing ever used after
`UNUSED_MEDIA_GRACE`. Rows go first here (re-checked in the same transaction, so media picked for a
new post meanwhile is kept), then the files: a deleted post's photos must stop being served.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.content.media import rendition_prefix
from shoppable.domain.content.ports import MediaStore, MediaStoreError
from shoppable.domain.content.records import Upload, UploadStatus
from shoppable.domain.content.retention import DELETED_POST_MEDIA_GRACE, UNUSED_MEDIA_GRACE
from shoppable.domain.content.uploads import COMPLETION_GRACE, derived_keys, media_key_for
from shoppable.storage.db import Database
from shoppable.storage.media_local import LocalMediaStore

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.jobs")

BATCH_SIZE = 200
SAFETY_MARGIN = timedelta(minutes=30)
"""Beyond the completion deadline, so that a completion that started just before it (copying a
large video can take a while) is never cleaned up from under its feet."""
STALE_PARTIAL_UPLOAD = timedelta(days=1)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
"""A partial local upload untouched this long belongs to a request that died."""


async def clean_up_expired_uploads(
    database: Database, store: MediaStore, now: datetime, *, batch_size: int = BATCH_SIZE
) -> int:
    """Remove uploads past their deadline; returns how many of them had never been completed."""
    cutoff = now - COMPLETION_GRACE - SAFETY_MARGIN
    abandoned = 0
    while True:
        uow = database.unit_of_work()
        async with uow:
            expired = await uow.content.uploads_expired_before(cutoff, batch_size)
        if not expired:
            break
        cleaned = [upload for upload in expired if await _delete_objects(store, upload)]
        if cleaned:
            uow = database.unit_of_work(write=True)
            async with uow:
                await uow.begin_write()
                await uow.content.delete_uploads([u.id for u in cleaned])
                await uow.commit()
        abandoned += sum(1 for u in cleaned if u.status is not UploadStatus.COMPLETED)
        if len(expired) < batch_size or len(cleaned) < len(expired):
            break  # done, or the store is failing: the rest waits for the next run
    if isinstance(store, LocalMediaStore):
        await store.remove_stale_incoming(now - STALE_PARTIAL_UPLOAD)
    if abandoned:
        log.info("removed %d abandoned uploads", abandoned)
    return abandoned


async def _delete_objects(store: MediaStore, upload: Upload) -> bool:
    keys = [upload.key] if upload.status is UploadStatus.COMPLETED else derived_keys(upload)
    try:
        if upload.status is not UploadStatus.COMPLETED:  # renditions at widths capped to the image's
            keys += [
                k async for k in store.list_keys(rendition_prefix(media_key_for(upload.key)), _FAR_FUTURE)
            ]
        for key in dict.fromkeys(keys):
            await store.delete(key)
    except MediaStoreError:
        log.warning("upload %s: could not delete its objects; will retry", upload.id, exc_info=True)
        return False
    return True


async def delete_unused_media(
    database: Database, store: MediaStore, now: datetime, *, batch_size: int = BATCH_SIZE
) -> int:
    """Delete media no live post shows (see the module docstring); returns how many were deleted."""
    deleted_before, created_before = now - DELETED_POST_MEDIA_GRACE, now - UNUSED_MEDIA_GRACE
    total = 0
    while True:
        uow = database.unit_of_work(write=True)
        async with uow:
            await uow.begin_write()
            candidates = await uow.content.unused_media(deleted_before, created_before, batch_size)
            ids = [m.id for m in candidates]
            renditions = await uow.content.renditions_of(ids) if ids else []
            deleted = (
                set(await uow.content.delete_media(ids, deleted_before, created_before)) if ids else set()
            )
            await uow.commit()
        keys = [m.key for m in candidates if m.id in deleted]
        keys += [r.key for r in renditions if r.media_id in deleted]
        for key in dict.fromkeys(keys):
            try:
                await store.delete(key)
            except MediaStoreError:
                log.error("could not delete media object %s of deleted media", key, exc_info=True)
        total += len(deleted)
        if len(candidates) < batch_size or not deleted:
            break
    if total:
        log.info("deleted %d media no post shows", total)
    return total


async def media_cleanup(services: Services) -> int:
    """The periodic job: clean up the app's media store."""
    now = services.clock()
    await delete_unused_media(services.database, services.media, now)
    return await clean_up_expired_uploads(services.database, services.media, now)
