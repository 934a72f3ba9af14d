"""Watching the plotter and the farm: status, alerts, metrics, the farm report."""
