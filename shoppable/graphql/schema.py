"""The schema: every domain's queries and mutations, with the protective extensions."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from shoppable.graphql.catalog import types as catalog_types
from shoppable.graphql.catalog.imports import CatalogImport, CatalogImportMutations, CatalogImportQueries
from shoppable.graphql.catalog.mutations import CatalogMutations
from shoppable.graphql.catalog.queries import CatalogQueries
from shoppable.graphql.commerce import types as commerce_types
from shoppable.graphql.commerce.mutations import CommerceMutations
from shoppable.graphql.commerce.queries import CommerceQueries
from shoppable.graphql.content import types as content_types
from shoppable.graphql.content.mutations import ContentMutations
from shoppable.graphql.content.queries import ContentQueries
from shoppable.graphql.core.errors import log_errors, should_mask_error
from shoppable.graphql.core.execution import PlainFieldsExecutionContext
from shoppable.graphql.core.limits import Limits, query_limits_rule
from shoppable.graphql.core.node import NodeQueries
from shoppable.graphql.experiments import types as experiment_types
from shoppable.graphql.experiments.mutations import ExperimentMutations
from shoppable.graphql.experiments.queries import ExperimentQueries
from shoppable.graphql.feed.mutations import FeedMutations
from shoppable.graphql.feed.queries import FeedQueries
from shoppable.graphql.identity import types as identity_types
from shoppable.graphql.identity.mutations import IdentityMutations
from shoppable.graphql.identity.queries import IdentityQueries
from shoppable.graphql.vision.mutations import VisionMutations
from shoppable.graphql.vision.queries import VisionQueries
from shoppable.graphql.webhooks import types as webhook_types
from shoppable.graphql.webhooks.mutations import WebhookMutations
from shoppable.graphql.webhooks.queries import WebhookQueries
from shoppable.settings import Settings

Query = merge_types(
    "Query",
    (
        NodeQueries,
        IdentityQueries,
        CatalogQueries,
        CatalogImportQueries,
        ContentQueries,
        FeedQueries,
        CommerceQueries,
        WebhookQueries,
        VisionQueries,
        ExperimentQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutations,
        CatalogMutations,
        CatalogImportMutations,
        ContentMutations,
        FeedMutations,
        CommerceMutations,
        WebhookMutations,
        VisionMutations,
        ExperimentMutations,
    ),
)

# Types reachable only through the Node interface must be listed so the schema knows them.
NODE_TYPES = [
    catalog_types.Merchant,
    catalog_types.Product,
    catalog_types.Sku,
    catalog_types.ApiKey,
    CatalogImport,
    identity_types.User,
    identity_types.Session,
    content_types.Creator,
    content_types.Post,
    content_types.Media,
    content_types.PostReport,
    commerce_types.Cart,
    commerce_types.Checkout,
    commerce_types.Order,
    commerce_types.Commission,
    webhook_types.WebhookEndpoint,
    webhook_types.WebhookDelivery,
    experiment_types.Experiment,
]


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Called with the original errors, before MaskErrors hides ours from the caller."""
        log_errors(errors)


def build_schema(settings: Settings) -> strawberry.Schema:
    # The rules are built once: a new rule class per request would defeat ValidationCache, which is
    # keyed on the rules.
    rules: list[type[ASTValidationRule]] = [
        query_limits_rule(
            Limits(settings.graphql_max_depth, settings.graphql_max_aliases, settings.graphql_max_cost)
        )
    ]
    introspection = (
        settings.debug if settings.graphql_introspection is None else settings.graphql_introspection
    )
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        execution_context_class=PlainFieldsExecutionContext,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            lambda: AddValidationRules(rules),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: MaskErrors(should_mask_error=should_mask_error),
        ],
    )
