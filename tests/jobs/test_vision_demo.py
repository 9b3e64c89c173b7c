"""The demo catalog's images exist without a network: drawn, rendered, embedded and indexed by the seed,
and visual search finds a demo product from an altered photo of it."""

from __future__ import annotations

import io
import random

from PIL import Image
from sqlalchemy import select

from shoppable.demo.catalog import seed_catalog
from shoppable.demo.catalog_images import seed_catalog_images
from shoppable.domain.vision.limits import SEARCH_UPLOAD_MAX_PIXELS
from shoppable.domain.vision.search import nearest_products
from shoppable.services import Services
from shoppable.storage.db import Database
from shoppable.storage.tables import CatalogImageRow
from shoppable.storage.vision.evaluation import phone_photo


async def test_the_demo_catalog_is_searchable_offline(services: Services, database: Database) -> None:
    imports = await seed_catalog(services)
    merchants = sorted({job.merchant_id for job in imports})
    drawn = await seed_catalog_images(services, merchants)
    assert drawn >= 60
    images = CatalogImageRow.__table__
    async with database.engine.connect() as conn:
        statuses = {r[0] for r in await conn.execute(select(images.c.status))}
    assert statuses == {"READY"}
    assert services.visual_index.path.exists()
    assert await seed_catalog_images(services, merchants) == 0  # idempotent

    uow = services.database.unit_of_work()
    async with uow:
        ready = await uow.vision.ready_images(0, 500)
        owners = await uow.vision.visible_candidates({image.id: 1.0 for image in ready})
        target = next(c for c in owners)
        image = next(i for i in ready if i.id == target.image_id)
        rendition = image.rendition_for(1080)
        assert rendition is not None
        original = Image.open(io.BytesIO(await services.media.read_all(rendition.key, 10_000_000)))
        altered = phone_photo(original.convert("RGB"), random.Random(2))
        buffer = io.BytesIO()
        altered.convert("RGB").save(buffer, format="JPEG", quality=80)
        vector = await services.embedder.embed(buffer.getvalue(), max_pixels=SEARCH_UPLOAD_MAX_PIXELS)
        found = await nearest_products(uow, services, [vector])
    showing = {c.product_id for c in owners if c.image_id == target.image_id}
    assert found and found[0].product_id in showing
