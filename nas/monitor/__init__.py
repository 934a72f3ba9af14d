"""Watching the NAS: ``check``, events and their alerts, status, reports, metrics."""
