"""eGeMAPS functionals (openSMILE): the standard 88 paralinguistic descriptors per clip.

The extended Geneva Minimalistic Acoustic Parameter Set (Eyben et al. 2016) is a
common, interpretable baseline for emotion from voice. openSMILE fills the
functionals of a too-short segment with NaN; those clips become ClipErrors.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import AudioExtractor, AudioParams

N_FEATURES = {"eGeMAPSv02": 88, "GeMAPSv01b": 62}


class Egemaps(AudioExtractor):
    """eGeMAPSv02 functionals via opensmile: ``[88]`` (or GeMAPSv01b: ``[62]``)."""

    name = "egemaps"
    version = "1.0"
    cites = ('Eyben et al. 2016, "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for Voice Research and '
             'Affective Computing", IEEE Transactions on Affective Computing 7(2)')
    libraries = AudioExtractor.libraries + ("opensmile",)
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    class Params(AudioParams):
        feature_set: Literal["eGeMAPSv02", "GeMAPSv01b"] = Field(
            "eGeMAPSv02", description="openSMILE functionals set: eGeMAPS v02 (88 features) or GeMAPS v01b (62)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._smile: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_smile"] = None  # rebuilt lazily in each worker process
        return state

    def output_shape(self) -> tuple[int | None, ...]:
        return (N_FEATURES[self.params.feature_set],)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        if self._smile is None:
            import opensmile

            self._smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, self.params.feature_set),
                                          feature_level=opensmile.FeatureLevel.Functionals)
        return self._smile.process_signal(samples, sample_rate).to_numpy()[0]


@hookimpl
def avbench_plugins() -> list[type]:
    return [Egemaps]
