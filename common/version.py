"""The one place the version is written; setup.py reads it from here."""

DISTRIBUTION = "plotyard"
VERSION = "0.2.0"
