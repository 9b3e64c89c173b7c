"""Disclosure labels and the rule that a published post's disclosure only gets stronger."""

from __future__ import annotations

import pytest

from shoppable.domain.content.disclosure import check_change, label
from shoppable.domain.content.records import Disclosure, DisclosureKind
from shoppable.domain.errors import ErrorCode

PAID = Disclosure(DisclosureKind.PAID_PARTNERSHIP, 1)
AFFILIATE = Disclosure(DisclosureKind.AFFILIATE, 1)
GIFTED = Disclosure(DisclosureKind.GIFTED, 1)


def test_labels() -> None:
    assert label(DisclosureKind.PAID_PARTNERSHIP, "Northwind") == "Paid partnership with Northwind"
    assert label(DisclosureKind.AFFILIATE, "Northwind") == "Affiliate link: Northwind"
    assert label(DisclosureKind.GIFTED, "Northwind") == "Gifted by Northwind"


@pytest.mark.parametrize(
    ("current", "new"),
    [(None, None), (None, GIFTED), (GIFTED, AFFILIATE), (AFFILIATE, PAID), (GIFTED, PAID), (PAID, PAID)],
)
def test_a_published_disclosure_may_be_added_or_strengthened(current, new) -> None:
    assert check_change(current, new, published=True) == []


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        (PAID, None, ("disclosure",)),
        (PAID, AFFILIATE, ("disclosure", "kind")),
        (AFFILIATE, GIFTED, ("disclosure", "kind")),
        (AFFILIATE, Disclosure(DisclosureKind.PAID_PARTNERSHIP, 2), ("disclosure", "partnerId")),
    ],
)
def test_a_published_disclosure_cannot_be_removed_weakened_or_moved(current, new, field) -> None:
    assert [(e.field, e.code) for e in check_change(current, new, published=True)] == [
        (field, ErrorCode.CONFLICT)
    ]
    assert check_change(current, new, published=False) == []  # drafts change freely
