"""Team-draft interleaving (Radlinski, Kurup and Joachims 2008) and its credit.

Two rankers' lists are merged into one: in each round the team with fewer picks (a coin flip on ties)
adds its best item not yet placed. A click or add to cart on an item credits the team that placed it;
per session the team with more credit wins. Over sessions, a sign test on wins (ties left out) says
which ranker is better and how sure that is. The coin flips come from a seeded generator (the session
id), so replaying a page gives the same merge.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from shoppable.domain.experiments.stats import sign_test

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

    @property
    def winner(self) -> str | None:
        if self.p_value >= 0.05 or self.wins_a == self.wins_b:
            return None
        return TEAM_A if self.wins_a > self.wins_b else TEAM_B


def outcome(credits: Iterable[tuple[float, float]]) -> InterleavingOutcome:
    """Wins per ranker over sessions; sessions without any credit count as ties."""
    wins_a = wins_b = ties = 0
    for a, b in credits:
        if a > b:
            wins_a += 1
        elif b > a:
            wins_b += 1
        else:
            ties += 1
    return InterleavingOutcome(wins_a, wins_b, ties, sign_test(wins_a, wins_b))
