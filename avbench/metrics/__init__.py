"""Classification metrics and their aggregation over folds."""
