"""`shoppable seed`: every part of the demo data, in dependency order; safe to run again."""

from __future__ import annotations

from shoppable.demo.catalog import DEMO_OWNER_EMAIL, DEMO_PASSWORD, seed_catalog
from shoppable.jobs.context import JobContext
from shoppable.settings import Settings
from shoppable.storage.db import Database


async def seed_all(settings: Settings) -> list[str]:
    database = Database(settings.database_url)
    report: list[str] = []
    try:
        ctx = JobContext(settings, database)
        for job in await seed_catalog(ctx):
            c = job.counts
            report.append(
                f"catalog import {job.id} ({job.format}): {job.status.value}: {c.created} created, "
                f"{c.updated} updated, {c.unchanged} unchanged, {c.failed} failed rows"
            )
        report.append(f"demo merchant login: {DEMO_OWNER_EMAIL} / {DEMO_PASSWORD}")
    finally:
        await database.dispose()
    return report
