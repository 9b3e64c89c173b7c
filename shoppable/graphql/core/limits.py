"""Query limits (depth, aliases, cost, fragments) in one validation rule that costs time linear in the document.

Strawberry's depth and alias limiters re-expand a fragment at every spread, so a 1 KB document of
fragments that each spread the next one twice takes time exponential in its length. Here each
fragment is measured once and its measure reused at every spread (a memo keyed by fragment name),
so validation visits every node of the document a bounded number of times whatever the expansion.

Measures, per operation:
- depth: fields with a selection below them count 1, leaves 0, introspection fields are not counted;
- aliases: aliased fields, as expanded;
- cost: each field costs 1, and its children cost as many times as the items it returns (`first`, the
  number of `ids` of `nodes(ids:)`, a default page for a connection without `first`); a value given by a
  variable counts as the maximum, since validation runs before variables are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_IDS_PER_LOOKUP, MAX_PAGE_SIZE

MAX_FRAGMENT_DEFINITIONS = 200
MAX_FRAGMENT_SPREADS = 1000
"""Far more than generated clients (Relay, Apollo) send, and a bound on the work before any measuring."""


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_cost: int


@dataclass(frozen=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


class _Measure:
    """Shapes of selection sets, each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], ceiling: int) -> None:
        self.fragments = fragments
        self.ceiling = ceiling  # numbers above every limit are all "too much": keeps integers small
        self.memo: dict[str, Shape] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> Shape:
        if selection_set is None:
            return Shape()
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shape = self.field(selection)
            elif isinstance(selection, InlineFragmentNode):
                shape = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                shape = self.fragment(selection.name.value)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            depth = max(depth, shape.depth)
            aliases = min(self.ceiling, aliases + shape.aliases)
            cost = min(self.ceiling, cost + shape.cost)
        return Shape(depth, aliases, cost)

    def field(self, node: FieldNode) -> Shape:
        below = self.selection_set(node.selection_set)
        introspection = node.name.value.startswith("__")
        depth = 0 if introspection or node.selection_set is None else 1 + below.depth
        aliases = below.aliases + (1 if node.alias else 0)
        cost = 1 + _multiplier(node) * below.cost
        return Shape(depth, min(self.ceiling, aliases), min(self.ceiling, cost))

    def fragment(self, name: str) -> Shape:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return Shape()  # unknown fragments and cycles are reported by graphql-core's own rules
        self.in_progress.add(name)
        shape = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        self.memo[name] = shape
        return shape


def _multiplier(field: FieldNode) -> int:
    """How many times the field's children repeat: the items it returns."""
    for argument in field.arguments or ():
        name = argument.name.value
        if name == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE
        if name == "ids":
            if isinstance(argument.value, ListValueNode):
                return max(1, min(len(argument.value.values), MAX_IDS_PER_LOOKUP))
            return MAX_IDS_PER_LOOKUP
    children = field.selection_set.selections if field.selection_set else ()
    if any(isinstance(c, FieldNode) and c.name.value in {"edges", "nodes"} for c in children):
        return DEFAULT_PAGE_SIZE
    return 1


def measure(document_definitions: Any, ceiling: int) -> dict[OperationDefinitionNode, Shape]:
    """The shape of every operation in a document."""
    fragments = {d.name.value: d for d in document_definitions if isinstance(d, FragmentDefinitionNode)}
    measure = _Measure(fragments, ceiling)
    return {
        d: measure.selection_set(d.selection_set)
        for d in document_definitions
        if isinstance(d, OperationDefinitionNode)
    }


def _count_spreads(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            total += 1
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            total += _count_spreads(selection.selection_set)
    return total


def query_limits_rule(limits: Limits) -> type[ValidationRule]:
    """One rule for every limit; build it once per schema so the validation cache can hit."""
    ceiling = max(limits.max_depth, limits.max_aliases, limits.max_cost) + 1

    class QueryLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            fragments = [d for d in definitions if isinstance(d, FragmentDefinitionNode)]
            spreads = sum(
                _count_spreads(d.selection_set)
                for d in definitions
                if isinstance(d, FragmentDefinitionNode | OperationDefinitionNode)
            )
            if len(fragments) > MAX_FRAGMENT_DEFINITIONS or spreads > MAX_FRAGMENT_SPREADS:
                context.report_error(
                    GraphQLError(
                        f"Too many fragments ({len(fragments)} definitions, {spreads} spreads); at most "
                        f"{MAX_FRAGMENT_DEFINITIONS} definitions and {MAX_FRAGMENT_SPREADS} spreads.",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )
                return
            for operation, shape in measure(definitions, ceiling).items():
                self._check(operation, shape)

        def _check(self, operation: OperationDefinitionNode, shape: Shape) -> None:
            name = operation.name.value if operation.name else "anonymous"
            if shape.depth > limits.max_depth:
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                        operation,
                        extensions={"code": "QUERY_TOO_DEEP"},
                    )
                )
            if shape.aliases > limits.max_aliases:
                shown = f"more than {limits.max_aliases}" if shape.aliases >= ceiling else str(shape.aliases)
                self.report_error(
                    GraphQLError(
                        f"{shown} aliases found. Allowed: {limits.max_aliases}",
                        operation,
                        extensions={"code": "TOO_MANY_ALIASES"},
                    )
                )
            if shape.cost > limits.max_cost:
                shown = f"above {limits.max_cost}" if shape.cost >= ceiling else str(shape.cost)
                self.report_error(
                    GraphQLError(
                        f"Query cost {shown} exceeds the maximum of {limits.max_cost}; "
                        "ask for fewer items or fields.",
                        operation,
                        extensions={"code": "QUERY_TOO_COSTLY", "maxCost": limits.max_cost},
                    )
                )

    return QueryLimitsRule
