"""Fake platform servers for contract tests: they answer with the vendors' recorded shapes."""
