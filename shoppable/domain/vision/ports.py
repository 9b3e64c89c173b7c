"""What visual search needs from storage and from the machine: a repository, an image embedder, a
vector index, an image fetcher."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from shoppable.domain.content.ports import ImageProcessor, MediaStore
from shoppable.domain.rate_limits import RateLimiter
from shoppable.domain.vision.records import (
    Candidate,
    CatalogImage,
    CatalogImageRendition,
    ImageLink,
    SearchUpload,
)

Vector = np.ndarray
"""A unit-length float32 embedding."""


@dataclass(frozen=True)
class ProductImageUrls:
    """The image URLs of one product as the catalog holds them: its own, then each SKU's."""

    product_id: int
    images: tuple[str, ...]
    sku_images: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class StoredEmbedding:
    image_id: int
    vector: Vector
    embedded_at: datetime


class VisionRepository(Protocol):
    # -- linking products to their images ---------------------------------------------------------
    async def products_to_link(self, limit: int) -> list[int]:
        """Products never linked, or changed since they were last linked."""
        ...

    async def image_urls_of(self, product_ids: Sequence[int]) -> list[ProductImageUrls]: ...

    async def ensure_images(self, urls: Sequence[str], now: datetime) -> dict[str, int]:
        """The catalog image id of each URL, creating PENDING ones for URLs never seen."""
        ...

    async def replace_links(
        self, product_ids: Sequence[int], links: Sequence[tuple[ImageLink, int]], now: datetime
    ) -> None:
        """Make `links` (with their positions) the only ones of these products; mark them linked."""
        ...

    # -- fetching and embedding ---------------------------------------------------------------------
    async def claim_due_images(self, now: datetime, lease_until: datetime, limit: int) -> list[CatalogImage]:
        """PENDING images whose time has come, claimed until `lease_until` (attempts counted)."""
        ...

    async def image_ready(
        self,
        image_id: int,
        width: int,
        height: int,
        renditions: Sequence[CatalogImageRendition],
        embedding: Vector,
        model: str,
        now: datetime,
    ) -> None: ...

    async def image_failed(self, image_id: int, error: str, retry_at: datetime | None) -> None:
        """FAILED for good when `retry_at` is None, else PENDING again from `retry_at`."""
        ...

    async def reset_images(self, image_ids: Sequence[int] | None, now: datetime) -> int:
        """Make images PENDING again (all FAILED and READY ones when None): `shoppable vision index --refetch`."""
        ...

    async def get_images(self, ids: Sequence[int]) -> list[CatalogImage]: ...

    async def ready_images(self, after_id: int, limit: int) -> list[CatalogImage]: ...

    async def ready_images_by_url(self, urls: Sequence[str]) -> dict[str, CatalogImage]:
        """The fetched (READY) catalog image of each URL that has one."""
        ...

    async def set_embedding(self, image_id: int, embedding: Vector, model: str, now: datetime) -> None: ...

    async def image_status_counts(self) -> dict[str, int]: ...

    # -- the index's source of truth ----------------------------------------------------------------
    async def embeddings_after(self, after_id: int, limit: int) -> list[StoredEmbedding]:
        """Every stored embedding, in image id order (a rebuild)."""
        ...

    async def embeddings_since(self, since: datetime, limit: int) -> list[StoredEmbedding]:
        """Embeddings stored at or after `since`, oldest first (an index catching up)."""
        ...

    # -- queries ------------------------------------------------------------------------------------
    async def visible_candidates(self, similar: dict[int, float]) -> list[Candidate]:
        """For images near the query (id -> similarity), the ACTIVE, buyable products showing them."""
        ...

    async def embeddings_of_product(self, product_id: int) -> list[Vector]: ...

    async def links_of_products(self, product_ids: Sequence[int]) -> list[ImageLink]: ...

    async def media_visible_to(self, media_id: int, user_id: int | None) -> bool:
        """The media is in a published post, or is the user's own."""
        ...

    async def rendition_keys_of_media(self, media_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """(width, key) of each photo's renditions, by media id; videos have none."""
        ...

    async def post_media_ids(self, post_id: int) -> list[int]: ...

    # -- shoppers' search photos ----------------------------------------------------------------------
    async def add_search_upload(
        self, owner: str, key: str, content_type: str, byte_size: int, expires_at: datetime, now: datetime
    ) -> SearchUpload: ...

    async def get_search_upload(self, upload_id: int) -> SearchUpload | None: ...

    async def search_upload_by_key(self, key: str) -> SearchUpload | None: ...

    async def search_upload_embedding(self, upload_id: int) -> Vector | None: ...

    async def set_search_upload_embedding(self, upload_id: int, embedding: Vector) -> None: ...

    async def search_uploads_before(self, moment: datetime, limit: int) -> list[SearchUpload]: ...

    async def delete_search_uploads(self, ids: Sequence[int]) -> None: ...


class ImageEmbedder(Protocol):
    """Turns image bytes into a unit vector; CPU-bound work runs off the event loop."""

    @property
    def model_name(self) -> str: ...

    async def embed(self, data: bytes, *, max_pixels: int) -> Vector:
        """Raises DomainError (UNSUPPORTED_MEDIA_TYPE, TOO_LARGE) for what cannot be decoded."""
        ...


class VectorIndex(Protocol):
    async def catch_up(self, repository: VisionRepository) -> None:
        """Add what was embedded since this process last looked (cheap when nothing was)."""
        ...

    async def search(self, vector: Vector, k: int) -> list[tuple[int, float]]:
        """The `k` nearest image ids with their cosine similarity, best first."""
        ...

    async def add(self, items: Sequence[StoredEmbedding]) -> None: ...


class FetchRefused(Exception):
    """The URL may not be fetched, or did not give an image: permanent, never retried."""


class FetchFailed(Exception):
    """A transient failure (timeout, 5xx, connection reset): tried again later."""


class ImageFetcher(Protocol):
    async def fetch(self, url: str, *, max_bytes: int) -> bytes:
        """The body of `url` (an image type by its Content-Type); FetchRefused or FetchFailed."""
        ...


class VisionServices(Protocol):
    @property
    def media(self) -> MediaStore: ...

    @property
    def images(self) -> ImageProcessor: ...

    @property
    def embedder(self) -> ImageEmbedder: ...

    @property
    def visual_index(self) -> VectorIndex: ...

    @property
    def image_fetcher(self) -> ImageFetcher: ...

    @property
    def rate_limits(self) -> RateLimiter: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def upload_ttl_seconds(self) -> int: ...
