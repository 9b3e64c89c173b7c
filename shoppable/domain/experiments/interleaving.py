"""Team-draft interleaving (Radlinski, Kurup and Joachims 2008) and its credit.

Two rankers' lists are merged into one: in each round the team with fewer picks (a coin flip on ties)
adds its best item not yet placed. A click or add to cart on an item credits the team that placed it;
per session the team with more credit wins. Over sessions, a sign test on wins (ties left out) says
which ranker is better and how sure that is: its p-value, and the 95% Clopper-Pearson interval of the
share of preferring sessions that prefer A (an interval that excludes 50% names a winner at 5%). The
coin flips come from a seeded generator (the session id), so replaying a page gives the same merge.

In the feed, only the product cards are interleaved (the rankers rank products; posts do not depend on
them): `merge_candidates` is what `serve_feed` hands to the feed as its `Interleave.merge`.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from shoppable.domain.experiments.stats import proportion_interval, sign_test
from shoppable.domain.feed.model import Candidate, ItemKind

T = TypeVar("T", bound=Hashable)

TEAM_A = "A"
TEAM_B = "B"
CREDITED_EVENTS = frozenset({"CLICK", "ADD_TO_CART"})
ADD_TO_CART_CREDIT = 1.0
CLICK_CREDIT = 1.0


def team_draft(a: Sequence[T], b: Sequence[T], length: int, seed: str | int) -> list[tuple[T, str]]:
    """Up to `length` items from rankings `a` and `b` with the team ("A"/"B") that placed each."""
    rng = random.Random(str(seed))
    merged: list[tuple[T, str]] = []
    placed: set[T] = set()
    picks = {TEAM_A: 0, TEAM_B: 0}
    cursor = {TEAM_A: 0, TEAM_B: 0}
    lists = {TEAM_A: a, TEAM_B: b}

    def next_of(team: str) -> T | None:
        ranking = lists[team]
        while cursor[team] < len(ranking) and ranking[cursor[team]] in placed:
            cursor[team] += 1
        return ranking[cursor[team]] if cursor[team] < len(ranking) else None

    while len(merged) < length:
        if picks[TEAM_A] < picks[TEAM_B] or (picks[TEAM_A] == picks[TEAM_B] and rng.random() < 0.5):
            order = (TEAM_A, TEAM_B)
        else:
            order = (TEAM_B, TEAM_A)
        for team in order:
            item = next_of(team)
            if item is not None:
                merged.append((item, team))
                placed.add(item)
                picks[team] += 1
                break
        else:
            break  # both lists exhausted
    return merged


def merge_candidates(a: list[Candidate], b: list[Candidate], seed: str) -> list[Candidate]:
    """Ranker A's and ranker B's candidates (each best first) as one list by team draft, each with the
    team that placed it, scored in merged order (so the mixer keeps that order, up to its diversity
    penalty). An item both propose is placed once, by whichever team drafts it first."""
    by_key_a = {(c.kind, c.item_id): c for c in a}
    by_key_b = {(c.kind, c.item_id): c for c in b}
    keys_a = list(by_key_a)
    keys_b = list(by_key_b)
    merged = team_draft(keys_a, keys_b, len(by_key_a.keys() | by_key_b.keys()), seed)
    top = max(len(merged), 1)
    placed = []
    for rank, (key, team) in enumerate(merged):
        c = (by_key_a if team == TEAM_A else by_key_b)[key]
        score = 1.0 - rank / (2 * top)
        placed.append(Candidate(c.kind, c.item_id, c.author_id, score, c.source, c.reasons, team))
    return placed


ItemKey = tuple[ItemKind, int]


def session_credit(teams: Mapping[T, str], engaged: Iterable[tuple[T, str]]) -> tuple[float, float]:
    """Credit (A, B) of one session from its (item, event type) engagements; each item once per type."""
    credit = {TEAM_A: 0.0, TEAM_B: 0.0}
    seen: set[tuple[T, str]] = set()
    for item, event in engaged:
        if event not in CREDITED_EVENTS or (item, event) in seen or item not in teams:
            continue
        seen.add((item, event))
        credit[teams[item]] += ADD_TO_CART_CREDIT if event == "ADD_TO_CART" else CLICK_CREDIT
    return credit[TEAM_A], credit[TEAM_B]


@dataclass(frozen=True)
class InterleavingOutcome:
    wins_a: int
    wins_b: int
    ties: int
    p_value: float
    preference_a: float | None = None
    """Share of the sessions with a preference that prefer A (None without any)."""
    ci_low: float | None = None
    ci_high: float | None = None
    credit_a: float = 0.0
    credit_b: float = 0.0

    @property
    def sessions(self) -> int:
        return self.wins_a + self.wins_b + self.ties

    @property
    def winner(self) -> str | None:
        if self.p_value >= 0.05 or self.wins_a == self.wins_b:
            return None
        return TEAM_A if self.wins_a > self.wins_b else TEAM_B


def outcome(credits: Iterable[tuple[float, float]]) -> InterleavingOutcome:
    """Wins per ranker over sessions; sessions without any credit count as ties."""
    wins_a = wins_b = ties = 0
    credit_a = credit_b = 0.0
    for a, b in credits:
        credit_a += a
        credit_b += b
        if a > b:
            wins_a += 1
        elif b > a:
            wins_b += 1
        else:
            ties += 1
    decided = wins_a + wins_b
    low, high = proportion_interval(wins_a, decided) if decided else (None, None)
    return InterleavingOutcome(
        wins_a,
        wins_b,
        ties,
        sign_test(wins_a, wins_b),
        wins_a / decided if decided else None,
        low,
        high,
        credit_a,
        credit_b,
    )
