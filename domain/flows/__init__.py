"""Cross-module reactions: durable consumers of domain events (docs/FLOWS.md)."""
