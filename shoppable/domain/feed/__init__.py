"""The feed: candidate sources, filters, scoring, mixing, reasons and served history."""
