"""SQL side of the feed: one repository (`uow.feed`) made of parts that share the unit of work's
transaction: events and hides, candidate and trending reads and feed sessions."""

from __future__ import annotations

from shoppable.storage.feed.events import SqlEvents, SqlHides
from shoppable.storage.feed.reads import SqlCandidateReads, SqlTrendingReads
from shoppable.storage.feed.sessions import SqlFeedSessions

__all__ = ["SqlFeedRepository"]


class SqlFeedRepository(SqlEvents, SqlHides, SqlCandidateReads, SqlTrendingReads, SqlFeedSessions):
    """Implements `shoppable.domain.feed.ports.FeedRepository`."""
