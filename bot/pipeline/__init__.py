"""The durable pipeline: inbox, workers, outbox and the delivery relay."""
