"""An experiment names a trained ranker version: the model store loads exactly that version."""

from __future__ import annotations

from pathlib import Path

from shoppable.storage import recs_artifacts as artifact
from shoppable.storage.models import ModelStore
from tests.domain.recs.test_recs_training import trained


async def test_versions_by_name(tmp_path: Path) -> None:
    first = trained(params={"tune": False})
    first_path = artifact.save(first, tmp_path)
    second = trained(params={"tune": False, "weights": {"popularity": 2.0}})
    artifact.save(second, tmp_path)
    store = ModelStore(tmp_path)
    older = await store.version(first_path.stem)  # the name `recs train` prints, without .pkl
    assert older is not None and older.version == first.version
    latest = await store.version("latest")
    assert latest is not None and latest.version == second.version
    assert await store.version("feed-20200101T000000Z-000000000000") is None  # pruned or never trained
    assert await store.version("../../etc/passwd") is None  # only model file names are ever read
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    artifact.save(trained(params={"tune": False}), outside)
    escaped = next(outside.glob("feed-*.pkl")).stem
    assert await store.version(f"elsewhere/{escaped}") is None
    assert await store.version(f"../{tmp_path.name}/elsewhere/{escaped}") is None
