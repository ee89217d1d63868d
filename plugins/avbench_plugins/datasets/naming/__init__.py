"""File-name schemes of the corpora, parsed without touching the files."""
