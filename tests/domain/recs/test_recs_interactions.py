from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shoppable.domain.recs.interactions import (
    SECONDS_PER_DAY,
    Interactions,
    load_interactions_csv,
    parse_timestamp,
    temporal_split,
)
from shoppable.domain.recs.item_meta import ItemMeta, ItemRecord, load_items_csv


def write(tmp_path: Path, text: str, name: str = "interactions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_epoch_and_iso_timestamps_and_weights(tmp_path):
    path = write(
        tmp_path,
        "user_id,item_id,timestamp,weight\n"
        "u1,i1,1700000000,2\n"
        "u1,i2,2023-11-14T22:13:20Z,\n"
        "u2,i1,2023-11-14T22:13:20,0.5\n"
        "u2,i3,2023-11-14T23:13:20+01:00,1\n",
    )
    interactions = load_interactions_csv(path)
    assert interactions.users.ids == ["u1", "u2"]
    assert interactions.items.ids == ["i1", "i2", "i3"]
    assert interactions.user_idx.tolist() == [0, 0, 1, 1]
    assert interactions.item_idx.tolist() == [0, 1, 0, 2]
    # ISO without offset is UTC; an explicit offset is honoured; all four are the same instant.
    assert interactions.timestamp.tolist() == [1_700_000_000.0] * 4
    assert interactions.weight.tolist() == [2.0, 1.0, 0.5, 1.0]  # an empty weight cell means 1


def test_csv_without_weight_column_and_columns_in_any_order(tmp_path):
    path = write(tmp_path, "timestamp,item_id,extra,user_id\n10,a,x,u\n20.5,b,y,u\n")
    interactions = load_interactions_csv(path)
    assert interactions.weight.tolist() == [1.0, 1.0]
    assert interactions.timestamp.tolist() == [10.0, 20.5]
    assert interactions.items.ids == ["a", "b"]


def test_catalog_items_without_interactions_join_the_vocabulary(tmp_path):
    path = write(tmp_path, "user_id,item_id,timestamp\nu,a,1\n")
    interactions = load_interactions_csv(path, catalog_item_ids=["b", "a"])
    assert interactions.items.ids == ["a", "b"]
    assert interactions.n_items == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user_id,item_id\nu,i\n", "line 1: header lacks column(s) timestamp"),
        ("", "line 1: empty file"),
        ("user_id,item_id,timestamp\nu,i,1\nu,i,yesterday\n", "line 3: timestamp 'yesterday' is neither"),
        ("user_id,item_id,timestamp\nu,i,1\nu,i\n", "line 3: expected 3 fields, found 2"),
        ("user_id,item_id,timestamp\n,i,1\n", "line 2: empty user_id or item_id"),
        ("user_id,item_id,timestamp,weight\nu,i,1,heavy\n", "line 2: weight 'heavy' is not a number"),
        ("user_id,item_id,timestamp,weight\nu,i,1,-1\n", "line 2: weight '-1' must be >= 0"),
        ("user_id,item_id,timestamp\nu,i,nan\n", "line 2: timestamp 'nan' is not finite"),
        ("user_id,item_id,timestamp\n", "no interactions after the header"),
    ],
)
def test_bad_csv_is_a_value_error_with_the_line_number(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=r"interactions\.csv") as error:
        load_interactions_csv(path)
    assert message in str(error.value)


def test_line_numbers_count_quoted_newlines(tmp_path):
    path = write(tmp_path, 'user_id,item_id,timestamp\n"u\nsplit",i,1\nu,i,bad\n')
    with pytest.raises(ValueError, match="line 4"):
        load_interactions_csv(path)


def test_parse_timestamp_forms():
    assert parse_timestamp("0") == 0.0
    assert parse_timestamp(" 12.5 ") == 12.5
    assert parse_timestamp("1970-01-02") == SECONDS_PER_DAY
    assert parse_timestamp("1970-01-01T01:00:00+01:00") == 0.0
    with pytest.raises(ValueError):
        parse_timestamp("01/02/2024")


