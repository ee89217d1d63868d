"""Features stored by a key made of everything that changes them.

The key holds the extractor's name, version, parameters and salt, the clip's
media content hashes, and, for augmented copies, the augmenter, its parameters,
the seed and the copy index. Experiments that share an extractor share entries.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from avbench.storage.atomic import write_bytes


def stable_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def feature_key(extractor: Mapping[str, Any], media_hashes: Mapping[str, str], clip_id: str,
                augmentation: Mapping[str, Any] | None = None) -> str:
    return stable_hash({"extractor": extractor, "media": dict(media_hashes), "clip": clip_id,
                        "augmentation": augmentation})


class FeatureCache:
    """``<cache>/features/<extractor>/<key[:2]>/<key>.npy``; written atomically, read by any process."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "features"

    def path(self, extractor_name: str, key: str) -> Path:
        return self.root / extractor_name / key[:2] / f"{key}.npy"

    def get(self, extractor_name: str, key: str) -> np.ndarray | None:
        try:
            return np.load(self.path(extractor_name, key), allow_pickle=False)
        except (FileNotFoundError, ValueError, EOFError):
            return None

    def put(self, extractor_name: str, key: str, value: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(value), allow_pickle=False)
        write_bytes(self.path(extractor_name, key), buffer.getvalue())

    def has(self, extractor_name: str, key: str) -> bool:
        return self.path(extractor_name, key).exists()
