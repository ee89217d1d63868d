"""Self-supervised speech encoders (wav2vec 2.0, HuBERT, WavLM, data2vec-audio) and Whisper's encoder, frozen.

Three plugins read the same hidden states (see :mod:`.encoder` for batching and Whisper's window):

* ``ssl-encoder``: one clip vector, the mean over the clip's frames of one layer (``layer``), of
  the average of all layers (``"average"``) or of every layer concatenated (``"all"``) -> VECTOR;
* ``ssl-encoder-sequence``: one layer's (or the layer average's) frames -> SEQUENCE ``[T, D]``;
* ``ssl-encoder-layers``: every hidden state, for a learned layer weighting (``superb``) ->
  IMAGE_STACK ``[T, L, D]`` (frames first, so frames are the axis that varies), or ``[1, L, D]``
  with ``pool = "mean"`` (the frame mean of each layer: a fraction of the memory).

Layer 0 is the convolutional front end's output, layer ``i`` the ``i``-th transformer layer's;
negative indices count from the last. ``checkpoint`` names a local Hugging Face folder (see
:mod:`.checkpoint`); its content hash is in every feature key (:meth:`input_files`). Audio is
resampled to the checkpoint's rate. The runner extracts clip by clip; :meth:`extract_batch` runs
several clips per forward pass (padding with attention masks where the model allows it) and gives
the same features. CUDA when present (``device = "auto"``), else CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal, Sequence

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import AudioSignal, Clip, ClipError, OutputKind, RunContext

from ..base import AudioExtractor, AudioParams
from ..decode import LoadedAudio, load_clip_audio, resample
from .checkpoint import CheckpointInfo, declared_training_data, locate, read_info

CITES = ('Baevski et al. 2020 (wav2vec 2.0); Hsu et al. 2021 (HuBERT); Chen et al. 2022 (WavLM); Baevski et al. '
         '2022 (data2vec); Radford et al. 2023 (Whisper); layer use as in Yang et al. 2021, "SUPERB: Speech '
         'processing Universal PERformance Benchmark", Interspeech 2021, and Ma et al. 2024, "EmoBox", '
         'LREC-COLING 2024')


class SslParams(AudioParams):
    sample_rate: int | None = Field(None, gt=0, le=384000,
                                    description="None: the checkpoint's rate (preprocessor_config.json), which the "
                                                "audio is resampled to; another rate is refused")
    checkpoint: str = Field("wavlm-base-plus", min_length=1,
                            description="Hugging Face model folder (config.json, model.safetensors, "
                                        "preprocessor_config.json): a bare name is looked up in the models folder "
                                        "(AVBENCH_MODELS / resources.models), anything with a folder part is a path")
    trained_on: tuple[str, ...] | None = Field(
        None, description="corpora the checkpoint was trained on (flags leaderboard rows that test on one); None: "
                          "the model card's datasets (README.md in the folder), else avbench's table of known "
                          "checkpoints")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="torch device: 'auto' (the run's device, else CUDA when present), 'cpu' or 'cuda'")
    batch_size: int = Field(8, gt=0, description="clips (Whisper: 30 s windows) per forward pass in extract_batch")


class _SslExtractor(AudioExtractor):
    """Shared by the three plugins: checkpoint, lazy encoder, batching, checks; subclasses reduce the states."""

    Params: ClassVar[type[SslParams]] = SslParams
    libraries: ClassVar[tuple[str, ...]] = ("librosa", "soxr", "soundfile", "av", "torch", "transformers")
    cites = CITES

    @classmethod
    def conformance_params(cls, tmp_dir: Path) -> dict[str, Any]:
        """A tiny random WavLM (written once per process beside the kit's media): checks run without real weights."""
        from .tiny import conformance_checkpoint

        return {"checkpoint": str(conformance_checkpoint()), "trained_on": []}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoder: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_encoder"] = None  # reloaded lazily in the worker process
        return state

    def setup(self, context: RunContext) -> None:
        super().setup(context)
        self._encoder = None  # the run's device or models folder may differ

    # ---- the checkpoint ----------------------------------------------------------------------------------
    def folder(self) -> Path:
        return locate(self.context, self.params.checkpoint, self.name)

    def info(self) -> CheckpointInfo:
        return read_info(self.folder(), self.name)

    def model_rate(self) -> int:
        """The checkpoint's sampling rate, from ``preprocessor_config.json`` (no model loaded)."""
        path = self.folder() / "preprocessor_config.json"
        try:
            rate = int(json.loads(path.read_text())["sampling_rate"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ValueError(f"{self.name}: {path} has no integer sampling_rate") from None
        if self.params.sample_rate is not None and self.params.sample_rate != rate:
            raise ValueError(f"{self.name}: sample_rate = {self.params.sample_rate}, but the checkpoint works at "
                             f"{rate} Hz ({path}); leave sample_rate unset")
        return rate

    def input_files(self) -> dict[str, Path]:
        """The checkpoint folder (every file's content is in the feature keys); bad settings are named here."""
        folder = self.folder()
        self.model_rate()
        self.check_layers(self.info())
        return {"checkpoint": folder}

    def check_layers(self, info: CheckpointInfo) -> None:
        """Raise ValueError for a layer the checkpoint does not have (subclasses with a ``layer``)."""
        layer = getattr(self.params, "layer", None)
        if isinstance(layer, int) and not -info.n_hidden_states <= layer < info.n_hidden_states:
            raise ValueError(f"{self.name}: layer = {layer}, but {self.params.checkpoint} has hidden states 0.."
                             f"{info.n_hidden_states - 1} (0: the front end; negative counts from the last)")

    def training_data(self) -> list[str]:
        return declared_training_data(self.context, self.params.checkpoint, self.params.trained_on)

    def wants_cuda(self) -> bool:
        """CUDA when ``device`` (``auto``: the run's, else a GPU torch sees) resolves to it: a GPU slot, then."""
        return self.device_is_cuda(self.params.device)

    def encoder(self) -> Any:
        if self._encoder is None:
            from ....models.neural.training import resolve_device
            from .encoder import SpeechEncoder

            self.check_layers(self.info())
            self._encoder = SpeechEncoder(self.folder(), str(resolve_device(self.params.device, self.context)))
        return self._encoder

    @property
    def device(self) -> str:
        return str(self.encoder().device)

    # ---- extraction --------------------------------------------------------------------------------------
    def load(self, clip: Clip) -> LoadedAudio:
        p = self.params
        return load_clip_audio(clip, self.model_rate(), duration=p.duration, offset=p.offset)

    def features(self, raw: AudioSignal) -> np.ndarray:
        return self.features_batch([raw])[0]

    def extract_batch(self, clips: Sequence[Clip]) -> list[np.ndarray]:
        """Features of several clips from batched forward passes: the same arrays :meth:`extract` gives."""
        return self.features_batch([self.load(clip) for clip in clips])

    def features_batch(self, raws: Sequence[AudioSignal]) -> list[np.ndarray]:
        """Features of decoded clips, ``batch_size`` per forward pass; ClipError names the first unusable clip."""
        encoder = self.encoder()
        samples = [self._samples(raw, encoder) for raw in raws]
        states = encoder.hidden_states(samples, self.params.batch_size)
        expected = self.output_shape()
        out = []
        for raw, clip_states in zip(raws, states):
            clip_id, where = _names(raw)
            array = np.ascontiguousarray(self.reduce(clip_states), dtype=np.float32)
            if not np.isfinite(array).all():
                raise ClipError(clip_id, f"{where}: {self.name} gave {int((~np.isfinite(array)).sum())} non-finite "
                                         f"values")
            if array.ndim != len(expected) or any(e is not None and e != s for e, s in zip(expected, array.shape)):
                raise ClipError(clip_id, f"{where}: {self.name} gave shape {array.shape}, declared {expected}")
            out.append(array)
        return out

    def _samples(self, raw: AudioSignal, encoder: Any) -> np.ndarray:
        clip_id, where = _names(raw)
        samples = np.asarray(raw.samples, dtype=np.float32)
        if samples.ndim != 1 or samples.size == 0:
            raise ClipError(clip_id, f"{where}: expected non-empty mono samples, got shape {samples.shape}")
        if raw.sample_rate != encoder.sample_rate:
            samples = resample(samples, raw.sample_rate, encoder.sample_rate).astype(np.float32)
        if encoder.frames(samples.size) < 1:
            raise ClipError(clip_id, f"{where}: {samples.size / encoder.sample_rate * 1000:.1f} ms of audio is "
                                     f"shorter than one frame of {self.params.checkpoint}'s front end")
        return samples

    def reduce(self, states: np.ndarray) -> np.ndarray:
        """This plugin's output from one clip's ``[n_hidden_states, frames, width]`` hidden states."""
        raise NotImplementedError


def _names(raw: AudioSignal) -> tuple[str, str]:
    clip_id = getattr(raw, "clip_id", "<unknown clip>")
    return clip_id, getattr(raw, "path", "") or clip_id


def _layer_frames(states: np.ndarray, layer: int | str) -> np.ndarray:
    """``[frames, width]`` of one layer, or the average over layers for ``"average"``."""
    return states.mean(axis=0) if layer == "average" else states[layer]


class SslEncoder(_SslExtractor):
    """Clip vector: the mean over the clip's frames of one hidden state, of their average, or of each (concatenated)."""

    name = "ssl-encoder"
    version = "1.0"
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    class Params(SslParams):
        layer: int | Literal["average", "all"] = Field(
            -1, description="hidden state to pool (0: the front end, -1: the last layer), 'average' of all of them, "
                            "or 'all' of them concatenated (width x hidden states)")

    def output_shape(self) -> tuple[int | None, ...]:
        info = self.info()
        return (info.width * (info.n_hidden_states if self.params.layer == "all" else 1),)

    def reduce(self, states: np.ndarray) -> np.ndarray:
        if self.params.layer == "all":
            return states.mean(axis=1).reshape(-1)
        return _layer_frames(states, self.params.layer).mean(axis=0)


class SslEncoderSequence(_SslExtractor):
    """Frame sequence ``[T, D]`` of one hidden state (or of their average), about 50 frames per second."""

    name = "ssl-encoder-sequence"
    version = "1.0"
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE

    class Params(SslParams):
        layer: int | Literal["average"] = Field(
            -1, description="hidden state (0: the front end, -1: the last layer) or 'average' of all of them")

    def output_shape(self) -> tuple[int | None, ...]:
        return (None, self.info().width)

    def reduce(self, states: np.ndarray) -> np.ndarray:
        return _layer_frames(states, self.params.layer)


class SslEncoderLayers(_SslExtractor):
    """Every hidden state, frames first: ``[T, L, D]`` (``pool = "mean"``: ``[1, L, D]``), for ``superb``."""

    name = "ssl-encoder-layers"
    version = "1.0"
    output_kind: ClassVar[OutputKind] = OutputKind.IMAGE_STACK

    class Params(SslParams):
        pool: Literal["none", "mean"] = Field(
            "none", description="'mean': one frame, each layer's mean over the clip's frames (small; mean pooling "
                                "only); 'none': every frame (needed for attention pooling)")

    def output_shape(self) -> tuple[int | None, ...]:
        info = self.info()
        return (1 if self.params.pool == "mean" else None, info.n_hidden_states, info.width)

    def reduce(self, states: np.ndarray) -> np.ndarray:
        frames_first = states.transpose(1, 0, 2)
        return frames_first.mean(axis=0, keepdims=True) if self.params.pool == "mean" else frames_first


@hookimpl
def avbench_plugins() -> list[type]:
    return [SslEncoder, SslEncoderSequence, SslEncoderLayers]
