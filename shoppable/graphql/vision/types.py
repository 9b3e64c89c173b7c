"""Visual search types: matches with their similarity, grouped by price band; search photo uploads."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import strawberry

from shoppable.domain.vision.records import BandMatches, Candidate, VisualResult
from shoppable.domain.vision.uploads import CreatedSearchUpload
from shoppable.graphql.catalog.types import Image, Money, Product, Sku
from shoppable.graphql.content.types.media import UploadField
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError
from shoppable.graphql.core.ids import encode_id

MATCH_IMAGE_WIDTH = 640


@strawberry.type(description="A catalog product that looks like the query, and how much (cosine, -1..1).")
class VisualMatch:
    product: Product
    sku: Sku | None
    image: Image | None
    similarity: float


@strawberry.type(description="A price range drawn from the similar items found; open at the ends.")
class PriceBand:
    label: str
    min: Money | None
    max: Money | None


@strawberry.type(description="Similar items in one price range.")
class PriceBandMatches:
    band: PriceBand
    matches: list[VisualMatch]


@strawberry.type
class VisualSearchPayload:
    matches: list[VisualMatch] = strawberry.field(default_factory=list)
    by_price_band: list[PriceBandMatches] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Where to send a search photo; then call visualSearch with its id.")
class SearchUpload:
    id: strawberry.ID
    url: str
    method: str
    headers: list[UploadField]
    fields: list[UploadField]
    expires_at: datetime

    @classmethod
    def of(cls, created: CreatedSearchUpload) -> SearchUpload:
        target = created.target
        return cls(
            id=strawberry.ID(encode_id("SearchUpload", created.upload.id)),
            url=target.url,
            method=target.method,
            headers=[UploadField(name=k, value=v) for k, v in target.headers.items()],
            fields=[UploadField(name=k, value=v) for k, v in target.fields.items()],
            expires_at=target.expires_at,
        )


@strawberry.type
class SearchUploadPayload:
    upload: SearchUpload | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def hydrate_matches(info: Info, candidates: Sequence[Candidate]) -> list[VisualMatch]:
    """Products, SKUs and images of matches through the request's loaders (three statements in all)."""
    loaders = info.context.loaders
    products, skus, images = await asyncio.gather(
        loaders.catalog.product_by_id.load_many([c.product_id for c in candidates]),
        loaders.catalog.sku_by_id.load_many([c.sku_id for c in candidates if c.sku_id is not None]),
        loaders.vision.catalog_image_by_id.load_many([c.image_id for c in candidates]),
    )
    sku_of = {s.id: s for s in skus if s is not None}
    media = info.context.services.media
    matches = []
    for candidate, product, image in zip(candidates, products, images, strict=True):
        if product is None:
            continue
        rendition = image.rendition_for(MATCH_IMAGE_WIDTH) if image is not None else None
        sku = sku_of.get(candidate.sku_id) if candidate.sku_id is not None else None
        matches.append(
            VisualMatch(
                product=Product.of(product),
                sku=Sku.of(sku) if sku is not None else None,
                image=Image(url=media.public_url(rendition.key), alt_text=product.title)
                if rendition
                else None,
                similarity=round(candidate.similarity, 4),
            )
        )
    return matches


async def payload_of(info: Info, result: VisualResult) -> VisualSearchPayload:
    """Matches and price bands hydrated together: one batch per relation whatever the answer's size."""
    everyone = list(
        {
            c.product_id: c for c in (*result.matches, *(m for b in result.by_price_band for m in b.matches))
        }.values()
    )
    await hydrate_matches(info, everyone)  # primes the loaders for both lists
    matches = await hydrate_matches(info, result.matches)
    bands = [await _band(info, band) for band in result.by_price_band]
    return VisualSearchPayload(matches=matches, by_price_band=bands)


async def _band(info: Info, band: BandMatches) -> PriceBandMatches:
    return PriceBandMatches(
        band=PriceBand(
            label=band.band.label,
            min=Money.of(band.band.min) if band.band.min is not None else None,
            max=Money.of(band.band.max) if band.band.max is not None else None,
        ),
        matches=await hydrate_matches(info, band.matches),
    )
