"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by fuzz.py): a strategy for our `JSON`
scalar, which schemathesis cannot generate by itself (experiment variant configs take it)."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

JSON_TEXTS = st.sampled_from(
    ["{}", '{"slotPattern": "PPR"}', "[]", "null", "1", '"x"', '{"a": {"b": [1, 2]}}']
)

schemathesis.graphql.scalar("JSON", st.one_of(JSON_TEXTS.map(nodes.String), st.integers().map(nodes.Int)))
