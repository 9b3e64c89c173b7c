"""Disclosure labels and the rule that a published post's disclosure only gets stronger."""

from __future__ import annotations

import pytest

from shoppable.domain.content.disclosure import carried_over, check_change, label, names_partner
from shoppable.domain.content.records import Disclosure, DisclosureKind, PartnershipStatus
from shoppable.domain.errors import ErrorCode
from shoppable.domain.feed import reasons

PAID = Disclosure(DisclosureKind.PAID_PARTNERSHIP, 1)
AFFILIATE = Disclosure(DisclosureKind.AFFILIATE, 1)
GIFTED = Disclosure(DisclosureKind.GIFTED, 1)


def test_labels() -> None:
    assert label(DisclosureKind.PAID_PARTNERSHIP, "Northwind") == "Paid partnership with Northwind"
    assert label(DisclosureKind.AFFILIATE, "Northwind") == "Affiliate link: Northwind"
    assert label(DisclosureKind.GIFTED, "Northwind") == "Gifted by Northwind"


def test_an_unconfirmed_partner_is_not_named() -> None:
    assert label(DisclosureKind.PAID_PARTNERSHIP, None) == "Paid partnership"
    assert label(DisclosureKind.AFFILIATE, None) == "Affiliate link"
    assert label(DisclosureKind.GIFTED, None) == "Gifted"
    assert not names_partner(PAID) and PAID.status is PartnershipStatus.PENDING
    assert names_partner(Disclosure(DisclosureKind.PAID_PARTNERSHIP, 1, PartnershipStatus.CONFIRMED))
    assert not names_partner(Disclosure(DisclosureKind.PAID_PARTNERSHIP, 1, PartnershipStatus.DECLINED))
    reason = reasons.disclosure("PAID_PARTNERSHIP", None)
    assert reason is not None and reason.text == "Paid partnership"  # the feed says the same


def test_the_merchants_answer_survives_only_an_unchanged_disclosure() -> None:
    confirmed = Disclosure(DisclosureKind.AFFILIATE, 1, PartnershipStatus.CONFIRMED)
    assert carried_over(confirmed, AFFILIATE) == confirmed
    assert carried_over(confirmed, PAID) == PAID  # stronger: asked again
    assert (
        carried_over(confirmed, Disclosure(DisclosureKind.AFFILIATE, 2)).status is PartnershipStatus.PENDING
    )
    assert carried_over(confirmed, None) is None


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
