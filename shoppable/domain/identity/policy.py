"""The one place that says who may do what. Resolvers and services ask here, never decide inline."""

from __future__ import annotations

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.identity.actor import Actor


def can_manage_catalog(actor: Actor, merchant_id: int) -> bool:
    return actor.manages(merchant_id)


def can_see_product(actor: Actor, merchant_id: int, status: str) -> bool:
    """Shoppers and anonymous callers see ACTIVE products; the merchant and admins see all."""
    return status == ProductStatus.ACTIVE or actor.manages(merchant_id)


def can_see_quantity(actor: Actor, merchant_id: int) -> bool:
    return actor.manages(merchant_id)


def can_create_merchant(actor: Actor) -> bool:
    return actor.user_id is not None


def can_manage_api_keys(actor: Actor, merchant_id: int) -> bool:
    """Keys are created by people (owners, admins), never by another key."""
    return actor.user_id is not None and actor.manages(merchant_id)
