"""What never reaches a viewer's page: items already served in the session, what the viewer hid
(the item, its creator or its merchant), and products they bought recently."""

from __future__ import annotations

from dataclasses import dataclass

from shoppable.domain.feed.model import Candidate, ItemKind


@dataclass(frozen=True)
class Excluded:
    served: set[tuple[ItemKind, int]]
    hidden: set[tuple[str, int]]  # ("Post" | "Product" | "Creator" | "Merchant", id)
    purchased: set[int]  # product ids

    def allows_post(self, candidate: Candidate) -> bool:
        return (
            (candidate.kind, candidate.item_id) not in self.served
            and ("Post", candidate.item_id) not in self.hidden
            and ("Creator", candidate.author_id) not in self.hidden
        )

    def allows_product(self, candidate: Candidate) -> bool:
        return (
            (candidate.kind, candidate.item_id) not in self.served
            and ("Product", candidate.item_id) not in self.hidden
            and ("Merchant", candidate.author_id) not in self.hidden
            and candidate.item_id not in self.purchased
        )
