"""Code shared by the plotter and NAS roles of chia-plot-manager."""

__version__ = "0.1.0"
