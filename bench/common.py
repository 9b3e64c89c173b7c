"""Shared pieces of the benchmarks: a database to fill, a real server process, and timing."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text

from shoppable.storage.db import Database
from shoppable.storage.tables import metadata

BENCH_SECRET = "bench-secret-key-0123456789-abcdefghij"


def command_line() -> str:
    return " ".join([Path(sys.executable).name, *sys.argv])


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema in the given PostgreSQL database; removed afterwards."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            asyncio.run(_create_all(db_url))
            yield db_url
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(url, f'CREATE SCHEMA "{schema}"'))
    db_url = f"{url}?search_path={schema}"
    try:
        asyncio.run(_create_all(db_url))
        yield db_url
    finally:
        asyncio.run(_execute(url, f'DROP SCHEMA "{schema}" CASCADE'))


async def _create_all(url: str) -> None:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await database.dispose()


async def _execute(url: str, sql: str) -> None:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.execute(text(sql))
    await database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(
    app_path: str, database_url: str, extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[str]:
    """Run `app_path` (an ASGI factory `module:function`) under uvicorn in its own process (`workers`
    processes behind one socket when more than one)."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": BENCH_SECRET,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app_path,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # several workers on a busy machine start slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, p99 {percentile(samples, 0.99) * 1000:.2f} ms"
