"""Donations' services: every write, one module per resource; the ledger apart (`ledger`)."""
