"""``drive-manager view``: drives with fill bars, temperature, SMART and state, the receive drive and
the receivers running. :mod:`.data` reads the NAS (as ``status --json`` does, SMART from the cache
only), :mod:`.render` lays it out, :mod:`.app` is the textual App.
"""
