"""Shared fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

Tests that need a service (PostgreSQL, Redis, Node.js) call `require_service`: when the service is
missing they are skipped, or fail when REQUIRE_SERVICES=1 (as in CI, see .ci/run). SQLite-only runs
(`pytest -k sqlite`) need no PostgreSQL: the `postgres` backend asks for its schema lazily.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from sqlalchemy import event, make_url, text

from shoppable.api.app import create_app
from shoppable.domain.identity import credentials
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.tables import metadata

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ["sqlite", "postgres"]
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

GraphQL = Callable[..., Awaitable[dict[str, Any]]]

# -- services ---------------------------------------------------------------------------------------

_service_problems: dict[str, str | None] = {}


def require_service(name: str, check: Callable[[], str | None]) -> None:
    """Skip the calling test when `name` is unavailable; fail it instead when REQUIRE_SERVICES=1.

    `check()` returns None when the service answers, else what is wrong; it runs once per session.
    """
    if name not in _service_problems:
        _service_problems[name] = check()
    problem = _service_problems[name]
    if problem is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but unavailable: {problem}", pytrace=False)
    pytest.skip(f"{name} unavailable: {problem}")


def _postgres_problem() -> str | None:
    url = make_url(TEST_DATABASE_URL)
    address = (url.host or "127.0.0.1", url.port or 5432)
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError as exc:
        return f"nothing answers at {address[0]}:{address[1]} ({exc}); start it or set TEST_DATABASE_URL"
    return None


def _redis_problem() -> str | None:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"no answer to PING at {TEST_REDIS_URL} ({exc}); start it or set TEST_REDIS_URL"
    finally:
        client.close()
    return None


def require_postgres() -> None:
    require_service("PostgreSQL", _postgres_problem)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # The [postgres] half of the backend-parametrized tests, and tests named `..._on_postgres` that
    # connect to TEST_DATABASE_URL themselves.
    if "postgres" in item.name:
        require_postgres()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", _redis_problem)
    return TEST_REDIS_URL


# -- password hashing -------------------------------------------------------------------------------

# argon2id at its cheapest (still argon2id, salted, verified for real): the production parameters cost
# ~0.1-0.3 s of four cores' CPU per hash by design, over a second each with the suite on 2 cores, and
# hundreds of sign-ups and every demo seed hash. This lives only here: the app has no setting for it.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    # Session-scoped, so that module- and session-scoped fixtures (demo seeds) hash cheaply too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", CHEAP_PASSWORD_HASHER)
        credentials._dummy_hash.cache_clear()
        yield
    credentials._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def _real_password_hashing_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """`@pytest.mark.real_password_hashing`: the production argon2 parameters, for tests of its cost."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", PasswordHasher())
        credentials._dummy_hash.cache_clear()
        yield
    credentials._dummy_hash.cache_clear()


# -- demo data --------------------------------------------------------------------------------------


@pytest.fixture
def demo_images_once(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo seed's catalog images drawn, rendered and embedded once per run (tests/demo_images.py)."""
    from tests import demo_images

    demo_images.install(monkeypatch, demo_images.cache_folder(tmp_path_factory))


# -- databases --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A schema of our own in the test database, created once and dropped at the end."""
    require_postgres()
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
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    # A sync fixture, so that the session's PostgreSQL schema is set up only when a test needs it
    # (getfixturevalue cannot run an async fixture from inside a running event loop).
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


_sqlite_template: list[Path] = []


async def _sqlite_schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the whole schema, made once per process: each test copies the file
    (a few milliseconds) instead of running `create_all` again (~0.1-0.3 s)."""
    if not _sqlite_template:
        path = tmp_path_factory.mktemp("sqlite-schema") / "schema.db"
        template = Database(f"sqlite+aiosqlite:///{path}")
        async with template.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await template.dispose()  # the last connection closing checkpoints the WAL into the file
        _sqlite_template.append(path)
    return _sqlite_template[0]


# Tables with rows, and tables whose identity sequence has been used since it was last restarted: what
# an earlier test left. Emptying only those (one statement to find them) leaves the schema exactly as
# truncating all ~60 tables would, in ~10 ms instead of ~0.2-0.5 s.
_NON_EMPTY_TABLES = text(
    " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in metadata.sorted_tables
    )
)
_USED_SEQUENCES = text(
    """
SELECT s.sequencename, owner.relname FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relnamespace = n.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = seq.oid AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class owner ON owner.oid = d.refobjid
WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL
"""
)


async def _empty_postgres_schema(database: Database) -> None:
    async with database.engine.begin() as conn:
        dirty = {row[0] for row in await conn.execute(_NON_EMPTY_TABLES)}
        standalone = []
        for sequence, owner in await conn.execute(_USED_SEQUENCES):
            if owner is None:
                standalone.append(sequence)
            else:
                dirty.add(owner)
        if dirty:
            names = ", ".join(f'"{name}"' for name in sorted(dirty))
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for sequence in standalone:
            await conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
async def database(
    backend: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    if backend == "sqlite":
        target = Path(make_url(database_url).database or "")
        shutil.copyfile(await _sqlite_schema_file(tmp_path_factory), target)
        database = Database(database_url)
    else:
        database = Database(database_url)
        await _empty_postgres_schema(database)
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
        payment_gateways=["test"],
        allow_test_payments=True,
        # Every test client calls from one address; tests of the limits set their own.
        rate_limits={
            "sign-up-per-ip": "10000/3600",
            "log-in-failures-per-ip": "10000/3600",
            "anonymous-track-events-per-ip": "100000/60",
        },
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
