"""Replotting: which old plots to delete, just in time, so that an incoming plot fits."""
