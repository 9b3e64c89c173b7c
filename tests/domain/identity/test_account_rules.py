"""Email, password and display-name rules."""

from __future__ import annotations

from shoppable.domain.identity.accounts import (
    common_passwords,
    display_name_errors,
    email_errors,
    normalize_email,
    password_errors,
)


def test_emails_fold_to_one_spelling() -> None:
    for spelling in ("S2@Evil.test", "s2@evil.test\u200b", "\uff53\uff12@evil.test", " s2\u00ad@evil.test "):
        assert normalize_email(spelling) == "s2@evil.test", spelling


def test_emails_with_control_characters_or_surrogates_are_refused() -> None:
    for bad in ("a\x00b@example.com", "a\nb@example.com", "surrogate\ud800@example.com"):
        assert [e.code for e in email_errors(normalize_email(bad))] == ["INVALID"], repr(bad)
    assert email_errors("ana@example.com") == []


def test_passwords_follow_nist_800_63b() -> None:
    assert len(common_passwords()) == 10_000 and "1234567890" in common_passwords()
    for weak in ("1234567890", " " * 12, "\x00" * 10, "Password1234", "zzzzzzzzzzzz", "9876543210", "short"):
        assert password_errors(weak), repr(weak)
    assert password_errors("ana@example.com", "ana@example.com")
    assert [e.code for e in password_errors("x" * 257)] == ["TOO_LARGE"]
    for fine in ("correct horse battery", "Fünf Gänse 🦢 fliegen", "  spaces around ok  "):
        assert password_errors(fine, "ana@example.com") == [], fine


def test_display_names_refuse_control_characters_but_keep_emoji_joiners() -> None:
    assert display_name_errors("A\x00na")
    assert display_name_errors("family \U0001f468\u200d\U0001f469\u200d\U0001f467") == []
