"""Which fields a query asks for below the current one, read from the query's syntax tree.

Lets a list resolver load a relation for the whole page up front (one statement, as a
DataLoader would), so the per-item fields can answer synchronously.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Iterable[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields(fragments[selection.name.value].selection_set, fragments)


def selected_below(info: Any, *path: str) -> set[str]:
    """Names of the fields selected at `path` under the current field, e.g. ("edges", "node")."""
    raw = info._raw_info
    level = list(raw.field_nodes)
    for name in path:
        level = [
            f for node in level for f in _fields(node.selection_set, raw.fragments) if f.name.value == name
        ]
    return {f.name.value for node in level for f in _fields(node.selection_set, raw.fragments)}
