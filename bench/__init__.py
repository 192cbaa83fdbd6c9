"""Benchmarks of the quiz bot: `python -m bench [name ...] [--quick]` (see README, Performance)."""
