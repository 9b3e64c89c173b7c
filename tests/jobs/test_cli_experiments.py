"""`shoppable experiments create | start | report` as the README runs them, on the example interleaving
definition: the file is valid, and the report (text and JSON) says who wins (nobody yet)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shoppable.storage.db import Database
from shoppable.storage.tables import metadata

ROOT = Path(__file__).resolve().parents[2]


async def test_the_readme_interleaving_example_runs_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await database.dispose()
    env = os.environ | {"DATABASE_URL": url, "MODEL_DIR": str(tmp_path / "models"), "PYTHONPATH": str(ROOT)}

    def shoppable(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shoppable.cli", "experiments", *args],
            env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip

    created = shoppable("create", str(ROOT / "examples" / "experiment-interleaving.json"))
    assert created.returncode == 0, created.stderr + created.stdout
    assert shoppable("start", "trendier-blend").returncode == 0
    report = shoppable("report", "trendier-blend", "--json", str(tmp_path / "out.json"))
    assert report.returncode == 0, report.stderr + report.stdout
    assert "interleaving (team draft), 0 sessions" in report.stdout
    assert "winner: none yet" in report.stdout
    body = json.loads((tmp_path / "out.json").read_text())
    assert body["kind"] == "INTERLEAVING" and body["results"]["interleaving"]["winner"] is None
    assert body["results"]["interleaving"]["sessions"] == 0
