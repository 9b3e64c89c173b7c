"""`shoppable catalog import` tells outcomes apart by exit status, so an integrator's script can; every
format has a sample in examples/ that imports cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shoppable.storage.db import Database
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.tables import metadata

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    uow = database.unit_of_work(write=True)
    async with uow:
        identity = SqlIdentityRepository(uow)
        owner = await identity.add_user("cli@example.com", "x", "Owner", is_admin=False)
        await identity.add_merchant("lumen", "Lumen", "USD", 3, owner.id)
        await identity.add_merchant("northwind", "Northwind", "EUR", 3, owner.id)
        await uow.commit()
    await database.dispose()
    return url


def run_import(url: str, path: Path, merchant: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": url, "IMPORT_DIR": str(tmp_path / "imports"), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "shoppable.cli", "catalog", "import", str(path), "--merchant", merchant],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


async def test_exit_status_says_how_the_import_ended(sqlite_url: str, tmp_path: Path) -> None:
    clean = run_import(sqlite_url, ROOT / "examples" / "lumen-google.xml", "lumen", tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    partial = tmp_path / "partial.jsonl"
    partial.write_text(
        '{"handle": "ok", "title": "Ok", "skus": [{"sku": "OK-1", "price": "5.00 EUR"}]}\n{broken\n'
    )
    with_errors = run_import(sqlite_url, partial, "northwind", tmp_path)
    assert with_errors.returncode == 3, with_errors.stdout + with_errors.stderr
    unknown = run_import(sqlite_url, partial, "nobody", tmp_path)
    assert unknown.returncode == 2


def test_every_format_has_a_sample() -> None:
    from shoppable.domain.catalog.formats import FeedFormat, detect_format

    samples = {detect_format(p.read_bytes()[:4096]) for p in (ROOT / "examples").iterdir() if p.is_file()}
    assert samples == set(FeedFormat)
