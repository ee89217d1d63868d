"""Planning and executing benchmark runs: extraction, folds, results."""
