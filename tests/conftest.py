"""Shared test set-up: real-data locations come from AVBENCH_* variables; tests skip when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def env_path(var: str) -> Path:
    """The path in ``var``, or skip the test saying which variable to set."""
    value = os.environ.get(var)
    if not value or not Path(value).exists():
        pytest.skip(f"{var} is not set to an existing path (real data / model files absent)")
    return Path(value)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache folder unless it sets one."""
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
