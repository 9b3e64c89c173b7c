"""The catalog's limits, in one place: the rules check them and the database columns are declared from them.

Whatever a merchant sends (GraphQL, a feed file, a REST update) is held to these before it reaches
storage, so SQLite and PostgreSQL accept exactly the same data: PostgreSQL refuses a string longer than
its column, any NUL character in text, and integers beyond the column's type, where SQLite stores
them all.
"""

from __future__ import annotations

import re

from shoppable.domain.text import NUL_MESSAGE, has_nul

HANDLE_MAX = 100
TITLE_MAX = 255
DESCRIPTION_MAX = 65_536
BRAND_MAX = 120
CATEGORY_MAX = 255
SKU_CODE_MAX = 100
SKU_TITLE_MAX = 255
GTIN_MAX = 32
MPN_MAX = 70
OPTION_TEXT_MAX = 255
URL_MAX = 2048
MAX_IMAGES_PER_PRODUCT = 250

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

STOCK_MAX = 10_000_000
"""Units of one SKU on hand, at most; also the largest single adjustment."""
BACKORDER_STOCK_MIN = -1_000_000
"""How far below zero a SKU sold on backorder may go (units owed to shoppers)."""

assert INT32_MAX >= STOCK_MAX and -INT32_MAX <= BACKORDER_STOCK_MIN  # skus.quantity is an int4 column

_WEB_URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)


def text_problem(value: str, max_chars: int) -> str | None:
    """Why `value` cannot be stored in a column of `max_chars` characters, or None when it can."""
    if has_nul(value):
        return NUL_MESSAGE
    if len(value) > max_chars:
        return f"is longer than {max_chars} characters."
    return None


def is_web_url(text: str) -> bool:
    """Image URLs end up in shoppers' `<img src>`: only absolute http(s) URLs (no `javascript:`,
    no `data:`) that fit their column are accepted, whichever way they arrive."""
    return len(text) <= URL_MAX and not has_nul(text) and bool(_WEB_URL.match(text))


def url_problem(text: str) -> str | None:
    if is_web_url(text):
        return None
    if len(text) > URL_MAX:
        return f"Image URL is longer than {URL_MAX} characters."
    return "Image URL must be an absolute https:// (or http://) URL."
