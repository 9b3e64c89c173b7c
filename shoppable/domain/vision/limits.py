"""Every limit of visual search, in one place."""

from __future__ import annotations

from datetime import timedelta

from shoppable.domain.content.media import MEBIBYTE

SEARCH_UPLOAD_MAX_BYTES = 8 * MEBIBYTE
"""A shopper's search photo: a phone photo at full size fits; it is read once, embedded, deleted."""
SEARCH_UPLOAD_MAX_PIXELS = 40_000_000
SEARCH_UPLOAD_RETENTION = timedelta(days=1)
"""Search photos (and their embeddings) are deleted this long after the upload was made."""
SEARCH_UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})

CATALOG_IMAGE_MAX_BYTES = 15 * MEBIBYTE
CATALOG_IMAGE_MAX_PIXELS = 50_000_000
CATALOG_IMAGE_TIMEOUT_SECONDS = 20.0
CATALOG_IMAGE_MAX_REDIRECTS = 3
CATALOG_IMAGE_MAX_ATTEMPTS = 5
CATALOG_IMAGE_RETRY_BASE = timedelta(minutes=2)
"""Transient failures are retried after 2, 8, 32... minutes (times 4 each attempt)."""
CATALOG_IMAGE_LEASE = timedelta(minutes=5)
"""A claimed image is someone's for this long; a crashed worker's claim expires and it is retried."""
CATALOG_IMAGE_WIDTHS = (320, 640, 1080)
CATALOG_IMAGE_BATCH = 32
"""Images one job run claims at a time."""
MAX_IMAGES_PER_PRODUCT = 12
"""Images of one product that are fetched and indexed (its first ones, then its SKUs' own)."""

MAX_RESULTS = 50
DEFAULT_RESULTS = 20
CANDIDATE_POOL = 200
"""Nearest images looked at for one query, before hidden products and duplicates are dropped."""
BAND_MATCHES = 5
"""Matches shown in each price band."""
MIN_SIMILARITY = 0.2
"""Cosine similarity below which an image is not shown as "similar" at all."""
SUGGESTED_TAGS = 8
