"""Caption parsing and handle rules, without a database."""

from __future__ import annotations

import pytest

from shoppable.domain.content.captions import (
    MAX_CAPTION_LENGTH,
    is_valid_handle,
    normalize_handle,
    parse_caption,
    validate_caption,
    validate_handle,
)
from shoppable.domain.errors import ErrorCode


def test_hashtags_are_lower_cased_deduplicated_and_in_order() -> None:
    parsed = parse_caption("New #OOTD for #rainy days #ootd #Rainy_Days #été")
    assert parsed.hashtags == ("ootd", "rainy", "rainy_days", "été")


@pytest.mark.parametrize(
    "text",
    ["a#b", "page.html#top", "https://x.test/#anchor", "#1", "#123 only numbers", "&#39; entity", "##"],
)
def test_things_that_are_not_hashtags(text: str) -> None:
    assert parse_caption(text).hashtags == ()


def test_mentions_are_handles_and_not_emails() -> None:
    parsed = parse_caption(
        "With @Ana.Style and @bea_b. Mail me at me@example.com, thanks @ana.style! @x @a..b"
    )
    assert parsed.mentions == ("ana.style", "bea_b")


def test_caption_text_is_normalized_and_trimmed() -> None:
    assert parse_caption("  Cafe\u0301\r\nline two  ").text == "Café\nline two"


def test_caption_limits() -> None:
    assert validate_caption(parse_caption("x" * MAX_CAPTION_LENGTH)) == []
    too_long = validate_caption(parse_caption("x" * (MAX_CAPTION_LENGTH + 1)))
    assert [(e.field, e.code) for e in too_long] == [(("caption",), ErrorCode.TOO_LARGE)]
    tags = validate_caption(parse_caption(" ".join(f"#tag{i}" for i in range(31))))
    assert [(e.field, e.code) for e in tags] == [(("caption",), ErrorCode.LIMIT_EXCEEDED)]
    mentions = validate_caption(parse_caption(" ".join(f"@user{i}" for i in range(21))))
    assert [(e.field, e.code) for e in mentions] == [(("caption",), ErrorCode.LIMIT_EXCEEDED)]


@pytest.mark.parametrize("handle", ["ana", "ana.style", "a_b_c", "x" * 30, "123", "_under"])
def test_valid_handles(handle: str) -> None:
    assert is_valid_handle(handle)
    assert validate_handle(handle) == []


@pytest.mark.parametrize(
    "handle", ["ab", "x" * 31, ".ana", "ana.", "a..b", "ana style", "ana-style", "émile", ""]
)
def test_invalid_handles(handle: str) -> None:
    assert [e.code for e in validate_handle(handle)] == [ErrorCode.INVALID]


def test_handles_compare_case_insensitively_and_reserved_ones_are_taken() -> None:
    assert normalize_handle("  @Ana.Style ") == "ana.style"
    assert [e.code for e in validate_handle("admin")] == [ErrorCode.CONFLICT]
