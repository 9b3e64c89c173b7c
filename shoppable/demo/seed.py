"""`shoppable seed`: every part of the demo data, in dependency order; safe to run again."""

from __future__ import annotations

from shoppable.demo.catalog import DEMO_OWNER_EMAIL, DEMO_PASSWORD, seed_catalog
from shoppable.demo.catalog_images import seed_catalog_images
from shoppable.demo.content import DEMO_CREATORS, seed_content
from shoppable.demo.orders import seed_orders
from shoppable.demo.shoppers import seed_shoppers
from shoppable.jobs.recs_train import recs_train
from shoppable.services import build_services
from shoppable.settings import Settings


async def seed_all(settings: Settings) -> list[str]:
    services = build_services(settings)
    report: list[str] = []
    try:
        imports = await seed_catalog(services)
        for job in imports:
            c = job.counts
            report.append(
                f"catalog import {job.id} ({job.format}): {job.status.value}: {c.created} created, "
                f"{c.updated} updated, {c.unchanged} unchanged, {c.failed} failed rows"
            )
        drawn = await seed_catalog_images(services, sorted({job.merchant_id for job in imports}))
        report.append(f"catalog images drawn and indexed for visual search: {drawn}")
        await seed_content(services)
        report.append("creators and posts: ready")
        report.append(f"shopper events stored: {await seed_shoppers(services.database)}")
        report.extend(await seed_orders(services))
        trained = await recs_train(services)
        report.append(f"feed ranker: {trained['version'] if trained else 'not trained (no events)'}")
        report.append(f"demo merchant login: {DEMO_OWNER_EMAIL} / {DEMO_PASSWORD}")
        report.append(f"demo shopper logins: shopper@shoppable.dev, private@shoppable.dev / {DEMO_PASSWORD}")
        creators = ", ".join(c.email for c in DEMO_CREATORS)
        report.append(f"demo creator logins (earnings): {creators} / {DEMO_PASSWORD}")
    finally:
        await services.close()
    return report
