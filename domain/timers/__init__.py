"""Durable timers: business-aware moments that fire exactly once, across processes and restarts."""
