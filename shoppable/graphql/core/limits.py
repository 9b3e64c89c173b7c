"""Query cost: Strawberry has depth/alias/token limiters but no cost rule, so this is ours.

Each selected field costs 1; a field's children cost `first` times as much when it takes `first`
(default page size when absent, the maximum when given by a variable, since validation runs
before variables are known). Fragments are expanded.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _multiplier(field: FieldNode) -> int:
    """How many times the field's children repeat: `first` for connections, else 1."""
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE
    children = field.selection_set.selections if field.selection_set else ()
    if any(isinstance(c, FieldNode) and c.name.value in {"edges", "nodes"} for c in children):
        return DEFAULT_PAGE_SIZE
    return 1


def selection_cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 + _multiplier(selection) * selection_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                total += selection_cost(fragment.selection_set, fragments, seen | {name})
    return total


def cost_limit_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = selection_cost(node.selection_set, fragments)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the maximum of {max_cost}; ask for fewer items or fields.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
                    )
                )

    return QueryCostRule
