"""``plot-manager view``: one live screen for plot jobs, transfers, directories, NAS and events.

:mod:`.data`, :mod:`.schedule` and :mod:`.nascache` build a :class:`~.data.Snapshot` from the
state dir (no terminal needed), :mod:`.render` turns it into text for a given screen size, and
:mod:`.app` is the textual App around them (the only module that imports textual).
"""
