"""The production checks of the settings."""

from __future__ import annotations

import secrets

import pytest

from shoppable.settings import InsecureSettingsError, Settings


def test_a_long_secret_key_of_few_distinct_characters_is_refused() -> None:
    for weak in ("a" * 40, "ab" * 32, "0" * 64):
        with pytest.raises(InsecureSettingsError, match="entropy"):
            Settings(secret_key=weak, debug=False).check_production_safety()
    with pytest.raises(InsecureSettingsError, match="32 characters"):
        Settings(secret_key=secrets.token_urlsafe(16)[:20], debug=False).check_production_safety()
    Settings(secret_key=secrets.token_urlsafe(32), debug=False).check_production_safety()
    Settings(secret_key=secrets.token_hex(32), debug=False).check_production_safety()


def test_production_refuses_the_test_payment_gateway_unless_explicitly_allowed() -> None:
    key = secrets.token_urlsafe(32)
    Settings(secret_key=key, debug=False).check_production_safety()  # no gateway by default
    assert Settings(secret_key=key, debug=False).enabled_payment_gateways == []
    assert Settings(debug=True).enabled_payment_gateways == ["test"]
    with pytest.raises(InsecureSettingsError, match="ALLOW_TEST_PAYMENTS"):
        Settings(secret_key=key, debug=False, payment_gateways=["test"]).check_production_safety()
    Settings(
        secret_key=key, debug=False, payment_gateways=["test"], allow_test_payments=True
    ).check_production_safety()
