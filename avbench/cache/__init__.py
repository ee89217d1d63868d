"""Content-addressed caches shared by experiments."""
