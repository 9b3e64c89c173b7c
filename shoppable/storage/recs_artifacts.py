"""Trained ranker versions on disk: `<model>-<UTC time>-<sha256 prefix>.pkl` files in one directory,
plus a `LATEST` pointer holding the current file name.

`save` writes the new version under a temporary name and renames it, then swaps the pointer with
`os.replace`, so a reader sees the old model or the new one, never half a file. `load` checks the
content hash against the file name.

Pickle runs code on load: only ever load files from the model directory our own training wrote.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from shoppable.domain.recs.artifact import TrainedModel

FORMAT_VERSION = 1
LATEST = "LATEST"
_FILE_NAME = re.compile(r"^(?P<model>[a-z0-9_]+)-(?P<version>\d{8}T\d{6}Z-[0-9a-f]{12})\.pkl$")


def save(trained: TrainedModel, directory: Path | str) -> Path:
    """Write a new version and make it the latest; returns its path. `trained.version` is set."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(
        {"format": FORMAT_VERSION, "trained": replace(trained, version="")}, protocol=pickle.HIGHEST_PROTOCOL
    )
    digest = hashlib.sha256(payload).hexdigest()[:12]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    version = f"{stamp}-{digest}"
    path = directory / f"{trained.name}-{version}.pkl"
    _write_atomically(path, payload)
    _write_atomically(directory / LATEST, (path.name + "\n").encode())
    trained.version = version
    return path


def load(path: Path | str) -> TrainedModel:
    """Load a version file, or the latest version of a model directory."""
    path = Path(path)
    if path.is_dir():
        pointer = path / LATEST
        if not pointer.exists():
            raise FileNotFoundError(f"{path}: no trained model yet (no {LATEST} pointer)")
        path = path / pointer.read_text().strip()
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise ValueError(f"{path}: not a model file name (<model>-<version>.pkl)")
    payload = path.read_bytes()
    version = match["version"]
    if hashlib.sha256(payload).hexdigest()[:12] != version[-12:]:
        raise ValueError(f"{path}: content does not match the hash in its name (corrupt or edited)")
    content = pickle.loads(payload)
    if content.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: model format {content.get('format')!r}, this code reads {FORMAT_VERSION}")
    trained: TrainedModel = content["trained"]
    trained.version = version
    return trained


def is_version_name(file_name: str) -> bool:
    """True for `<model>-<version>.pkl` (nothing else is ever loaded from the model directory)."""
    return _FILE_NAME.match(file_name) is not None


def latest_path(directory: Path | str) -> Path | None:
    pointer = Path(directory) / LATEST
    return Path(directory) / pointer.read_text().strip() if pointer.exists() else None


def prune(directory: Path | str, keep: int = 3) -> list[Path]:
    """Delete all but the `keep` newest versions (never the latest one); returns the deleted paths."""
    directory = Path(directory)
    current = latest_path(directory)
    versions = sorted(
        (p for p in directory.glob("*.pkl") if _FILE_NAME.match(p.name)),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    doomed = [p for p in versions[max(keep, 1) :] if p != current]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
