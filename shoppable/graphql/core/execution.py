"""Execution that calls plain fields' resolvers directly instead of through the general machinery.

Why: a 20-card feed page resolves about 900 fields, and for each one graphql-core and Strawberry build a
resolve info, convert (absent) arguments, run the field-extension chain and test for awaitables. That
bookkeeping, not our code, was the largest share of a feed page's CPU (py-spy and cProfile of a
loaded server).

A field takes the direct path when nothing but its value can differ between the two paths:
- no arguments, no field extensions (so no permission classes), no exception handlers, and no schema
  extension that hooks `resolve` (they arrive as middleware and see every field);
- either no resolver (the value is the source's attribute, as Strawberry's default resolver reads it)
  or a synchronous resolver that asks for at most `self` and `info`.

The direct path only replaces how the resolver is called. Completing the value (coercing scalars,
nulls in non-null fields, lists, objects, awaitables, errors and their paths) is graphql-core's own
code, so answers and errors are those of the general path; `tests/graphql/test_execution.py` checks
both paths give the same responses.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class _Plain:
    """How to call one plain field, worked out once per schema."""

    field_def: GraphQLField
    field: StrawberryField
    # (source, info or None) -> value; `wants_info` says whether it needs the resolve info.
    resolve: Callable[[Any, Info | None], Any]
    wants_info: bool
    # The scalar or enum when the field's type is one (or a non-null one), for the shortest path.
    leaf: GraphQLLeafType | None
    non_null: bool


# Per schema (tests build many): (type name, field name) -> plan, or None for the general path.
_plans: weakref.WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], _Plain | None]] = (
    weakref.WeakKeyDictionary()
)


def _plan(field_def: GraphQLField) -> _Plain | None:
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions or field_def.args:
        return None
    if getattr(field_def.resolve, "_is_default", False):  # Strawberry's own basic-field resolver
        if field.default_resolver is not getattr:
            return None
        name = field.python_name
        resolve: Callable[[Any, Info | None], Any] = lambda source, _info: getattr(source, name)  # noqa: E731
        wants_info = False
    else:
        resolver = field.base_resolver
        if (
            resolver is None
            or resolver.is_async
            or resolver.arguments
            or resolver.root_parameter is not None
            or resolver.parent_parameter is not None
        ):
            return None
        takes_self = resolver.self_parameter is not None
        info_parameter = resolver.info_parameter
        resolve = _call(resolver, takes_self, info_parameter.name if info_parameter else None)
        wants_info = info_parameter is not None
    field_type: GraphQLOutputType = field_def.type
    non_null = is_non_null_type(field_type)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    leaf = named if is_leaf_type(named) else None
    return _Plain(field_def, field, resolve, wants_info, leaf, non_null)


def _call(
    resolver: Callable[..., Any], takes_self: bool, info_name: str | None
) -> Callable[[Any, Info | None], Any]:
    """The resolver called as Strawberry calls it: the source as `self`, the info by its name."""
    if info_name is None:
        return (lambda source, _info: resolver(source)) if takes_self else (lambda _s, _i: resolver())
    if takes_self:
        return lambda source, info: resolver(source, **{info_name: info})
    return lambda _source, info: resolver(**{info_name: info})


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain fields resolved directly (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        self._direct = strawberry_schema is not None and not (manager is not None and manager.middlewares)
        # The Info class Strawberry itself would give resolvers (its config may name another).
        self._info_class = strawberry_schema.config.info_class if strawberry_schema is not None else Info
        self._schema_plans = _plans.setdefault(self.schema, {})

    def _plain(self, parent_type: GraphQLObjectType, field_name: str) -> _Plain | None:
        key = (parent_type.name, field_name)
        try:
            return self._schema_plans[key]
        except KeyError:
            field_def = self.schema.get_field(parent_type, field_name)
            plan = _plan(field_def) if field_def is not None else None
            self._schema_plans[key] = plan
            return plan

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        plain = self._plain(parent_type, field_details_list[0].node.name.value) if self._direct else None
        if plain is None:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        return_type = plain.field_def.type
        info: GraphQLResolveInfo | None = None
        try:
            if plain.wants_info:
                info = self._info(plain, field_details_list, parent_type, path)
                result = plain.resolve(source, self._info_class(_raw_info=info, _field=plain.field))
            else:
                result = plain.resolve(source, None)
            if plain.leaf is not None and result is not None and not self.is_awaitable(result):
                # The shortest path, which complete_value would also take for a scalar or enum.
                if isinstance(result, Exception):
                    raise result
                return self.complete_leaf_value(plain.leaf, result)
            if result is None and not plain.non_null:
                return None
            if info is None:
                info = self._info(plain, field_details_list, parent_type, path)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, return_type, field_details_list, path)
        return completed

    def _info(
        self,
        plain: _Plain,
        field_details_list: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo:
        return self.build_resolve_info(plain.field_def, to_nodes(field_details_list), parent_type, path)

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """As graphql-core's `execute_field` awaits a completion that turned out asynchronous."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
