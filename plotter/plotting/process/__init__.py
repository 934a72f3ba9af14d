"""Plotter processes: /proc, the runjob parent, plotters started by hand and their command lines."""
