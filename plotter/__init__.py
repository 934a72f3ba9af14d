"""Plotter role: find finished plots and move them to a NAS."""
