"""What an account's email, password and display name may be (NIST SP 800-63B for passwords).

Pure rules: each `*_errors` function returns the field errors of one value, empty when it is fine.
Control characters are refused everywhere: PostgreSQL cannot store NUL, and nobody types them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache
from importlib.resources import files

from shoppable.domain.errors import ErrorCode, FieldError, Path

EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
MAX_EMAIL = 320
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 100
MIN_DISTINCT_PASSWORD_CHARACTERS = 3

# Cc: control characters (NUL, escapes, newlines); Cs: lone surrogates, which no encoder accepts.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
# Cf: zero-width spaces and joiners, bidirectional marks, soft hyphens: invisible, so dropped from
# emails, where they would make `ana@example.com` and `ana@example.com\u200b` two accounts.
_INVISIBLE_CATEGORIES = frozenset({"Cf"})


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text)


def normalize_email(email: str) -> str:
    """One spelling per address: NFKC (a full-width `s`, U+FF53, is `s`), invisible characters dropped, lower
    case. Control characters are kept, for `email_errors` to refuse."""
    folded = unicodedata.normalize("NFKC", email)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    return visible.strip().lower()


def email_errors(email: str, path: Path = ("email",)) -> list[FieldError]:
    """`email` as `normalize_email` returned it."""
    if has_control_characters(email):
        return [FieldError(path, ErrorCode.INVALID, "Email cannot contain control characters.")]
    if len(email) > MAX_EMAIL or not EMAIL_RE.fullmatch(email):
        return [FieldError(path, ErrorCode.INVALID, "Enter a valid email address.")]
    return []


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower-cased, most common first in the file (the head of the
    list Django ships, Royce Williams' 2017 compilation of leaked passwords; BSD licence)."""
    text = files("shoppable.domain.identity").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line)


def _is_sequence(password: str) -> bool:
    """`abcdefghij`, `9876543210`: each character one code point from the last, in one direction."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return steps in ({1}, {-1})


def password_errors(password: str, email: str = "", path: Path = ("password",)) -> list[FieldError]:
    """NIST SP 800-63B: a minimum length, no composition rules, and a check against passwords known
    to be common, repetitive, sequential or about the account itself."""

    def invalid(message: str) -> list[FieldError]:
        return [FieldError(path, ErrorCode.INVALID, message)]

    if len(password) > MAX_PASSWORD:
        return [FieldError(path, ErrorCode.TOO_LARGE, f"Password is longer than {MAX_PASSWORD} characters.")]
    if has_control_characters(password):
        return invalid("Password cannot contain control characters.")
    if len(password) < MIN_PASSWORD:
        return invalid(f"Password must be at least {MIN_PASSWORD} characters.")
    if not password.strip():
        return invalid("Password cannot be only spaces.")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return invalid("This password is one of the most common; choose one that is harder to guess.")
    if len(set(lowered)) < MIN_DISTINCT_PASSWORD_CHARACTERS or _is_sequence(lowered):
        return invalid("This password is too repetitive or sequential; choose one harder to guess.")
    if email and lowered in {email, email.split("@", 1)[0]}:
        return invalid("Password cannot be your email address.")
    return []


def display_name_errors(display_name: str, path: Path = ("displayName",)) -> list[FieldError]:
    """`display_name` stripped."""
    if has_control_characters(display_name):
        return [FieldError(path, ErrorCode.INVALID, "Display name cannot contain control characters.")]
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        return [FieldError(path, ErrorCode.INVALID, f"Display name must be 1-{MAX_DISPLAY_NAME} characters.")]
    return []
