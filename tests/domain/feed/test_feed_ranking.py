"""Non-personal scores: decay, normalization and the trend score."""

from __future__ import annotations

import pytest

from shoppable.domain.feed.ranking import decay, normalize, post_trend_score


def test_decay_halves_every_half_life_and_never_grows() -> None:
    assert decay(0) == 1.0
    assert decay(72) == pytest.approx(0.5)
    assert decay(10, half_life_hours=5) == pytest.approx(0.25)
    assert decay(-5) == 1.0  # clocks that disagree do not boost anything


def test_normalize_scales_by_the_maximum() -> None:
    assert normalize({1: 2.0, 2: 1.0}) == {1: 1.0, 2: 0.5}
    assert normalize({1: 0.0}) == {1: 0.0}
    assert normalize({}) == {}


def test_trend_score_prefers_engagement_and_youth() -> None:
    assert post_trend_score(5, 0, 0.0, 10) > post_trend_score(1, 0, 0.0, 10)
    assert post_trend_score(0, 1, 0.0, 10) > post_trend_score(1, 0, 0.0, 10)  # a save counts more than a like
    assert post_trend_score(3, 0, 0.0, 2) > post_trend_score(3, 0, 0.0, 48)
    assert post_trend_score(0, 0, 10.0, 5) > post_trend_score(0, 0, 0.0, 5)
