"""What free text every database can store: no NUL character (U+0000), which PostgreSQL's text
refuses ("invalid byte sequence for encoding UTF8: 0x00") where SQLite keeps it. The one rule the
catalog's limits, captions, bios and reports check before a write."""

from __future__ import annotations

NUL_MESSAGE = "must not contain NUL (\\u0000) characters."


def has_nul(text: str) -> bool:
    return "\x00" in text
