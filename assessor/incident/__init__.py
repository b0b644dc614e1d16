"""Incidents: the record, its timeline, the report and the exports the CERT reads (pure)."""
