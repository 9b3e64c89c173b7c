"""Which fields a query asks for below the current one, from Strawberry's `info.selected_fields`.

Lets a list resolver load a relation for the whole page up front (one statement, as a
DataLoader would), so the per-item fields can answer synchronously.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: Sequence[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def selected_below(info: Any, *path: str) -> set[str]:
    """Names of the fields selected at `path` under the current field, e.g. ("edges", "node")."""
    level: list[SelectedField] = list(info.selected_fields)
    for name in path:
        level = [f for node in level for f in _fields(node.selections) if f.name == name]
    return {f.name for node in level for f in _fields(node.selections)}


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
