"""How long plots took: timings from the plotters' logs, ``plot-manager analyze``."""
