"""Finance: the double-entry ledger (chart of accounts, journals, entries, fiscal periods)."""
