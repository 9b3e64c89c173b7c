"""The named limits and how settings tune them."""

from __future__ import annotations

import pytest

from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import (
    LIMITS,
    LOG_IN_FAILURES_PER_ACCOUNT,
    RateLimited,
    actor_key,
    ip_key,
    tuned,
)


def test_log_in_failures_stay_within_owasp_asvs_per_account() -> None:
    per_hour = LOG_IN_FAILURES_PER_ACCOUNT.amount * 3600 / LOG_IN_FAILURES_PER_ACCOUNT.window_seconds
    assert per_hour <= 100


def test_settings_tune_known_limits_only() -> None:
    limits = tuned({"sign-up-per-ip": " 5 / 60 "})
    assert (limits["sign-up-per-ip"].amount, limits["sign-up-per-ip"].window_seconds) == (5, 60)
    assert set(limits) == set(LIMITS)
    for bad in ({"sign-up-per-day": "5/60"}, {"sign-up-per-ip": "5 per minute"}, {"sign-up-per-ip": "0/60"}):
        with pytest.raises(ValueError):
            tuned(bad)


def test_keys_prefer_the_user_then_the_device_then_the_address() -> None:
    assert actor_key(Actor(user_id=7, device_id="d", ip="1.2.3.4")) == "user:7"
    assert actor_key(Actor(device_id="d", ip="1.2.3.4")) == "device:d"
    assert actor_key(Actor(ip="1.2.3.4")) == ip_key(Actor(ip="1.2.3.4")) == "ip:1.2.3.4"


def test_rate_limited_says_how_long_to_wait_in_whole_seconds() -> None:
    error = RateLimited(LOG_IN_FAILURES_PER_ACCOUNT, 0.2)
    assert error.retry_after_seconds == 1
    assert error.errors[0].code == "RATE_LIMITED" and "1 seconds" in error.errors[0].message
