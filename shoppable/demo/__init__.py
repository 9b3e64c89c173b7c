"""Demo data for `make run` and `shoppable seed`."""
