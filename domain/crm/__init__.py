"""The CRM: customers, contacts, deals, campaigns, service tickets and customers as guests."""
