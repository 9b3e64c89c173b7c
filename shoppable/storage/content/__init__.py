"""SQL implementation of the content repository: one object, composed of one part per concept."""

from __future__ import annotations

from shoppable.storage.content.creators import SqlCreators
from shoppable.storage.content.engagement import SqlEngagement
from shoppable.storage.content.media import SqlMedia
from shoppable.storage.content.moderation import SqlModeration
from shoppable.storage.content.posts import SqlPosts


class SqlContentRepository(SqlCreators, SqlMedia, SqlPosts, SqlEngagement, SqlModeration):
    """Implements `shoppable.domain.content.ports.ContentRepository` (`uow.content`)."""


__all__ = ["SqlContentRepository"]
