"""Who may do what: the rules every resolver and operation asks, without a database."""

from __future__ import annotations

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.records import PostStatus
from shoppable.domain.errors import ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import ANONYMOUS, OPERATOR, Actor

OWNER = Actor(user_id=1, merchant_ids=frozenset({10}))
API_KEY = Actor(api_key_id=5, merchant_ids=frozenset({10}))
STRANGER = Actor(user_id=2)
ADMIN = Actor(user_id=3, is_admin=True)


def test_only_members_keys_and_admins_manage_a_catalog() -> None:
    assert policy.can_manage_catalog(OWNER, 10) and policy.can_manage_catalog(API_KEY, 10)
    assert policy.can_manage_catalog(ADMIN, 10) and policy.can_manage_catalog(OPERATOR, 10)
    assert not policy.can_manage_catalog(OWNER, 11)
    assert not policy.can_manage_catalog(STRANGER, 10) and not policy.can_manage_catalog(ANONYMOUS, 10)


def test_everyone_sees_active_products_and_only_the_merchant_the_rest() -> None:
    for actor in (ANONYMOUS, STRANGER, OWNER, API_KEY):
        assert policy.can_see_product(actor, 10, ProductStatus.ACTIVE)
    for status in (ProductStatus.DRAFT, ProductStatus.ARCHIVED):
        assert policy.can_see_product(OWNER, 10, status) and policy.can_see_product(API_KEY, 10, status)
        assert policy.can_see_product(ADMIN, 10, status)
        assert not policy.can_see_product(STRANGER, 10, status)
        assert not policy.can_see_product(ANONYMOUS, 10, status)
        assert not policy.can_see_product(OWNER, 11, status)


def test_stock_levels_are_the_merchants_own() -> None:
    assert policy.can_see_quantity(OWNER, 10) and policy.can_see_quantity(API_KEY, 10)
    assert not policy.can_see_quantity(STRANGER, 10) and not policy.can_see_quantity(OWNER, 11)


def test_merchants_and_api_keys_are_created_by_people_only() -> None:
    assert policy.can_create_merchant(STRANGER)
    assert not policy.can_create_merchant(API_KEY) and not policy.can_create_merchant(ANONYMOUS)
    assert policy.can_manage_api_keys(OWNER, 10) and policy.can_manage_api_keys(ADMIN, 10)
    assert not policy.can_manage_api_keys(API_KEY, 10)  # a key never makes another key
    assert not policy.can_manage_api_keys(OPERATOR, 10)
    assert not policy.can_manage_api_keys(OWNER, 11) and not policy.can_manage_api_keys(STRANGER, 10)


def test_posts_by_status_for_creator_moderators_and_the_public() -> None:
    creator = Actor(user_id=7)
    assert policy.can_see_post(ANONYMOUS, 7, PostStatus.PUBLISHED, deleted=False)
    assert policy.can_see_post(creator, 7, PostStatus.DRAFT, deleted=False)
    assert not policy.can_see_post(STRANGER, 7, PostStatus.DRAFT, deleted=False)
    assert not policy.can_see_post(ADMIN, 7, PostStatus.DRAFT, deleted=False)
    assert policy.can_see_post(creator, 7, PostStatus.REMOVED, deleted=False)
    assert policy.can_see_post(ADMIN, 7, PostStatus.REMOVED, deleted=False)
    assert not policy.can_see_post(STRANGER, 7, PostStatus.REMOVED, deleted=False)
    assert not policy.can_see_post(creator, 7, PostStatus.PUBLISHED, deleted=True)
    assert policy.can_edit_post(creator, 7) and not policy.can_edit_post(ADMIN, 7)


def test_moderation_needs_a_person_who_is_an_admin() -> None:
    assert policy.can_moderate(ADMIN)
    assert not policy.can_moderate(OPERATOR) and not policy.can_moderate(STRANGER)
    assert policy.can_see_moderation(Actor(user_id=7), 7) and policy.can_see_moderation(ADMIN, 7)
    assert not policy.can_see_moderation(STRANGER, 7)
    assert policy.can_see_report(STRANGER, 2) and not policy.can_see_report(STRANGER, 9)
    assert policy.can_see_report(ADMIN, 9)


def test_media_is_its_owners_and_uploads_need_a_person() -> None:
    assert policy.can_upload_media(STRANGER) and not policy.can_upload_media(API_KEY)
    assert policy.can_see_media(STRANGER, 2) and policy.can_see_media(ADMIN, 2)
    assert not policy.can_see_media(OWNER, 2)


def test_a_refusal_tells_anonymous_callers_to_log_in_and_others_not_found() -> None:
    anonymous = policy.refusal(Actor(), ("orderId",), ErrorCode.NOT_FOUND, "No such order.")
    assert [(e.field, e.code) for e in anonymous.errors] == [((), ErrorCode.UNAUTHENTICATED)]
    for signed_in in (
        Actor(user_id=1),
        Actor(api_key_id=3, merchant_ids=frozenset({2})),
        Actor(is_admin=True),
    ):
        refused = policy.refusal(signed_in, ("orderId",), ErrorCode.NOT_FOUND, "No such order.")
        assert [(e.field, e.code) for e in refused.errors] == [(("orderId",), ErrorCode.NOT_FOUND)]


def test_only_the_merchant_runs_an_order() -> None:
    assert policy.can_run_order(Actor(user_id=1, merchant_ids=frozenset({7})), 7)
    assert policy.can_run_order(Actor(api_key_id=2, merchant_ids=frozenset({7})), 7)
    assert not policy.can_run_order(Actor(user_id=2), 7)  # the buyer
    assert not policy.can_run_order(Actor(api_key_id=3, merchant_ids=frozenset({8})), 7)
