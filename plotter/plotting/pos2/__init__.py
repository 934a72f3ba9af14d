"""plotyard's own PoS2 plotter on chia_rs: keys (:mod:`.keys`), pool addresses (:mod:`.address`) and the
program the ``pos2`` backend runs (:mod:`.plotter`). chia_rs is imported only where a plot is made."""
