"""An in-memory channel that records a transcript; used by tests."""
