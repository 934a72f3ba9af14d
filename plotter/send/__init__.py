"""Moving finished plots to a NAS: which are finished, which NAS, send one, exactly once, rounds, history, progress."""