def test_temporal_split_puts_the_cutoff_instant_in_test():
    day = SECONDS_PER_DAY
    interactions = Interactions.from_arrays(
        ["a", "a", "b", "b"], ["x", "y", "x", "z"], [0.0, 5 * day - 1, 5 * day, 7 * day]
    )
    train, test, cutoff = temporal_split(interactions, test_days=2)
    assert cutoff == 5 * day
    assert train.timestamp.tolist() == [0.0, 5 * day - 1]
    assert test.timestamp.tolist() == [5 * day, 7 * day]
    # Both halves keep the full vocabularies, so indices mean the same item everywhere.
    assert train.n_items == test.n_items == 3
    assert test.item_idx.tolist() == [0, 2]
    with pytest.raises(ValueError):
        temporal_split(interactions, test_days=0)


def test_csr_sums_repeated_weights_and_decays_by_age():
    day = SECONDS_PER_DAY
    interactions = Interactions.from_arrays(
        ["a", "a", "a", "b"], ["x", "x", "y", "y"], [10 * day, 10 * day, 0.0, 10 * day], [1.0, 2.0, 4.0, 1.0]
    )
    matrix = interactions.to_csr()
    assert matrix.shape == (2, 2)
    assert matrix.toarray().tolist() == [[3.0, 4.0], [0.0, 1.0]]
    decayed = interactions.to_csr(half_life_days=5, now=10 * day).toarray()
    np.testing.assert_allclose(decayed, [[3.0, 1.0], [0.0, 1.0]])  # 4 halved twice in 10 days
    boosted = interactions.to_csr(now=10 * day, recency_boost=2.0, recency_half_life_days=5).toarray()
    # Events of `now` count 1 + 2 times; the 10-day-old one 1 + 2/4 times: boosted, never erased.
    np.testing.assert_allclose(boosted, [[9.0, 6.0], [0.0, 3.0]])
    # Event weighting applies to each event before the sum: `binary` counts events, not quantities.
    counted = interactions.to_csr(event_weighting="binary").toarray()
    assert counted.tolist() == [[2.0, 1.0], [0.0, 1.0]]
    logged = interactions.to_csr(event_weighting="log").toarray()
    np.testing.assert_allclose(logged, [[np.log(2) + np.log(3), np.log(5)], [0.0, np.log(2)]], rtol=1e-6)


def test_from_arrays_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        Interactions.from_arrays(["a"], ["x", "y"], [0.0])
    with pytest.raises(ValueError, match="non-negative"):
        Interactions.from_arrays(["a"], ["x"], [0.0], [-1.0])
    with pytest.raises(ValueError, match="finite"):
        Interactions.from_arrays(["a"], ["x"], [float("nan")])


def test_items_csv_aligns_with_the_item_vocabulary(tmp_path):
    path = write(
        tmp_path,
        "item_id,creator_id,category,price,created_at\n"
        "b,c1,shoes,19.90,2024-01-01T00:00:00Z\n"
        "a,c2,,,\n"
        "other,c1,hats,5,0\n",
        "items.csv",
    )
    records = load_items_csv(path)
    assert records[0] == ItemRecord("b", "c1", "shoes", 19.9, 1_704_067_200.0)
    assert records[1] == ItemRecord("a", "c2", None, None, None)
    meta = ItemMeta.from_records(["a", "b", "new"], records)
    assert meta.creator.tolist() == [1, 0, -1]
    assert meta.creators.ids == ["c1", "c2"]
    assert meta.category.tolist() == [-1, 0, -1]
    assert np.isnan(meta.price[0]) and meta.price[1] == 19.9
    assert np.isnan(meta.created_at[2])


def test_items_csv_only_item_id_is_required(tmp_path):
    records = load_items_csv(write(tmp_path, "item_id,price\nx,3\n", "items.csv"))
    assert records == [ItemRecord("x", price=3.0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("creator_id\nc\n", "line 1: header lacks column item_id"),
        ("item_id,price\nx,cheap\n", "line 2: price 'cheap' is not a number"),
        ("item_id,price\nx,1\nx,2\n", "line 3: duplicate item_id 'x'"),
        ("item_id,created_at\nx,soon\n", "line 2: created_at: timestamp 'soon'"),
        ("item_id,price\n,1\n", "line 2: empty item_id"),
    ],
)
def test_bad_items_csv(tmp_path, text, message):
    with pytest.raises(ValueError) as error:
        load_items_csv(write(tmp_path, text, "items.csv"))
    assert message in str(error.value)
