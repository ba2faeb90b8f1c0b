"""The ERP: the product catalog, warehouses and their locations, and the stock ledger with the
balances kept beside it."""
