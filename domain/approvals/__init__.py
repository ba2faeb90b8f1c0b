"""OA approvals: templates as data, a flow engine with an append-only event log, leave balances,
delegation and SLAs. Knows nothing of chat; commands/approvals renders it."""
