"""openSMILE functionals of one clip: the shared part of the eGeMAPS and ComParE extractors."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from avbench.contract import OutputKind

from .base import AudioExtractor


class OpenSmileFunctionals(AudioExtractor):
    """One openSMILE feature set's functionals per clip; subclasses name the set (:meth:`feature_set`)."""

    libraries = AudioExtractor.libraries + ("opensmile",)
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._smile: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_smile"] = None  # rebuilt lazily in each worker process
        return state

    def feature_set(self) -> str:
        """The ``opensmile.FeatureSet`` member's name."""
        raise NotImplementedError

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        if self._smile is None:
            import opensmile

            self._smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, self.feature_set()),
                                          feature_level=opensmile.FeatureLevel.Functionals)
        return self._smile.process_signal(samples, sample_rate).to_numpy()[0]
