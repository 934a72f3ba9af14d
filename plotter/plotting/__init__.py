"""Plotting on the plotter: plotter backends (command lines, file names) and log parsers (phases).

The scheduler (which job may start, space, process lifecycle) builds on these two pieces:
``backends.get(name).command(spec)`` gives the argv of a job, ``logs.current_phase(lines, backend)``
tells how far it got.
"""
