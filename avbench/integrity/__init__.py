"""Checking a dataset tree against its publishers' checksum list."""
