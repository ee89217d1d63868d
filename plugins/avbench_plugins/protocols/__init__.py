"""Evaluation protocols: how clips are split into folds by subject."""
