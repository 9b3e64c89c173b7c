"""Discovery: text search over the catalog (analysis, ranking, facets) and its ports."""
