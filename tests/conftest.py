"""Shared fixtures: every storage-touching test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text

from shoppable.api.app import create_app
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.tables import metadata

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgres"]

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A schema of our own in the test database, created once and dropped at the end."""
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = Database(TEST_DATABASE_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{TEST_DATABASE_URL}?search_path={schema}"
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await database.dispose()
    yield url
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database(backend: str, tmp_path: Path, postgres_url: str) -> AsyncIterator[Database]:
    if backend == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    else:
        database = Database(postgres_url)
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(
        database_url=database.url,
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        debug=False,
        media_dir=tmp_path / "media",
        import_dir=tmp_path / "imports",
        model_dir=tmp_path / "models",
        public_base_url="http://testserver.local",
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    # The test client runs the app on its own event loop (a blocking portal), so the app gets its own
    # engine; `database` is the tests' engine on the tests' loop, for setup and direct checks.
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def gql(client: AsyncTestClient[Any]) -> GraphQL:
    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        expect_errors: bool = False,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if not expect_errors:
            assert "errors" not in body, body["errors"]
        return body

    return run


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


@pytest.fixture
def count_statements(client: AsyncTestClient[Any]) -> Any:
    """Counts the SQL statements the app (not the test setup) executes."""
    engine = client.app.state.services.database.engine.sync_engine
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)
