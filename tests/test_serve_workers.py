"""`shoppable serve` and `make run` use every core by default: one worker process per CPU."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from shoppable import cli


def test_serve_starts_one_worker_per_cpu_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    monkeypatch.setattr(cli, "default_workers", lambda: 7)  # what this machine has does not matter
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve", "--no-migrate"], env={"DEBUG": "1"}).exit_code == 0
    assert (
        runner.invoke(cli.app, ["serve", "--no-migrate", "--workers", "2"], env={"DEBUG": "1"}).exit_code == 0
    )
    assert [options["workers"] for options in started] == [7, 2]


def test_default_workers_is_the_cpus_this_process_may_use() -> None:
    assert cli.default_workers() == len(os.sched_getaffinity(0)) >= 1


def test_make_run_leaves_the_worker_count_to_serve() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert re.search(r"shoppable serve .*--workers \$\$\{WORKERS:-0\}", makefile)
