"""Advertising disclosure: what a shopper is told, and how a published post's disclosure may change.

Consumer-protection rules (FTC endorsement guides, EU UCPD, UK CAP code) require a commercial
relationship to be disclosed clearly wherever the post is seen. So once a post is published its
disclosure can be made stronger but never removed, weakened or moved to another partner: a
creator cannot quietly strip "Paid partnership" after the views came in.

The partner merchant is named only once one of its people confirmed the partnership
(`partnerships.py`): until then, or when they decline, shoppers read "Paid partnership" without a
name, so a creator cannot claim a brand's endorsement on their own. Changing the kind or the
partner asks the merchant again.
"""

from __future__ import annotations

from shoppable.domain.content.records import Disclosure, DisclosureKind, PartnershipStatus
from shoppable.domain.errors import ErrorCode, FieldError, Path

STRENGTH: dict[DisclosureKind, int] = {
    DisclosureKind.GIFTED: 1,  # received the product for free
    DisclosureKind.AFFILIATE: 2,  # earns a commission on sales
    DisclosureKind.PAID_PARTNERSHIP: 3,  # paid to post
}

_LABELS = {
    DisclosureKind.PAID_PARTNERSHIP: "Paid partnership with {partner}",
    DisclosureKind.AFFILIATE: "Affiliate link: {partner}",
    DisclosureKind.GIFTED: "Gifted by {partner}",
}
_UNNAMED_LABELS = {
    DisclosureKind.PAID_PARTNERSHIP: "Paid partnership",
    DisclosureKind.AFFILIATE: "Affiliate link",
    DisclosureKind.GIFTED: "Gifted",
}


def label(kind: DisclosureKind, partner_name: str | None) -> str:
    """The words shown on the post: "Paid partnership with Northwind" once the partner confirmed
    (pass its name), else "Paid partnership" (pass None)."""
    if partner_name is None:
        return _UNNAMED_LABELS[kind]
    return _LABELS[kind].format(partner=partner_name)


def names_partner(disclosure: Disclosure) -> bool:
    return disclosure.status is PartnershipStatus.CONFIRMED


def carried_over(current: Disclosure | None, new: Disclosure | None) -> Disclosure | None:
    """`new` with the merchant's answer kept when neither the kind nor the partner changed."""
    if new is None or current is None or (new.kind, new.partner_id) != (current.kind, current.partner_id):
        return new
    return Disclosure(new.kind, new.partner_id, current.status)


def check_change(
    current: Disclosure | None, new: Disclosure | None, *, published: bool, path: Path = ("disclosure",)
) -> list[FieldError]:
    """Problems with replacing `current` by `new`; drafts may change freely."""
    if not published or current is None or new == current:
        return []
    if new is None:
        return [FieldError(path, ErrorCode.CONFLICT, "A published post's disclosure cannot be removed.")]
    if new.partner_id != current.partner_id:
        return [
            FieldError(
                (*path, "partnerId"),
                ErrorCode.CONFLICT,
                "A published post's disclosure cannot move to another partner.",
            )
        ]
    if STRENGTH[new.kind] < STRENGTH[current.kind]:
        return [
            FieldError(
                (*path, "kind"),
                ErrorCode.CONFLICT,
                "A published post's disclosure can be made stronger, never weaker.",
            )
        ]
    return []
