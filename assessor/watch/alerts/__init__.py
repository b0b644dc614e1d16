"""Alerts: one model, deduplicated across cycles, delivered through an on-disk spool."""
