"""Benchmarks that print their figures next to a baseline measured in the same run.

Each one is a script: ``.venv/bin/python bench/<name>.py --help``. Figures and how to read
them are in docs/performance.md.
"""
