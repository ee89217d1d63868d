"""ComParE 2016 functionals (openSMILE): the 6373 brute-force paralinguistic descriptors per clip.

The Interspeech 2016 Computational Paralinguistics Challenge set (Schuller et al.
2016): 65 low-level descriptors (loudness, spectral, MFCC, voicing) and their deltas,
each summarised by many functionals. Large and redundant by design, it is the usual
"strong classical" baseline beside the 88 eGeMAPS features; a linear SVM on
standardised features is its customary model. Too-short clips give NaN functionals,
which the base class turns into ClipErrors.
"""

from __future__ import annotations

from typing import ClassVar

from avbench import hookimpl

from .base import AudioParams
from .opensmile_functionals import OpenSmileFunctionals

N_FEATURES = 6373


class Compare2016(OpenSmileFunctionals):
    """ComParE 2016 functionals via opensmile: ``[6373]`` per clip."""

    name = "compare2016"
    version = "1.0"
    cites = ('Schuller et al. 2016, "The INTERSPEECH 2016 Computational Paralinguistics Challenge: Deception, '
             'Sincerity & Native Language", Proc. Interspeech; features by openSMILE (Eyben et al. 2010)')
    Params: ClassVar[type[AudioParams]] = AudioParams

    def output_shape(self) -> tuple[int | None, ...]:
        return (N_FEATURES,)

    def feature_set(self) -> str:
        return "ComParE_2016"


@hookimpl
def avbench_plugins() -> list[type]:
    return [Compare2016]
