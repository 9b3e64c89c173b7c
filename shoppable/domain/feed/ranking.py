"""Non-personal scores: engagement and recency with time decay (no viewer data)."""

from __future__ import annotations

import math

POST_GRAVITY = 1.5  # how fast a post's engagement fades with age (Hacker News uses 1.8)
WEEK_HOURS = 7 * 24

ADD_TO_CART_WEIGHT = 5.0

EVENT_WEIGHTS = {
    "IMPRESSION": 0.0,
    "VIEW": 1.0,
    "CLICK": 2.0,
    "LIKE": 3.0,
    "SHARE": 3.0,
    "SAVE": 4.0,
    "ADD_TO_CART": ADD_TO_CART_WEIGHT,
    # A PURCHASE event is the client's claim, not a purchase (orders will be the truth): it weighs
    # what an add to cart does, in trending, in training and in a viewer's history alike.
    "PURCHASE": ADD_TO_CART_WEIGHT,
    "ORDERED": 8.0,  # recorded by the server when an order is placed (domain/feed/model.py ORDERED)
    "FOLLOW": 0.0,
}


def post_trend_score(likes: int, saves: int, engagement: float, age_hours: float) -> float:
    """Engagement this week, faded by the post's age: new posts with some love beat old hits."""
    points = 1.0 + 3.0 * likes + 4.0 * saves + engagement
    return points / math.pow(max(age_hours, 0.0) + 2.0, POST_GRAVITY)


def decay(age_hours: float, half_life_hours: float = 72.0) -> float:
    return math.pow(0.5, max(age_hours, 0.0) / half_life_hours)


def normalize(scores: dict[int, float]) -> dict[int, float]:
    """Scale to [0, 1] by the maximum so signals of different units can be blended."""
    top = max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else {k: 0.0 for k in scores}
