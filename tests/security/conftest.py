"""Hostile inputs, each built by its test: the exchange's two clones (submitter, maintainer) are reused."""

from tests.core.conftest import toy_benchmark, toy_plugins  # noqa: F401  (fixtures)
from tests.exchange.conftest import submitter, toy_env  # noqa: F401  (fixtures)
