"""GraphQL adapter of merchant webhooks."""
