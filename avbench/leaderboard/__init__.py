"""Leaderboards: result tables from stored fold records, rendered as parquet, CSV and Markdown."""
