"""Which fields a query asks for below the current one, read from the query's syntax tree.

Lets a list resolver load a relation for the whole page up front (one statement, as a
DataLoader would), so the per-item fields can answer synchronously.

The tree is walked directly rather than through Strawberry's `info.selected_fields`, which converts
the whole selection below the field, with every argument's value, on each call: a feed page asks
eight times, and that conversion was 7% of the server's time under load (py-spy, bench/feed.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


def _fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterable[FieldNode]:
    """The fields of a selection, through its fragments (named and inline)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def selected_below(info: Any, *path: str) -> set[str]:
    """Names of the fields selected at `path` under the current field, e.g. ("edges", "node")."""
    raw = info._raw_info  # graphql-core's GraphQLResolveInfo
    fragments = raw.fragments
    level: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        level = [f for node in level for f in _fields(node.selection_set, fragments) if f.name.value == name]
    return {f.name.value for node in level for f in _fields(node.selection_set, fragments)}


_LOOKED_FOR: set[tuple[str, str]] = set()


def field_names(type_name: str, *names: str) -> frozenset[str]:
    """Fields of `type_name` that a prefetch looks for in a selection.

    Recorded, so that a test checks each against the schema: a renamed field would otherwise just
    stop being prefetched, silently, and every item would load it on its own again.
    """
    _LOOKED_FOR.update((type_name, name) for name in names)
    return frozenset(names)


def fields_looked_for() -> frozenset[tuple[str, str]]:
    """(type name, field name) of every `field_names` declaration made so far."""
    return frozenset(_LOOKED_FOR)
