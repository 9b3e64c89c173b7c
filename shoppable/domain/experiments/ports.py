"""What the experiments domain needs from storage and from the app's services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shoppable.domain.experiments.analysis import InterleavedSession, ViewerOutcome
from shoppable.domain.experiments.model import Experiment, ExperimentStatus, NewExperiment
from shoppable.domain.experiments.running import RunningExperimentsCache
from shoppable.domain.feed.model import ItemKind
from shoppable.domain.feed.ports import FeedServices, FeedUnitOfWork, Ranker


class ExperimentRepository(Protocol):
    async def add(self, new: NewExperiment, now: datetime) -> Experiment | None:
        """None when the key is taken."""
        ...

    async def get(self, key: str) -> Experiment | None: ...

    async def get_by_id(self, experiment_id: int) -> Experiment | None: ...

    async def listed(
        self, status: ExperimentStatus | None, after_id: int | None, limit: int
    ) -> Sequence[Experiment]:
        """Newest first (id descending), after `after_id`."""
        ...

    async def set_status(self, experiment_id: int, status: ExperimentStatus, now: datetime) -> None: ...

    async def running(self, surface: str) -> Sequence[Experiment]: ...

    async def unit_of_user(self, user_id: int) -> str | None: ...

    async def claim_unit(self, user_id: int, unit: str, now: datetime) -> str:
        """Record the user's assignment unit unless one is recorded; returns the recorded one."""
        ...

    async def log_exposure(
        self,
        experiment_id: int,
        unit: str,
        variant: str,
        session_id: str,
        user_id: int | None,
        device_id: str | None,
        latency_ms: float,
        now: datetime,
    ) -> bool:
        """Once per (experiment, unit, session); True when recorded now."""
        ...

    async def record_teams(
        self,
        experiment_id: int,
        unit: str,
        session_id: str,
        items: Sequence[tuple[ItemKind, int, int, str]],
        now: datetime,
    ) -> None:
        """The team of each (kind, item id, position, team) an interleaved page served; once per item
        and session (a replay never changes the first record)."""
        ...

    async def interleaved_sessions(self, experiment: Experiment, now: datetime) -> list[InterleavedSession]:
        """Every session of the experiment with recorded teams, and the clicks and adds to cart of its
        viewer on those items while the session lasted (from events and from cart lines)."""
        ...

    async def outcomes(
        self, experiment: Experiment, now: datetime
    ) -> tuple[list[ViewerOutcome], dict[str, int]]:
        """Every exposed viewer's outcome in the experiment's window from their first exposure, and the
        number of exposures (viewer sessions) per variant."""
        ...


class ExperimentsUnitOfWork(FeedUnitOfWork, Protocol):
    @property
    def experiments(self) -> ExperimentRepository: ...


class RankerVersions(Protocol):
    async def current(self) -> Ranker | None: ...

    async def version(self, name: str) -> Ranker | None:
        """A trained ranker by version name (file name without `.pkl`), None when there is none."""
        ...


class ExperimentServices(FeedServices, Protocol):
    @property
    def models(self) -> RankerVersions: ...

    @property
    def running_experiments(self) -> RunningExperimentsCache: ...
