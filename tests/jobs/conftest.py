"""Jobs run with the app's one Services object, here built on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shoppable.services import Services, build_services
from shoppable.settings import Settings
from shoppable.storage.db import Database


@pytest.fixture
async def services(settings: Settings, database: Database) -> AsyncIterator[Services]:
    built = build_services(settings, database)
    yield built
    await built.jobs.close()
