"""Privacy jobs: writing data exports, sending the mail outbox, deleting what outlived its purpose,
and retrying media deletions an erasure could not finish."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shoppable.domain.content.ports import MediaStoreError
from shoppable.domain.identity.privacy import delete_expired_exports, write_export
from shoppable.domain.identity.recovery import send_outbox

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.jobs")


async def data_export(services: Services, export_id: int) -> None:
    async with services.database.unit_of_work() as uow:
        await write_export(uow, services, export_id)


async def mail_outbox(services: Services) -> int:
    async with services.database.unit_of_work() as uow:
        return await send_outbox(uow, services.mail, services.clock())


async def privacy_cleanup(services: Services) -> dict[str, int]:
    """Ended sessions (kept 30 days for the session list's history), used or expired reset links,
    sent mail after a week, expired exports and their files."""
    now = services.clock()
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        counts = await uow.trust.prune(now)
        await uow.commit()
        counts["exports"] = await delete_expired_exports(uow, services.media, now)
    return counts


async def delete_media_objects(services: Services, keys: list[str]) -> int:
    """Objects an erasure could not delete at once; raising makes SAQ retry the job."""
    failed = []
    for key in keys:
        try:
            await services.media.delete(key)
        except MediaStoreError:
            failed.append(key)
    if failed:
        raise MediaStoreError(f"{len(failed)} objects could not be deleted yet")
    return len(keys)
