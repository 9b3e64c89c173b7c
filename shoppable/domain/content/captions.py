"""Captions and creator handles: length limits, #hashtags and @mentions.

Hashtags and mentions are parsed once, when a caption is written, and stored beside it, so search
and notifications never re-parse text. Both are case-insensitive and kept lower-cased, first
occurrence first, without repeats.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shoppable.domain.errors import ErrorCode, FieldError
from shoppable.domain.text import NUL_MESSAGE, has_nul

MAX_CAPTION_LENGTH = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_HASHTAG_LENGTH = 100

MIN_HANDLE_LENGTH = 3
MAX_HANDLE_LENGTH = 30
_HANDLE = re.compile(r"[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?")
RESERVED_HANDLES = frozenset(
    {"admin", "administrator", "api", "graphql", "help", "media", "moderator", "root", "shoppable",
     "staff", "support", "system", "uploads"}
)  # fmt: skip

# A tag starts after a non-word character (so "a#b" and URL fragments like "page#top" are not tags)
# and must contain a letter ("#1" is a number, not a tag).
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w+)")
_MENTION = re.compile(r"(?<![\w@./])@([A-Za-z0-9_.]+)")


@dataclass(frozen=True)
class ParsedCaption:
    text: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]


def normalize_handle(handle: str) -> str:
    """Handles compare case-insensitively; the stored form is lower case without a leading `@`."""
    return handle.strip().removeprefix("@").lower()


def is_valid_handle(handle: str) -> bool:
    """3-30 of a-z, 0-9, `_` and `.`; no leading, trailing or doubled dots (they read as URLs)."""
    return (
        MIN_HANDLE_LENGTH <= len(handle) <= MAX_HANDLE_LENGTH
        and _HANDLE.fullmatch(handle) is not None
        and ".." not in handle
    )


def validate_handle(handle: str, path: tuple[str | int, ...] = ("handle",)) -> list[FieldError]:
    if not is_valid_handle(handle):
        return [
            FieldError(
                path,
                ErrorCode.INVALID,
                f"A handle is {MIN_HANDLE_LENGTH}-{MAX_HANDLE_LENGTH} letters, digits, underscores or "
                "dots, not starting or ending with a dot.",
            )
        ]
    if handle in RESERVED_HANDLES:
        return [FieldError(path, ErrorCode.CONFLICT, "This handle is reserved.")]
    return []


def parse_caption(text: str) -> ParsedCaption:
    """Normalized caption text with its hashtags and mentions (nothing validated here)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    hashtags: dict[str, None] = {}
    for match in _HASHTAG.finditer(text):
        tag = match.group(1).lower()
        if any(c.isalpha() for c in tag) and len(tag) <= MAX_HASHTAG_LENGTH:
            hashtags.setdefault(tag)
    mentions: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".").lower()  # "thanks @ana." mentions ana
        if is_valid_handle(handle):
            mentions.setdefault(handle)
    return ParsedCaption(text=text, hashtags=tuple(hashtags), mentions=tuple(mentions))


def validate_caption(parsed: ParsedCaption, path: tuple[str | int, ...] = ("caption",)) -> list[FieldError]:
    errors = []
    if has_nul(parsed.text):
        errors.append(FieldError(path, ErrorCode.INVALID, f"A caption {NUL_MESSAGE}"))
    if len(parsed.text) > MAX_CAPTION_LENGTH:
        errors.append(
            FieldError(path, ErrorCode.TOO_LARGE, f"A caption has at most {MAX_CAPTION_LENGTH} characters.")
        )
    if len(parsed.hashtags) > MAX_HASHTAGS:
        errors.append(
            FieldError(path, ErrorCode.LIMIT_EXCEEDED, f"A caption has at most {MAX_HASHTAGS} hashtags.")
        )
    if len(parsed.mentions) > MAX_MENTIONS:
        errors.append(
            FieldError(path, ErrorCode.LIMIT_EXCEEDED, f"A caption mentions at most {MAX_MENTIONS} people.")
        )
    return errors
