"""Benchmarks with budgets: `make bench` (python -m tests.benchmarks.run); see docs/performance.md."""
