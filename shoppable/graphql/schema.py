"""The schema: every domain's queries and mutations, with the protective extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from shoppable.graphql.catalog import types as catalog_types
from shoppable.graphql.catalog.mutations import CatalogMutations
from shoppable.graphql.catalog.queries import CatalogQueries
from shoppable.graphql.errors import should_mask_error
from shoppable.graphql.identity import types as identity_types
from shoppable.graphql.identity.mutations import IdentityMutations
from shoppable.graphql.identity.queries import IdentityQueries
from shoppable.graphql.limits import cost_limit_rule
from shoppable.graphql.node import NodeQueries
from shoppable.settings import Settings

Query = merge_types("Query", (NodeQueries, IdentityQueries, CatalogQueries))
Mutation = merge_types("Mutation", (IdentityMutations, CatalogMutations))

# Types reachable only through the Node interface must be listed so the schema knows them.
NODE_TYPES = [
    catalog_types.Merchant,
    catalog_types.Product,
    catalog_types.Sku,
    catalog_types.ApiKey,
    identity_types.User,
]


def build_schema(settings: Settings) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            AddValidationRules([cost_limit_rule(settings.graphql_max_cost)]),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: MaskErrors(should_mask_error=should_mask_error),
        ],
    )
