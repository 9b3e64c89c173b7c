"""Demo merchants whose catalogs come from the sample feed files in `examples/`, imported by the real job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shoppable.domain.catalog.formats import FeedFormat
from shoppable.domain.catalog.importing import ImportJob, ImportMode, ImportRequest, start_import
from shoppable.domain.identity import credentials
from shoppable.domain.identity.actor import OPERATOR
from shoppable.jobs.catalog_import import catalog_import

if TYPE_CHECKING:
    from shoppable.services import Services

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_OWNER_EMAIL = "merchant@shoppable.dev"
DEMO_PASSWORD = "shoppable-demo-password"


@dataclass(frozen=True)
class DemoMerchant:
    handle: str
    name: str
    currency: str
    feed: str
    format: FeedFormat


DEMO_MERCHANTS = (
    DemoMerchant("northwind", "Northwind Outfitters", "EUR", "northwind.jsonl", FeedFormat.JSONL),
    DemoMerchant("lumen", "Lumen Home", "USD", "lumen-google.tsv", FeedFormat.GOOGLE_TSV),
    DemoMerchant("atelier", "Atelier Nord", "EUR", "atelier-shopify.csv", FeedFormat.SHOPIFY_CSV),
)


async def seed_catalog(services: Services) -> list[ImportJob]:
    """Create the demo merchants (once) and import their feeds; re-running changes nothing."""
    uow = services.database.unit_of_work(write=True)
    created: list[int] = []
    async with uow:
        identity = uow.identity
        found = await identity.get_user_with_password(DEMO_OWNER_EMAIL)
        owner = (
            found[0]
            if found
            else await identity.add_user(
                DEMO_OWNER_EMAIL,
                await credentials.hash_password(DEMO_PASSWORD),
                "Demo Merchant",
                is_admin=False,
            )
        )
        for demo in DEMO_MERCHANTS:
            merchant = await identity.get_merchant_by_handle(demo.handle)
            if merchant is None:
                merchant = await identity.add_merchant(demo.handle, demo.name, demo.currency, 3, owner.id)
                assert merchant is not None  # looked up just before, in the same write transaction
            path = EXAMPLES / demo.feed
            request = ImportRequest(
                merchant.id, demo.format.value, ImportMode.FULL, False, str(path), path.stat().st_size
            )
            created.append((await start_import(uow, OPERATOR, request)).id)
    results = []
    for job_id in created:
        finished = await catalog_import(services, import_id=job_id)
        assert finished is not None
        results.append(finished)
    return results
