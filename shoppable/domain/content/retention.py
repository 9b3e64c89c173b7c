"""How long media outlives what showed it.

A deleted post's photos and video stop being served shortly after the post is deleted; media that
was uploaded but never used (in a post or as an avatar) is deleted a day later. The periodic media
clean-up job (`jobs/media_cleanup.py`) applies these; a removed (moderated) post keeps its media
for the appeal.
"""

from __future__ import annotations

from datetime import timedelta

DELETED_POST_MEDIA_GRACE = timedelta(hours=1)
"""Room for a mistaken deletion to be noticed and for requests that already loaded the post."""
UNUSED_MEDIA_GRACE = timedelta(days=1)
"""Time to write the post (or become a creator with the avatar) after uploading."""
