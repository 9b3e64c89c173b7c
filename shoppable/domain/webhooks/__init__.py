"""Merchant webhooks: events written to an outbox with the change that causes them, delivered at least
once to the merchant's endpoints, signed per Standard Webhooks 1.0."""
