"""Result exchange: a third party's fold results exported as a bundle, checked and merged as submitted rows.

``export`` packs stored folds with their fingerprints, fold definitions and machine; ``import_bundle``
refuses anything that does not follow from the maintainer's config (one line per problem) and otherwise
stores the folds under ``<output>/<benchmark>/submitted/<submitter>/`` without recomputing them;
``verify`` recomputes a few of a bundle's folds here and compares their predictions.
"""
