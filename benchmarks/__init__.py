"""Benchmarks run by `make bench`; the last line printed is one JSON object of figures."""
