"""ComParE 2016 functionals (openSMILE): the 6373 brute-force paralinguistic descriptors per clip.

The Interspeech 2016 Computational Paralinguistics Challenge set (Schuller et al.
2016): 65 low-level descriptors (loudness, spectral, MFCC, voicing) and their deltas,
each summarised by many functionals. Large and redundant by design, it is the usual
"strong classical" baseline beside the 88 eGeMAPS features; a linear SVM on
standardised features is its customary model. Too-short clips give NaN functionals,
which the base class turns into ClipErrors.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import AudioExtractor, AudioParams

N_FEATURES = 6373


class Compare2016(AudioExtractor):
    """ComParE 2016 functionals via opensmile: ``[6373]`` per clip."""

    name = "compare2016"
    version = "1.0"
    cites = ('Schuller et al. 2016, "The INTERSPEECH 2016 Computational Paralinguistics Challenge: Deception, '
             'Sincerity & Native Language", Proc. Interspeech; features by openSMILE (Eyben et al. 2010)')
    libraries = AudioExtractor.libraries + ("opensmile",)
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR
    Params: ClassVar[type[AudioParams]] = AudioParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._smile: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_smile"] = None  # rebuilt lazily in each worker process
        return state

    def output_shape(self) -> tuple[int | None, ...]:
        return (N_FEATURES,)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        if self._smile is None:
            import opensmile

            self._smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                                          feature_level=opensmile.FeatureLevel.Functionals)
        return self._smile.process_signal(samples, sample_rate).to_numpy()[0]


@hookimpl
def avbench_plugins() -> list[type]:
    return [Compare2016]
