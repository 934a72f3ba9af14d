"""Code shared by the plotter and NAS roles of plotyard."""

__version__ = "0.1.0"
