"""The toy benchmark of the core tests, for the planner's tests."""

from tests.core.conftest import toy_benchmark, toy_plugins  # noqa: F401  (fixtures)
