"""Benchmarks: `python -m bench` (or `make bench`) runs every module here and prints figures.

Each benchmark is a module `bench/NAME.py` with a function `main() -> None` that measures one
thing and prints its figures. `python -m bench NAME [NAME...]` runs only those; `--list` names
them. Speed is measured here, never asserted in the test suite.
"""
