"""Advertising disclosure: what a shopper is told, and how a published post's disclosure may change.

Consumer-protection rules (FTC endorsement guides, EU UCPD, UK CAP code) require a commercial
relationship to be disclosed clearly wherever the post is seen. So once a post is published its
disclosure can be made stronger but never removed, weakened or moved to another partner: a
creator cannot quietly strip "Paid partnership" after the views came in.
"""

from __future__ import annotations

from shoppable.domain.content.records import Disclosure, DisclosureKind
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


def label(kind: DisclosureKind, partner_name: str) -> str:
    """The words shown on the post, e.g. "Paid partnership with Northwind"."""
    return _LABELS[kind].format(partner=partner_name)


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
