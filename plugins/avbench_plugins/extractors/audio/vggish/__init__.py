"""VGGish embeddings (Hershey et al. 2017), cuny2020's transfer-learning audio features.

* ``vggish``: one 128-d embedding per non-overlapping 0.96 s example, SEQUENCE ``[N, 128]``;
* ``vggish-mean``: their mean over the clip, VECTOR ``[128]``, for kNN / SVM / trees / MLPs.

Audio is decoded by the shared audio decoder at 16 kHz mono; the log-mel front end
is the release's (:mod:`.frontend`; clips under 0.975 s are zero-padded to one
example), the network is :mod:`.network`. With ``pca`` the embeddings are
PCA-whitened (and by default 8-bit quantised) as the release's ``vggish_postprocess``.

The weights are not shipped and never downloaded: ``weights`` names a state-dict
file (default ``vggish-10086976.pth`` in the models folder, ``AVBENCH_MODELS``);
``pca_params`` likewise (default ``vggish_pca_params.npz``). :meth:`input_files`
declares them, so their content is in the feature keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind, RunContext

from ..base import AudioExtractor, AudioParams
from ..decode import LoadedAudio
from .files import DEFAULT_PCA, DEFAULT_WEIGHTS, PCA_ORIGIN, WEIGHTS_ORIGIN, resolve
from .frontend import SAMPLE_RATE, waveform_to_examples
from .postprocess import EMBEDDING_SIZE, PcaParams, load_pca_params


class VggishParams(AudioParams):
    sample_rate: Literal[16000] = Field(SAMPLE_RATE, description="VGGish works on 16 kHz audio only")
    weights: str = Field(DEFAULT_WEIGHTS, min_length=1,
                         description="state-dict file: a bare name is looked up in the models folder "
                                     "(AVBENCH_MODELS / resources.models), anything with a folder part is a path")
    pca: bool = Field(False, description="PCA-whiten the embeddings with the release's parameters")
    pca_params: str = Field(DEFAULT_PCA, min_length=1, description="PCA file (name in the models folder, or path)")
    quantize: bool = Field(True, description="with pca: clip to [-2, 2] and quantise to 0..255 as the release")
    final_relu: bool = Field(False, description="ReLU on the embedding (harritaylor/torchvggish and TF before "
                                                "Aug 2020); the release's embedding is pre-activation")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="torch device: 'auto' (the run's device, else CUDA when present), 'cpu' or 'cuda'")
    batch_size: int = Field(64, gt=0, description="examples per forward pass")


class _VggishExtractor(AudioExtractor):
    """Shared by both plugins: lazy network and PCA, hashing, batching."""

    Params: ClassVar[type[VggishParams]] = VggishParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._network: Any = None
        self._pca: PcaParams | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_network"] = None  # reloaded lazily in the worker process
        state["_pca"] = None
        return state

    def setup(self, context: RunContext) -> None:
        super().setup(context)
        self._network = None  # the run's device or models folder may differ
        self._pca = None

    def weights_path(self) -> Path:
        return resolve(self.context, self.params.weights, "weights", self.name, WEIGHTS_ORIGIN)

    def pca_path(self) -> Path:
        return resolve(self.context, self.params.pca_params, "pca_params", self.name, PCA_ORIGIN)

    def input_files(self) -> dict[str, Path]:
        """The weights, and the PCA parameters when ``pca``: cached features follow their content."""
        return {"weights": self.weights_path(), **({"pca_params": self.pca_path()} if self.params.pca else {})}

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.device)

    @property
    def device(self) -> str:
        from ....models.neural.training import resolve_device

        return str(resolve_device(self.params.device, self.context))

    def network(self) -> Any:
        if self._network is None:
            from .network import load_vggish

            self._network = load_vggish(self.weights_path(), self.device, final_relu=self.params.final_relu)
        return self._network

    def pca(self) -> PcaParams:
        if self._pca is None:
            self._pca = load_pca_params(self.pca_path())
        return self._pca

    def features(self, raw: LoadedAudio) -> np.ndarray:
        self.network()  # load resources here so a missing/bad file stops the run instead of failing every clip
        if self.params.pca:
            self.pca()
        return super().features(raw)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """``[N, 128]`` float32 embeddings (post-processed when ``pca``) of 16 kHz mono samples."""
        import torch

        examples = waveform_to_examples(samples)
        net = self.network()
        device = next(net.parameters()).device
        out = []
        with torch.inference_mode():
            for start in range(0, len(examples), self.params.batch_size):
                batch = torch.from_numpy(examples[start:start + self.params.batch_size]).unsqueeze(1)
                out.append(net(batch.to(device)).float().cpu().numpy())
        embeddings = np.concatenate(out)
        if self.params.pca:
            embeddings = self.pca().apply(embeddings, quantize=self.params.quantize)
        return embeddings.astype(np.float32)


class Vggish(_VggishExtractor):
    """VGGish 128-d embeddings, one per non-overlapping 0.96 s example -> SEQUENCE ``[N, 128]``."""

    name = "vggish"
    version = "1.0"
    cites = 'Hershey et al. 2017, "CNN Architectures for Large-Scale Audio Classification", ICASSP 2017'
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE

    def output_shape(self) -> tuple[int | None, ...]:
        return (None, EMBEDDING_SIZE)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.embed(samples)


class VggishMean(_VggishExtractor):
    """Mean over the clip's 0.96 s examples of the VGGish embeddings -> VECTOR ``[128]`` (cuny2020)."""

    name = "vggish-mean"
    version = "1.0"
    cites = 'Hershey et al. 2017, "CNN Architectures for Large-Scale Audio Classification", ICASSP 2017'
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    def output_shape(self) -> tuple[int | None, ...]:
        return (EMBEDDING_SIZE,)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.embed(samples).mean(axis=0)


@hookimpl
def avbench_plugins() -> list[type]:
    return [Vggish, VggishMean]
