"""Benchmarks: `make bench` runs every `bench/bench_*.py` and writes docs/benchmarks.md.

Each module exposes `run() -> str`, returning one Markdown section (a `## Title` and a table).
Measure ratios against a baseline in the same run; never assert timings in tests.
"""
