"""Benchmarks: run as scripts (python benchmarks/NAME.py); the pure parts are unit-tested."""
