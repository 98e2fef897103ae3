"""Governance: field encryption and key rotation, the audit trail, consent, retention, data quality."""
