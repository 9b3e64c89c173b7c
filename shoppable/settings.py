"""One typed settings object, read from environment variables (and `.env` when present)."""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shoppable.domain.feed.retention import DEFAULT_RETENTION_DAYS

DEFAULT_SECRET = "insecure-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
MIN_SECRET_ENTROPY_BITS = 128


def estimated_entropy_bits(secret: str) -> float:
    """Length times the Shannon entropy of the secret's own characters: `aaaa…` has 0 bits, 43
    characters of `secrets.token_urlsafe(32)` about 200. An upper bound for text a person chose (words
    are far more predictable than their letters), and a cheap catch for repeated or tiny alphabets."""
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


class InsecureSettingsError(RuntimeError):
    """The service refuses to start in production mode with development defaults."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./shoppable.db"
    secret_key: str = DEFAULT_SECRET
    debug: bool = False
    public_base_url: str = "http://127.0.0.1:8000"
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"

    media_dir: Path = Path("./media")
    media_base_url: str | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    max_image_bytes: int = 20 * 1024 * 1024
    max_video_bytes: int = 500 * 1024 * 1024
    upload_ttl_seconds: int = 15 * 60

    redis_url: str | None = None
    saq_queue: str = "shoppable"
    job_heartbeat_seconds: int = 300
    """SAQ aborts a running job not heard from for this long; long jobs beat from their progress."""
    import_dir: Path = Path("./var/imports")
    import_archive_max_share: float = 0.5
    max_import_bytes: int = 2 * 1024 * 1024 * 1024

    model_dir: Path = Path("./var/models")
    feed_slot_pattern: str = "PPRPPPR"
    feed_purchase_window_days: int = 90
    feed_session_ttl_seconds: int = 24 * 3600
    feed_snapshot_ttl_seconds: float = 60.0
    event_retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)

    token_ttl_seconds: int = 24 * 3600

    allow_private_network_fetch: bool = False
    """Outgoing requests (catalog image downloads) may go to private, loopback and link-local
    addresses, and over plain http: development and tests only."""

    payment_gateways: list[str] | None = None
    """Gateways checkout may use by name. None: `["test"]` with DEBUG, none in production."""
    allow_test_payments: bool = False
    """Production refuses to start with the `test` gateway (it accepts fake card tokens) unless set."""
    checkout_hold_seconds: int = Field(default=15 * 60, ge=1, le=24 * 3600)
    anonymous_checkout_hold_seconds: int = Field(default=5 * 60, ge=1, le=24 * 3600)
    payout_minimum_minor: int = Field(default=5000, ge=0)
    """A creator's LOCKED commissions in one currency are paid out once they reach this."""
    rate_limits: dict[str, str] = Field(default_factory=dict)
    """Tuned rate limits by name, AMOUNT/SECONDS: `{"sign-up-per-ip": "20/3600"}`; the names and
    defaults are in `domain/rate_limits.py`. Counted in Redis when REDIS_URL is set."""

    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 5000
    graphql_max_cost: int = 50_000
    graphql_introspection: bool | None = None
    """None: on with DEBUG (GraphiQL needs it), off in production."""

    @property
    def enabled_payment_gateways(self) -> list[str]:
        if self.payment_gateways is not None:
            return self.payment_gateways
        return ["test"] if self.debug else []

    def check_production_safety(self) -> None:
        if not self.debug and "test" in self.enabled_payment_gateways and not self.allow_test_payments:
            raise InsecureSettingsError(
                "The `test` payment gateway accepts fake cards: remove it from PAYMENT_GATEWAYS, or set "
                "ALLOW_TEST_PAYMENTS=1 if this really is a test deployment."
            )
        if not self.debug and self.secret_key == DEFAULT_SECRET:
            raise InsecureSettingsError(
                "SECRET_KEY is the development default; set SECRET_KEY (or DEBUG=1 for local development)."
            )
        if not self.debug and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise InsecureSettingsError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters.")
        if not self.debug and estimated_entropy_bits(self.secret_key) < MIN_SECRET_ENTROPY_BITS:
            raise InsecureSettingsError(
                f"SECRET_KEY looks guessable (under {MIN_SECRET_ENTROPY_BITS} bits of entropy); "
                'make one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
