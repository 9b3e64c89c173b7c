"""What visual search stores and answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoppable.domain.catalog.money import Money


class ImageStatus(StrEnum):
    PENDING = "PENDING"
    """Not fetched yet, or failed in a way worth trying again (`next_attempt_at`)."""
    READY = "READY"
    """Fetched, rendered and embedded."""
    FAILED = "FAILED"
    """Refused for good (not an image, too large, a private address) or out of attempts."""


@dataclass(frozen=True)
class CatalogImageRendition:
    width: int
    height: int
    key: str


@dataclass(frozen=True)
class CatalogImage:
    id: int
    url: str
    status: ImageStatus
    attempts: int
    error: str | None
    width: int | None
    height: int | None
    renditions: tuple[CatalogImageRendition, ...]

    def rendition_for(self, width: int) -> CatalogImageRendition | None:
        """The narrowest rendition at least `width` wide, else the widest there is."""
        return rendition_for(self.renditions, width)


def rendition_for(renditions: Sequence[CatalogImageRendition], width: int) -> CatalogImageRendition | None:
    """The narrowest of `renditions` at least `width` wide, else the widest there is."""
    if not renditions:
        return None
    wide_enough = [r for r in renditions if r.width >= width]
    return min(wide_enough, key=lambda r: r.width) if wide_enough else max(renditions, key=lambda r: r.width)


@dataclass(frozen=True)
class ImageLink:
    """A product, or one SKU of it, shows an image."""

    product_id: int
    image_id: int
    sku_id: int | None


@dataclass(frozen=True)
class Candidate:
    """A visible product whose image is near the query, with what a shopper pays for it."""

    product_id: int
    sku_id: int | None
    image_id: int
    similarity: float
    price: Money | None


@dataclass(frozen=True)
class PriceBand:
    label: str
    min: Money | None
    max: Money | None


@dataclass(frozen=True)
class BandMatches:
    band: PriceBand
    matches: tuple[Candidate, ...]


@dataclass(frozen=True)
class VisualResult:
    matches: tuple[Candidate, ...]
    by_price_band: tuple[BandMatches, ...]


@dataclass(frozen=True)
class SearchUpload:
    id: int
    owner: str
    key: str
    content_type: str
    byte_size: int
    expires_at: datetime
    created_at: datetime
    has_embedding: bool
