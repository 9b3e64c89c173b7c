"""Text analysis and price bands: pure rules, no database."""

from __future__ import annotations

import pytest

from shoppable.domain.catalog.money import Money
from shoppable.domain.search.analysis import (
    document,
    edit_distance,
    fold,
    normalize_language,
    terms,
    typo_budget,
)
from shoppable.domain.search.currency import price_bands, reference_amount
from shoppable.domain.search.products import filter_key, popularity_boost


def test_words_are_stemmed_in_their_language_then_folded() -> None:
    assert terms("Waterproof Jackets", "en") == ["waterproof", "jacket"]
    assert terms("vattentäta jackor", "sv") == [*terms("Vattentät jacka", "sv")[:1], "jack"]
    assert terms("Jäckor", "sv") == terms("jackor", "sv")  # stemmed before folding
    assert set(document("creme brulee", "fr").split()) <= set(document("Crème Brûlée", "fr").split())
    assert fold("Smørrebrød Æble Straße") == "smorrebrod aeble strasse"
    assert terms("501 jeans", "en") == ["501", "jean"]


def test_odd_text_gives_no_terms_and_unknown_languages_fall_back() -> None:
    assert terms('"*:()^- NEAR 🧥 \x00', "en") == ["near"]
    assert terms("x" * 41, "en") == []
    assert normalize_language("SV") == "sv" and normalize_language("klingon") == "en"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("jacket", "jakcet", 1),
        ("jacket", "jacket", 0),
        ("sweater", "sweter", 1),
        ("boots", "bots", 1),
        ("abc", "xyz", 3),
    ],
)
def test_edit_distance_counts_a_transposition_once(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


def test_short_words_are_not_corrected() -> None:
    assert [typo_budget(w) for w in ("red", "boot", "jackets", "waterproof")] == [0, 1, 1, 2]


def test_price_bands_are_round_numbers_in_the_shoppers_currency() -> None:
    eur = price_bands("EUR")
    assert [b.min.amount_minor for b in eur] == [0, 2500, 5000, 10000, 25000, 50000]
    assert eur[0].label == "Under 25 EUR" and eur[-1].max is None
    sek = price_bands("SEK")
    assert [b.min for b in sek][:3] == [Money(0, "SEK"), Money(25000, "SEK"), Money(50000, "SEK")]
    assert reference_amount(10000, "SEK") == pytest.approx(8.7)
    assert reference_amount(100, "XXX") is None


def test_filters_ignore_case_accents_and_spacing_and_popularity_saturates() -> None:
    assert filter_key("  Fjällräv   Kånken ") == "fjallrav kanken"
    assert popularity_boost(0) == 0 and 0 < popularity_boost(5) < popularity_boost(500) < 1
