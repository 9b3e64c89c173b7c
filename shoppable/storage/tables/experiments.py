"""Experiments, the assignment unit each account keeps, and exposures (one per viewer, experiment, session)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class ExperimentRow(SQLModel, table=True):
    __tablename__ = "experiments"
    __table_args__ = (Index("ix_experiments_surface_status", "surface", "status"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    surface: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    variants: list = Field(
        sa_column=Column(JSON, nullable=False)
    )  # [{key, weight, config}], fixed at creation
    metrics: list = Field(sa_column=Column(JSON, nullable=False))
    window_days: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    stopped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ExperimentUnitRow(SQLModel, table=True):
    """The unit an account is assigned by: the first device it was seen with (`d:<id>`) or `u:<user id>`."""

    __tablename__ = "experiment_units"
    __table_args__ = (Index("ix_experiment_units_unit", "unit"),)

    user_id: int = Field(
        sa_column=Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    unit: str = Field(sa_column=Column(String(140), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ExperimentExposureRow(SQLModel, table=True):
    __tablename__ = "experiment_exposures"
    __table_args__ = (
        UniqueConstraint("experiment_id", "unit", "session_id", name="uq_experiment_exposures"),
        Index("ix_experiment_exposures_experiment_unit", "experiment_id", "unit", "exposed_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    experiment_id: int = Field(
        sa_column=Column(BigId, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False)
    )
    unit: str = Field(sa_column=Column(String(140), nullable=False))
    variant: str = Field(sa_column=Column(String(64), nullable=False))
    session_id: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    latency_ms: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    exposed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ExperimentTeamRow(SQLModel, table=True):
    """Which ranker ("A" or "B") placed an item an interleaving experiment served in a session."""

    __tablename__ = "experiment_teams"
    __table_args__ = (
        UniqueConstraint("experiment_id", "session_id", "kind", "item_id", name="uq_experiment_teams"),
        Index("ix_experiment_teams_experiment_unit", "experiment_id", "unit"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    experiment_id: int = Field(
        sa_column=Column(BigId, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False)
    )
    unit: str = Field(sa_column=Column(String(140), nullable=False))
    session_id: str = Field(sa_column=Column(String(32), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    item_id: int = Field(sa_column=Column(BigId, nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))
    team: str = Field(sa_column=Column(String(1), nullable=False))
    served_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
