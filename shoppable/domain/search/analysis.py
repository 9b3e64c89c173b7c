"""Text analysis shared by the index and the queries: words, stems and accent folding.

Everything is done here, in Python, and the databases only ever see the resulting terms: SQLite's FTS5
and PostgreSQL's `tsvector` (with the `simple` configuration) index the same words, so both rank the
same way, a merchant's language can be chosen per row, and the terms feed the typo vocabulary.

The order matters: a word is stemmed in its catalog's language first (the Snowball stemmers for Swedish,
Norwegian or Danish key on å, ä, ö, ø and æ), and only then folded to plain letters, so "jackorna",
"Jäckor" and "jackor" meet, and "Crème" matches "creme". PostgreSQL's `unaccent` would fold before the
stemmer and exists only there; folding here works the same on both databases.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

LANGUAGES: dict[str, str] = {
    "en": "english",
    "sv": "swedish",
    "nb": "norwegian",
    "nn": "norwegian",
    "no": "norwegian",
    "da": "danish",
    "fi": "finnish",
    "de": "german",
    "nl": "dutch",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
}
"""Catalog languages a merchant may choose (ISO 639-1), and the Snowball stemmer of each."""
DEFAULT_LANGUAGE = "en"

MAX_WORD_CHARS = 40
"""Longer "words" (hashes, glued junk) are not indexed or searched."""
MAX_QUERY_WORDS = 8
MIN_PREFIX_CHARS = 2
"""The last word of a query also matches as a prefix (search as you type) from this many letters."""

_WORD = re.compile(r"[^\W_]+")
_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}
)

_stemmers = threading.local()


def normalize_language(code: str | None) -> str:
    """A supported language code, or the default."""
    value = (code or "").strip().lower()
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe: one per thread (imports analyse text in worker threads).
    cache: dict[str, Stemmer.Stemmer] | None = getattr(_stemmers, "cache", None)
    if cache is None:
        cache = _stemmers.cache = {}
    stemmer = cache.get(language)
    if stemmer is None:
        stemmer = cache[language] = Stemmer.Stemmer(LANGUAGES[language], 0)
    return stemmer


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents: "Crème" -> "creme", "Smørrebrød" -> "smorrebrod"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD_EXTRA)


def words(text: str | None) -> list[str]:
    """The words of a text, lower case, accents kept (stemmers need them)."""
    if not text:
        return []
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in _WORD.findall(normalized) if len(w) <= MAX_WORD_CHARS]


@lru_cache(maxsize=200_000)
def term(word: str, language: str) -> str:
    """The index term of one lower-case word: stemmed in `language`, then folded."""
    if word.isdigit():
        return word
    return fold(_stemmer(language).stemWord(word))


def terms(text: str | None, language: str) -> list[str]:
    return [term(w, language) for w in words(text)]


def document(text: str | None, language: str) -> str:
    """Space-separated index terms: what the full-text columns hold. A word whose unaccented spelling
    stems differently ("brûlée" -> "brul", "brulee" -> "brule") is indexed under both, so a shopper
    finds it typing either."""
    found: list[str] = []
    for word in words(text):
        stemmed = term(word, language)
        found.append(stemmed)
        plain = fold(word)
        if plain != word and (other := term(plain, language)) != stemmed:
            found.append(other)
    return " ".join(found)


def surface_words(text: str | None) -> set[str]:
    """Folded, unstemmed words: the vocabulary typos are corrected against."""
    return {fold(w) for w in set(words(text)) if len(w) >= 3 and not w.isdigit()}


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of a word (two spaces before, one after)."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity`: shared trigrams over all trigrams of both."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta or tb else 0.0


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count once), capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit)


def typo_budget(word: str) -> int:
    """Edits tolerated in a word: none below 4 letters, one up to 7, two from 8."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2
