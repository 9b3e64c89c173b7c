"""Admin GraphQL for experiments."""
