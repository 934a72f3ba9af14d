"""Receiving a plot: the one-shot receiver, its data port, and the name/drive reservations."""
