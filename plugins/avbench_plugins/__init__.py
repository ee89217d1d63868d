"""avbench's first-party plugins. Each module is its own entry point in group ``avbench``."""
