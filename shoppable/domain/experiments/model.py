"""Experiments, their variants and what a variant changes in the feed."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.recs.models.feed import SIGNALS as BLEND_SIGNALS


class ExperimentStatus(StrEnum):
    DRAFT = "DRAFT"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class ExperimentKind(StrEnum):
    AB = "AB"
    INTERLEAVING = "INTERLEAVING"


SURFACES = frozenset({"feed"})
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")
MAX_VARIANTS = 8
MAX_WEIGHT = 10_000
MAX_DESCRIPTION = 2_000
DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 60

METRICS = (
    "ctr",  # clicks per impression (ratio: delta method)
    "add_to_cart_rate",  # share of viewers who added something to a cart
    "conversion",  # share of viewers who placed an order
    "revenue_per_viewer",  # order totals after refunds, minor units: one metric per currency
    "items_per_session",  # impressions per feed session (ratio: delta method)
    "hides_per_viewer",  # guardrail
    "unfollows_per_viewer",  # guardrail: the server records an UNFOLLOWED event per unfollow
    "feed_latency_ms",  # guardrail: time to build the first page of an exposed session
)
GUARDRAILS = frozenset({"hides_per_viewer", "unfollows_per_viewer", "feed_latency_ms"})
RATIO_METRICS = frozenset({"ctr", "items_per_session"})

SLOT_PATTERN = re.compile(r"^[PR]{1,20}$")
CONFIG_KEYS = frozenset({"ranker", "blend", "slotPattern", "diversityWindow", "personalized"})
INTERLEAVING_KEYS = frozenset({"ranker", "blend"})
"""An interleaving variant is a ranker (and its blend): the page around the products is shared."""
MAX_BLEND_WEIGHT = 100.0


@dataclass(frozen=True)
class FeedVariantConfig:
    """What a variant changes in the feed, read from its JSON config.

    - `ranker`: a trained ranker version by name (`shoppable recs train` writes `<model>-<version>.pkl`;
      use the file name without `.pkl`, as `recs eval`/`recs train` print it), "latest" for the current
      one, or "none" for no ranker;
    - `blend`: weights of the feed ranker's blended signals (`domain/recs/models/feed.py` SIGNALS, e.g.
      {"ease": 1.0, "trending": 0.4}), replacing the trained ones for the named signals; needs a
      `ranker` version of the feed model (a version that does not blend serves nobody the variant);
    - `slotPattern`: the post (P) / product (R) slot pattern, e.g. "PPRPR";
    - `diversityWindow`: how many recent items the author-repeat penalty looks back on (1 = off);
    - `personalized`: false serves the non-personalized candidate sources only (trending, new arrivals),
      whatever the viewer's consent; true (the default) uses the viewer's history when consent allows.
    """

    ranker: str | None = None
    slot_pattern: str | None = None
    diversity_window: int | None = None
    personalized: bool = True
    blend: tuple[tuple[str, float], ...] = ()

    @property
    def uses_personal_data(self) -> bool:
        """A variant whose treatment only exists with the viewer's data (a ranker): only viewers who
        consented to personalization are enrolled in an experiment that has one."""
        return self.ranker is not None and self.personalized

    @classmethod
    def parse(cls, raw: Any, path: tuple[str | int, ...] = ("config",)) -> FeedVariantConfig:
        errors: list[FieldError] = []
        if not isinstance(raw, dict):
            raise DomainError(
                FieldError(path, ErrorCode.INVALID, "A variant's config must be a JSON object.")
            )
        for key in raw:
            if key not in CONFIG_KEYS:
                errors.append(
                    FieldError(
                        (*path, str(key)), ErrorCode.INVALID, f"Unknown setting; use {sorted(CONFIG_KEYS)}."
                    )
                )
        ranker = raw.get("ranker")
        if ranker is not None and not (
            isinstance(ranker, str) and re.fullmatch(r"[A-Za-z0-9_.@-]{1,80}", ranker)
        ):
            errors.append(FieldError((*path, "ranker"), ErrorCode.INVALID, "A ranker version name."))
        pattern = raw.get("slotPattern")
        if pattern is not None and not (isinstance(pattern, str) and SLOT_PATTERN.match(pattern)):
            errors.append(FieldError((*path, "slotPattern"), ErrorCode.INVALID, "1-20 letters P or R."))
        window = raw.get("diversityWindow")
        if window is not None and not (
            isinstance(window, int) and not isinstance(window, bool) and 1 <= window <= 50
        ):
            errors.append(
                FieldError((*path, "diversityWindow"), ErrorCode.INVALID, "An integer from 1 to 50.")
            )
        personalized = raw.get("personalized", True)
        if not isinstance(personalized, bool):
            errors.append(FieldError((*path, "personalized"), ErrorCode.INVALID, "true or false."))
        blend = _blend(raw.get("blend"), ranker, (*path, "blend"), errors)
        if errors:
            raise DomainError(*errors)
        return cls(ranker, pattern, window, bool(personalized), blend)


def _blend(
    raw: Any, ranker: Any, path: tuple[str | int, ...], errors: list[FieldError]
) -> tuple[tuple[str, float], ...]:
    """The blend weights by signal name, sorted; every problem appended to `errors`."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        errors.append(
            FieldError(path, ErrorCode.INVALID, f"An object of weights by signal: {list(BLEND_SIGNALS)}.")
        )
        return ()
    if ranker is None or ranker == "none":
        errors.append(
            FieldError(
                path, ErrorCode.INVALID, 'Blend weights need a ranker version ("latest" for the current one).'
            )
        )
    weights: list[tuple[str, float]] = []
    for name, weight in raw.items():
        if name not in BLEND_SIGNALS:
            errors.append(FieldError((*path, str(name)), ErrorCode.INVALID, f"One of {list(BLEND_SIGNALS)}."))
        elif (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or not 0 <= weight <= MAX_BLEND_WEIGHT
        ):
            errors.append(
                FieldError((*path, str(name)), ErrorCode.INVALID, f"A number from 0 to {MAX_BLEND_WEIGHT:g}.")
            )
        else:
            weights.append((name, float(weight)))
    if (
        weights
        and len(weights) == len(raw)
        and not any(w > 0 for _, w in weights)
        and len(raw) == len(BLEND_SIGNALS)
    ):
        errors.append(FieldError(path, ErrorCode.INVALID, "At least one weight above 0."))
    return tuple(sorted(weights))


