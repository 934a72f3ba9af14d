"""Replot progress: how far the NAS is from all-v2, and the v1 phase-out deadline (issue 19)."""
