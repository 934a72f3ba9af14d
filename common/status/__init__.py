"""The ``drive-manager status --json`` contract, read by both roles: the NAS's summary and its farm check."""
