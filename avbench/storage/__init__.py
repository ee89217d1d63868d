"""Crash-safe file writes."""
