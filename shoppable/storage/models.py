"""Trained recommendation models on disk: the feed serves the latest, reloaded when a new one lands."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from shoppable.domain.recs.artifact import TrainedModel
from shoppable.storage import recs_artifacts as artifact

log = logging.getLogger("shoppable.recs")


class ModelStore:
    """Versioned artifacts in one directory; `current()` is cheap and swaps to a new version atomically."""

    def __init__(self, directory: Path, check_every_seconds: float = 30.0) -> None:
        self.directory = directory
        self.check_every = check_every_seconds
        self._model: TrainedModel | None = None
        self._path: Path | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self._versions: dict[str, TrainedModel | None] = {}

    async def current(self) -> TrainedModel | None:
        if time.monotonic() - self._checked < self.check_every:
            return self._model
        async with self._lock:
            if time.monotonic() - self._checked >= self.check_every:
                await asyncio.to_thread(self._refresh)
                self._checked = time.monotonic()
        return self._model

    def _refresh(self) -> None:
        try:
            path = artifact.latest_path(self.directory)
        except OSError:
            log.exception("cannot read the latest model pointer in %s", self.directory)
            return
        if path is None or path == self._path:
            return
        try:
            self._model = artifact.load(path)
            self._path = path
            log.info("serving recommendation model %s", self._model.version)
        except (OSError, ValueError):
            log.exception("cannot load model %s; keeping the previous one", path)

    async def version(self, name: str) -> TrainedModel | None:
        """A saved version by name (`<model>-<version>`, the file name without `.pkl`; "latest" is the
        current one), for experiments; None when it is not in the directory (pruned or never trained).
        Loaded once per process."""
        if name == "latest":
            return await self.current()
        if name not in self._versions:
            if not artifact.is_version_name(f"{name}.pkl"):  # a bare file name: never outside the directory
                return None
            path = self.directory / f"{name}.pkl"
            try:
                self._versions[name] = await asyncio.to_thread(artifact.load, path)
            except FileNotFoundError:
                return None
            except (OSError, ValueError):
                log.exception("cannot load model %s for an experiment", path)
                self._versions[name] = None
        return self._versions[name]

    def save(self, trained: TrainedModel) -> Path:
        """Write a new version, point LATEST at it, keep the three newest; blocking (call in a thread)."""
        path = artifact.save(trained, self.directory)
        artifact.prune(self.directory, keep=3)
        self._checked = 0.0
        return path
