"""SQL side of the feed: one repository (`uow.feed`) made of parts that share the unit of work's
transaction: events and hides, candidate and trending reads, feed sessions, training reads."""

from __future__ import annotations

from shoppable.storage.feed.events import SqlEvents, SqlHides
from shoppable.storage.feed.reads import SqlCandidateReads, SqlTrendingReads
from shoppable.storage.feed.sessions import SqlFeedSessions
from shoppable.storage.feed.training import SqlTrainingReads

__all__ = ["SqlFeedRepository"]


class SqlFeedRepository(
    SqlEvents, SqlHides, SqlCandidateReads, SqlTrendingReads, SqlFeedSessions, SqlTrainingReads
):
    """Implements `shoppable.domain.feed.ports.FeedRepository`."""
