"""What the app holds for its lifetime, shared by REST handlers and the GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoppable.domain.content.ports import MediaStore
from shoppable.graphql.ids import CursorCodec
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.feed import CandidatePlanCache, SnapshotCache
from shoppable.storage.models import ModelStore


@dataclass
class AppServices:
    settings: Settings
    database: Database
    cursors: CursorCodec
    jobs: Any = None  # shoppable.jobs.queue.JobQueue, set by the app factory
    feed: Any = None  # shoppable.api.state.FeedServices, set by the app factory
    extras: dict[str, Any] = field(default_factory=dict)
    media: MediaStore | None = None  # S3 or local disk, chosen from settings by the app factory


@dataclass
class FeedServices:
    """Process-wide parts of the feed: the shared trending snapshot and the current trained model."""

    snapshots: SnapshotCache
    models: ModelStore
    plans: CandidatePlanCache
