"""The privacy jobs on SQLite and PostgreSQL: the clean-up deletes what has outlived its purpose,
the export job writes a private file, the outbox sends and retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shoppable.domain.identity.recovery import EmailMessage, MailError
from shoppable.jobs.privacy import data_export, mail_outbox, privacy_cleanup
from shoppable.services import Services
from shoppable.storage.db import Database
from shoppable.storage.tables import (
    AuthSessionRow,
    DataExportRow,
    OutboxEmailRow,
    PasswordResetRow,
    RefreshTokenRow,
)


async def _user(services: Services) -> int:
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        user = await uow.identity.add_user("jobs@example.com", "x", "Jobs", is_admin=False)
        await uow.commit()
    return user.id


async def count(database: Database, row: type) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(row.__table__))).scalar_one())


async def test_privacy_cleanup_deletes_old_sessions_links_mail_and_expired_exports(
    services: Services, database: Database
) -> None:
    now = datetime.now(UTC)  # per test: a module-level time goes stale in a slow run
    user_id = await _user(services)
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        old = await uow.trust.add_session(
            user_id, "APP", "old", now - timedelta(days=200), now - timedelta(days=31)
        )
        live = await uow.trust.add_session(user_id, "WEB", "live", now, now + timedelta(days=90))
        await uow.trust.add_refresh_token(old.id, "a" * 64, now - timedelta(days=31))
        await uow.trust.add_refresh_token(live.id, "b" * 64, now + timedelta(days=30))
        await uow.trust.add_password_reset(user_id, "c" * 64, now - timedelta(minutes=1))
        await uow.trust.add_password_reset(user_id, "d" * 64, now + timedelta(minutes=20))
        sent = await uow.trust.add_email(user_id, "jobs@example.com", "s", "body")
        await uow.trust.mark_email_sent(sent, now - timedelta(days=8))
        await uow.trust.add_email(user_id, "jobs@example.com", "s", "waiting")
        expired = await uow.trust.add_export(user_id, "e" * 64, now - timedelta(seconds=1))
        await uow.commit()
    await services.media.put(f"exports/{user_id}/{expired.id}.json", b"{}", "application/json")
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        await uow.trust.finish_export(expired.id, "READY", f"exports/{user_id}/{expired.id}.json", 2, now)
        await uow.commit()
    counts = await privacy_cleanup(services)
    assert counts == {"sessions": 1, "refreshTokens": 0, "passwordResets": 1, "sentMail": 1, "exports": 1}
    assert await count(database, AuthSessionRow) == 1 and await count(database, RefreshTokenRow) == 1
    assert await count(database, PasswordResetRow) == 1 and await count(database, OutboxEmailRow) == 1
    assert await count(database, DataExportRow) == 0
    assert await services.media.head(f"exports/{user_id}/{expired.id}.json") is None


async def test_export_job_writes_the_document_privately(services: Services, database: Database) -> None:
    now = datetime.now(UTC)  # per test: a module-level time goes stale in a slow run
    user_id = await _user(services)
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        export = await uow.trust.add_export(user_id, "f" * 64, now + timedelta(days=7))
        await uow.commit()
    await data_export(services, export.id)
    async with services.database.unit_of_work() as uow:
        done = await uow.trust.get_export(export.id)
    assert done is not None and done.status == "READY" and done.object_key
    assert done.object_key.startswith("exports/") and not done.object_key.startswith("media/")
    info = await services.media.head(done.object_key)
    assert info is not None and info.size == done.byte_size


class FlakyMail:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = True

    async def send(self, message: EmailMessage) -> None:
        if self.fail:
            raise MailError("421 try again later")
        self.sent.append(message)


async def test_outbox_retries_what_the_server_refused(services: Services, database: Database) -> None:
    user_id = await _user(services)
    async with services.database.unit_of_work(write=True) as uow:
        await uow.begin_write()
        await uow.trust.add_email(user_id, "jobs@example.com", "Hello", "the body")
        await uow.commit()
    mail = FlakyMail()
    services.mail = mail
    assert await mail_outbox(services) == 0
    mail.fail = False
    assert await mail_outbox(services) == 1
    assert await mail_outbox(services) == 0  # sent once
    assert [(m.to, m.subject, m.body) for m in mail.sent] == [("jobs@example.com", "Hello", "the body")]
