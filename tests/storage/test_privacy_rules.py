"""Every table is classified for export and erasure: a table added later cannot be forgotten."""

from __future__ import annotations

from shoppable.storage.privacy import NOT_PERSONAL, RULES
from shoppable.storage.tables import metadata


def _references(table_name: str) -> set[str]:
    return {fk.column.table.name for fk in metadata.tables[table_name].foreign_keys}


def test_every_table_has_an_export_and_erasure_rule_or_a_reason_it_names_nobody() -> None:
    ruled = [rule.table for rule in RULES]
    assert len(ruled) == len(set(ruled)), "a table has two rules"
    assert not set(ruled) & set(NOT_PERSONAL), "a table is both personal and not"
    unclassified = set(metadata.tables) - set(ruled) - set(NOT_PERSONAL)
    assert not unclassified, (
        f"tables without a privacy rule: {sorted(unclassified)}; add a TableRule to "
        "shoppable/storage/privacy.py RULES (export selection + erasure) or a reason to NOT_PERSONAL"
    )
    assert not (set(ruled) | set(NOT_PERSONAL)) - set(metadata.tables), "a rule for a table that is gone"


def test_a_table_that_points_at_a_person_or_their_rows_cannot_be_declared_not_personal() -> None:
    personal = {rule.table for rule in RULES}
    for name in NOT_PERSONAL:
        assert "users" not in _references(name), f"{name} has a foreign key to users"
        assert not _references(name) & personal, (
            f"{name} points at personal rows: {_references(name) & personal}"
        )


def test_columns_left_out_of_the_export_exist() -> None:
    for rule in RULES:
        columns = set(metadata.tables[rule.table].columns.keys())
        assert rule.hidden <= columns, (rule.table, rule.hidden - columns)
        assert rule.rule.strip(), f"{rule.table}: say what erasure does"
