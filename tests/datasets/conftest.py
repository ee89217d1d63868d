"""Corpus trees for the dataset tests: empty files are enough for name parsing; the demo set is generated."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import pytest

from avbench_plugins.datasets.synthetic_av import SyntheticAV


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[[Iterable[str]], Path]:
    """Create empty files at the given relative paths under a fresh root; return the root."""

    def make(paths: Iterable[str]) -> Path:
        root = tmp_path / "corpus"
        root.mkdir(exist_ok=True)
        for rel in paths:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        return root

    return make


@pytest.fixture(scope="session")
def demo_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticAV, Path]:
    """The default synthetic demo set, generated once for the session (a few seconds)."""
    dataset = SyntheticAV()
    root = tmp_path_factory.mktemp("demo") / "synthetic-av"
    dataset.prepare(root)
    return dataset, root
