"""The one place that says who may do what. Resolvers and services ask here, never decide inline."""

from __future__ import annotations

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.records import PostStatus
from shoppable.domain.errors import DomainError, ErrorCode, Path
from shoppable.domain.identity.actor import Actor


def refusal(actor: Actor, field: Path, code: ErrorCode, message: str) -> DomainError:
    """The answer to a call the actor may not make: anonymous callers are told to log in (whatever
    the target, so that says nothing about it); anyone else gets `code`, NOT_FOUND where "not yours"
    must read as "does not exist". The operator (an admin without an account) is no anonymous caller."""
    if not actor.is_authenticated and not actor.is_admin:
        return DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in first.")
    return DomainError.single(field, code, message)


def can_manage_catalog(actor: Actor, merchant_id: int) -> bool:
    return actor.manages(merchant_id)


def can_answer_partnership(actor: Actor, merchant_id: int) -> bool:
    """Naming a merchant as a creator's partner is agreed by its people (owners, admins), never by
    an API key."""
    return actor.user_id is not None and actor.manages(merchant_id)


def can_see_product(actor: Actor, merchant_id: int, status: str) -> bool:
    """Shoppers and anonymous callers see ACTIVE products; the merchant and admins see all."""
    return status == ProductStatus.ACTIVE or can_see_unlisted_products(actor, merchant_id)


def can_see_unlisted_products(actor: Actor, merchant_id: int) -> bool:
    """DRAFT and ARCHIVED products (and their SKUs) exist only for their merchant and admins."""
    return actor.manages(merchant_id)


def can_see_quantity(actor: Actor, merchant_id: int) -> bool:
    return actor.manages(merchant_id)


def can_see_user(actor: Actor, user_id: int) -> bool:
    """An account (its name, whether it is an admin) is its owner's; the public people are creators."""
    return (actor.user_id is not None and actor.user_id == user_id) or (
        actor.is_admin and actor.user_id is not None
    )


def can_create_merchant(actor: Actor) -> bool:
    return actor.user_id is not None


def can_manage_api_keys(actor: Actor, merchant_id: int) -> bool:
    """Keys are created by people (owners, admins), never by another key."""
    return actor.user_id is not None and actor.manages(merchant_id)


# -- creators, posts and media -------------------------------------------------------------------


def can_upload_media(actor: Actor) -> bool:
    """Media belongs to a person; merchant API keys do not post."""
    return actor.user_id is not None


def can_upload_media_of_kind(is_creator: bool, kind: MediaKind) -> bool:
    """Creators upload photos and videos for posts; anyone else only a photo, the avatar they choose
    when they become a creator."""
    return is_creator or kind is MediaKind.IMAGE


def can_see_media(actor: Actor, owner_id: int) -> bool:
    """Through `node`, media is its owner's; everyone else sees it through the posts that show it."""
    return actor.user_id == owner_id or actor.is_admin


def can_see_post(actor: Actor, creator_user_id: int, status: str, deleted: bool) -> bool:
    """Published posts are public; drafts are their creator's alone; a removed post stays visible to
    its creator (with the statement of reasons) and to moderators; deleted posts to nobody."""
    if deleted:
        return False
    if status == PostStatus.PUBLISHED:
        return True
    if actor.user_id is not None and actor.user_id == creator_user_id:
        return True
    return status == PostStatus.REMOVED and actor.is_admin and actor.user_id is not None


def can_edit_post(actor: Actor, creator_user_id: int) -> bool:
    return actor.user_id is not None and actor.user_id == creator_user_id


def can_moderate(actor: Actor) -> bool:
    return actor.is_admin and actor.user_id is not None


def can_see_moderation(actor: Actor, creator_user_id: int) -> bool:
    """The statement of reasons is addressed to the creator (EU DSA art. 17), and to moderators."""
    return can_edit_post(actor, creator_user_id) or can_moderate(actor)


def can_see_post_insights(actor: Actor, creator_user_id: int) -> bool:
    """Save counts and similar figures are for the creator, not for the public."""
    return can_edit_post(actor, creator_user_id) or can_moderate(actor)


def can_see_report(actor: Actor, reporter_id: int) -> bool:
    """A report is its reporter's and the moderators' (the reported creator never learns who)."""
    return (actor.user_id is not None and actor.user_id == reporter_id) or can_moderate(actor)


def can_manage_webhooks(actor: Actor, merchant_id: int) -> bool:
    """The merchant's people and its API keys: a merchant's system sets up its own endpoints."""
    return actor.manages(merchant_id)


def can_run_order(actor: Actor, merchant_id: int) -> bool:
    """Fulfilment, cancellation and refunds are the merchant's (people, keys) and admins'; never the
    buyer's or the attributed creator's, who only see the order."""
    return actor.manages(merchant_id)


def can_read_audit_log(actor: Actor) -> bool:
    return actor.is_admin and actor.user_id is not None
