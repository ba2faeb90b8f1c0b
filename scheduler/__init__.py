"""The clock of Bizbot: the durable timer tick and once-per-period jobs, on APScheduler 3."""
