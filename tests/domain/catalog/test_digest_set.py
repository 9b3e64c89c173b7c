from hypothesis import given
from hypothesis import strategies as st

from shoppable.domain.catalog.formats.digests import DigestSet


def test_membership_survives_growth() -> None:
    seen = DigestSet(capacity=8)
    codes = [f"SKU-{i}" for i in range(5000)]
    seen.update(codes)
    assert len(seen) == 5000
    assert all(code in seen for code in codes)
    assert "SKU-5000" not in seen and 42 not in seen
    seen.add("SKU-1")
    assert len(seen) == 5000


@given(st.lists(st.text(max_size=20)), st.lists(st.text(max_size=20)))
def test_behaves_like_a_set(added: list[str], probes: list[str]) -> None:
    digests = DigestSet(capacity=4)
    digests.update(added)
    assert len(digests) == len(set(added))
    for text in probes + added:
        assert (text in digests) == (text in set(added))
