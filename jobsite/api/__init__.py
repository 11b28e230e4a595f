"""API plumbing shared by every app: auth, TxID, errors, routing, pagination."""
