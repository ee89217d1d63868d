"""Feature extractors and augmenters: raw media in, one array per clip out."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

import numpy as np

from .base import Plugin, PluginKind
from .dataset import Clip


class Modality(str, Enum):
    AUDIO = "audio"
    VIDEO = "video"


class OutputKind(str, Enum):
    """Shape family of an extractor's output for one clip."""

    VECTOR = "vector"  # [D]
    SEQUENCE = "sequence"  # [T, D]
    IMAGE_STACK = "image_stack"  # [T, H, W]
    SPECTROGRAM = "spectrogram"  # [F, T]


OUTPUT_NDIM = {
    OutputKind.VECTOR: 1,
    OutputKind.SEQUENCE: 2,
    OutputKind.IMAGE_STACK: 3,
    OutputKind.SPECTROGRAM: 2,
}

#: Axes whose size must be the same for every clip of one extractor setting (the others may vary, e.g. frames).
FIXED_AXES = {
    OutputKind.VECTOR: (0,),
    OutputKind.SEQUENCE: (1,),
    OutputKind.IMAGE_STACK: (1, 2),
    OutputKind.SPECTROGRAM: (0,),
}


class Extractor(Plugin):
    """Turns one clip into one float32 array of the declared ``output_kind``.

    Extraction is split in two so augmentation can sit between the steps:
    :meth:`load` decodes the clip's media (an :class:`~avbench.contract.media.AudioSignal`
    or :class:`~avbench.contract.media.VideoFrames`, or anything the extractor
    needs), :meth:`features` computes the array. Raise
    :class:`~avbench.contract.errors.ClipError` for a clip that cannot be used.

    ``avbench check`` feeds generated media (speech-like audio, a face video, edge
    cases); an extractor whose input is not media (a table keyed by clip id) gives
    its own everyday inputs with a classmethod ``conformance_clips(tmp_dir) -> list[Clip]``
    and, when they need files it wrote there, ``conformance_params(tmp_dir) -> dict``.

    The runner checks every output before it is cached or used: the rank ``output_kind``
    declares, non-empty, finite, the shape :meth:`output_shape` declares (if any), and, at
    fold time, the same size on the :data:`FIXED_AXES` of ``output_kind`` for every clip.
    A failure is recorded against the clip (at extraction) or the fold, naming the clip.
    """

    kind: ClassVar[PluginKind] = PluginKind.EXTRACTOR
    modality: ClassVar[Modality]
    output_kind: ClassVar[OutputKind]
    #: False for an extractor that reads no media file of its modality (a table keyed by clip id): the runner
    #: then runs it on a dataset copy that lacks that modality instead of skipping it as not configured
    reads_media: ClassVar[bool] = True

    def load(self, clip: Clip) -> Any:
        """Decode the clip's media for this modality."""
        raise NotImplementedError

    def features(self, raw: Any) -> np.ndarray:
        """Compute the feature array from decoded media."""
        raise NotImplementedError

    def decoding(self) -> Any:
        """A hashable value equal for every setting whose :meth:`load` gives the same media for a clip, or None.

        The runner decodes a clip once for all the settings of one extraction task with equal values
        (each gets its own copy). Default None: this setting always decodes for itself.
        """
        return None

    def output_shape(self) -> tuple[int | None, ...] | None:
        """The shape every output of this setting has, ``None`` for an axis that varies per clip (frames).

        A method rather than a class attribute because the shape usually follows from the
        parameters (``(None, n_mfcc)``). Default: ``None``, nothing declared beyond ``output_kind``.
        An output of another shape is a clip error naming the clip, the extractor and both shapes.
        """
        return None

    def extract(self, clip: Clip) -> np.ndarray:
        """Features of one clip: ``features(load(clip))``."""
        return self.features(self.load(clip))

    def diagnostics(self, clip: Clip) -> dict[str, Any]:
        """Per-clip counts worth reporting after extraction (frames without a face, padded frames...).

        Integer values are summed per experiment and shown in the leaderboard; default: none.
        """
        return {}


class Augmenter(Plugin):
    """Makes training-only variants of decoded media (noise, pitch shift, ...).

    The runner applies it to clips of training folds only: ``copies`` variants
    per clip, more for minority classes when ``balance`` is set (see the
    augmenter's parameters). It must be deterministic for a given ``rng``.
    """

    kind: ClassVar[PluginKind] = PluginKind.AUGMENTER
    modality: ClassVar[Modality]
    stochastic: ClassVar[bool] = True  # its copies follow the fold's seed

    def augment(self, raw: Any, rng: np.random.Generator) -> Any:
        """One augmented variant of ``raw``, of the same type."""
        raise NotImplementedError

    def copies_per_clip(self, labels: np.ndarray) -> np.ndarray:
        """How many augmented variants each training clip gets (default: ``params.copies`` if set, else 1)."""
        return np.full(len(labels), int(getattr(self.params, "copies", 1)), dtype=int)
