"""What a background job gets: the settings, the database and the app's other services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoppable.settings import Settings
from shoppable.storage.db import Database


@dataclass
class JobContext:
    settings: Settings
    database: Database
    services: dict[str, Any] = field(default_factory=dict)
