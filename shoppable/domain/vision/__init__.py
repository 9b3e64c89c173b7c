"""Visual search: catalog images fetched and embedded, and products found by what they look like."""
