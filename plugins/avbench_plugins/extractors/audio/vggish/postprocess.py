"""PCA whitening and 8-bit quantisation of VGGish embeddings, as the release's ``vggish_postprocess.py``.

The released AudioSet embeddings went through this transform (for compatibility
with YouTube-8M); cuny2020 used "PCA and whitening" on its embeddings. The
parameters come from the release's ``vggish_pca_params.npz``: ``pca_eigen_vectors``
``[128, 128]`` (rows are output dimensions) and ``pca_means`` (128 values, any shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avbench.contract import ResourceMissingError

EMBEDDING_SIZE = 128
EIGEN_VECTORS_KEY = "pca_eigen_vectors"
MEANS_KEY = "pca_means"
QUANTIZE_MIN = -2.0
QUANTIZE_MAX = 2.0


@dataclass(frozen=True)
class PcaParams:
    eigen_vectors: np.ndarray  # [128, 128]
    means: np.ndarray  # [128, 1]

    def apply(self, embeddings: np.ndarray, quantize: bool = True) -> np.ndarray:
        """``[N, 128]`` -> PCA-whitened ``[N, 128]``; with ``quantize`` clipped to [-2, 2] and mapped to the
        integers 0..255 (truncated, as the release's cast to uint8), returned as float32."""
        whitened = (self.eigen_vectors @ (np.asarray(embeddings, dtype=np.float64).T - self.means)).T
        if quantize:
            clipped = np.clip(whitened, QUANTIZE_MIN, QUANTIZE_MAX)
            whitened = ((clipped - QUANTIZE_MIN) * (255.0 / (QUANTIZE_MAX - QUANTIZE_MIN))).astype(np.uint8)
        return whitened.astype(np.float32)


def load_pca_params(path: Path) -> PcaParams:
    """Read ``.npz`` (the release's format) or a torch ``.pth``/``.pt`` dict holding the same two keys."""
    try:
        if path.suffix.lower() in (".pth", ".pt"):
            import torch

            raw = torch.load(path, map_location="cpu", weights_only=True)
            arrays = {k: np.asarray(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        else:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise ResourceMissingError(f"{path} could not be read as VGGish PCA parameters ({type(exc).__name__}: "
                                   f"{exc}); expected vggish_pca_params.npz from the AudioSet VGGish release") from None
    missing = [k for k in (EIGEN_VECTORS_KEY, MEANS_KEY) if k not in arrays]
    if missing:
        raise ResourceMissingError(f"{path} lacks {missing} (has {sorted(arrays)}); expected "
                                   f"vggish_pca_params.npz from the AudioSet VGGish release")
    vectors = np.asarray(arrays[EIGEN_VECTORS_KEY], dtype=np.float64)
    means = np.asarray(arrays[MEANS_KEY], dtype=np.float64).reshape(-1, 1)
    if vectors.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE) or means.shape != (EMBEDDING_SIZE, 1):
        raise ResourceMissingError(f"{path}: {EIGEN_VECTORS_KEY} has shape {vectors.shape} and {MEANS_KEY} "
                                   f"{arrays[MEANS_KEY].shape}, expected ({EMBEDDING_SIZE}, {EMBEDDING_SIZE}) "
                                   f"and {EMBEDDING_SIZE} values")
    return PcaParams(vectors, means)


def save_pca_params(path: Path, params: PcaParams) -> None:
    """Write ``params`` in the release's ``.npz`` layout (for users who fit their own PCA, and for tests)."""
    np.savez(path, **{EIGEN_VECTORS_KEY: params.eigen_vectors, MEANS_KEY: params.means})
