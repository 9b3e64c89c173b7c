"""Online experiments on the feed: A/B tests and interleaving, assignment, exposures and analysis."""