@dataclass(frozen=True)
class Variant:
    key: str
    weight: int
    config: dict[str, Any]

    @property
    def feed(self) -> FeedVariantConfig:
        return FeedVariantConfig.parse(self.config)


@dataclass(frozen=True)
class Experiment:
    id: int
    key: str
    description: str
    kind: ExperimentKind
    surface: str
    status: ExperimentStatus
    variants: tuple[Variant, ...]
    metrics: tuple[str, ...]
    window_days: int = DEFAULT_WINDOW_DAYS
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def control(self) -> Variant:
        """The first variant is the control (for interleaving: ranker A)."""
        return self.variants[0]

    @property
    def personal(self) -> bool:
        """Enrolls only viewers who consented to personalization (some variant needs their data)."""
        return any(v.feed.uses_personal_data for v in self.variants)


@dataclass(frozen=True)
class NewExperiment:
    key: str
    description: str
    kind: ExperimentKind
    surface: str
    variants: tuple[Variant, ...]
    metrics: tuple[str, ...] = field(default_factory=tuple)
    window_days: int = DEFAULT_WINDOW_DAYS


def validate(new: NewExperiment) -> NewExperiment:
    """Check a new experiment; raises DomainError listing every problem."""
    errors: list[FieldError] = []
    if not KEY_PATTERN.match(new.key):
        errors.append(FieldError(("key",), ErrorCode.INVALID, "2-63 of a-z, 0-9, '.', '_', '-'."))
    if len(new.description) > MAX_DESCRIPTION:
        errors.append(
            FieldError(("description",), ErrorCode.TOO_LARGE, f"At most {MAX_DESCRIPTION} characters.")
        )
    if new.surface not in SURFACES:
        errors.append(FieldError(("surface",), ErrorCode.INVALID, f"One of {sorted(SURFACES)}."))
    if not 2 <= len(new.variants) <= MAX_VARIANTS:
        errors.append(FieldError(("variants",), ErrorCode.INVALID, f"2 to {MAX_VARIANTS} variants."))
    if new.kind is ExperimentKind.INTERLEAVING and len(new.variants) != 2:
        errors.append(
            FieldError(("variants",), ErrorCode.INVALID, "Interleaving compares exactly two rankers.")
        )
    seen: set[str] = set()
    configs: list[FeedVariantConfig] = []
    for index, variant in enumerate(new.variants):
        path: tuple[str | int, ...] = ("variants", index)
        if not KEY_PATTERN.match(variant.key) or variant.key in seen:
            errors.append(
                FieldError((*path, "key"), ErrorCode.INVALID, "A unique key of a-z, 0-9, '.', '_', '-'.")
            )
        seen.add(variant.key)
        if not 1 <= variant.weight <= MAX_WEIGHT:
            errors.append(
                FieldError((*path, "weight"), ErrorCode.INVALID, f"An integer from 1 to {MAX_WEIGHT}.")
            )
        try:
            config = FeedVariantConfig.parse(variant.config, (*path, "config"))
            if new.kind is ExperimentKind.INTERLEAVING:
                errors.extend(_interleaving_errors(variant, config, path))
                configs.append(config)
        except DomainError as exc:
            errors.extend(exc.errors)
    if len(configs) == 2 and configs[0] == configs[1]:
        errors.append(
            FieldError(
                ("variants", 1, "config"), ErrorCode.INVALID, "Interleaving compares two different rankers."
            )
        )
    for index, metric in enumerate(new.metrics):
        if metric not in METRICS:
            errors.append(FieldError(("metrics", index), ErrorCode.INVALID, f"One of {list(METRICS)}."))
    if not 1 <= new.window_days <= MAX_WINDOW_DAYS:
        errors.append(FieldError(("windowDays",), ErrorCode.INVALID, f"1 to {MAX_WINDOW_DAYS} days."))
    if errors:
        raise DomainError(*errors)
    return new if new.metrics else NewExperiment(**{**new.__dict__, "metrics": METRICS})


def _interleaving_errors(
    variant: Variant, config: FeedVariantConfig, path: tuple[str | int, ...]
) -> list[FieldError]:
    """An interleaving variant names a ranker (not "none": its list is what is interleaved) and
    nothing else of the page, which both rankers share."""
    errors = []
    if config.ranker is None or config.ranker == "none":
        errors.append(
            FieldError(
                (*path, "config", "ranker"), ErrorCode.REQUIRED, "Interleaving needs a ranker version."
            )
        )
    for key in variant.config:
        if key in CONFIG_KEYS and key not in INTERLEAVING_KEYS:
            errors.append(
                FieldError(
                    (*path, "config", str(key)),
                    ErrorCode.INVALID,
                    "Interleaving variants set only ranker and blend.",
                )
            )
    return errors
