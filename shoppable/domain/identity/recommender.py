"""The feed's main parameters in plain words (EU DSA art. 27), served as `recommenderInfo` and
repeated in the README. Keep in step with `domain/feed/candidates.py` and `domain/feed/config.py`."""

from __future__ import annotations

SUMMARY = (
    "The For You feed mixes creators' posts with product cards. Without personalization consent "
    "(the default) everyone sees the same ranking: what is trending this week and what is new. With "
    "it, your own activity of the last 60 days also counts: creators you follow, posts you liked or "
    "saved, products you viewed, added to a cart or bought, through a model retrained every hour."
)

MAIN_PARAMETERS: list[tuple[str, str]] = [
    ("Trending", "Likes, saves, views and clicks of the last 7 days, each person counted once a day."),
    ("Newness", "New posts and new products rank higher, fading over about a week."),
    ("Follows", "Posts of creators you follow (personalized and Following feeds)."),
    ("Your likes and saves", "Creators you engaged with, and products tagged in posts you liked or saved."),
    ("Your product history", "Products you viewed, carted or bought in the last 60 days, and similar ones."),
    ("Variety", "No creator or merchant fills the screen: authors are spread out."),
    ("Your hides", "Posts, products, creators and merchants you hid never appear."),
    ("Availability", "Only published posts and products in stock; what you bought stays out for 90 days."),
    ("Paid partnerships", "Never change the ranking; they are labelled as such."),
]

OPTIONS: list[tuple[str, str]] = [
    ("NON_PERSONALIZED", "feed(mode: NON_PERSONALIZED): a ranking that uses nothing about you."),
    ("FOLLOWING", "feed(mode: FOLLOWING): only creators you follow, newest first."),
    ("Personalization off", "updateConsent(personalization: false): For You stops using your activity."),
    ("Reset", "resetRecommendationProfile: forget your activity for ranking, keep your follows."),
    ("Hide", "hideFromFeed: a post, product, creator or merchant never appears again."),
    ("See your profile", "viewer.recommendationProfile: what the ranker uses about you."),
]
