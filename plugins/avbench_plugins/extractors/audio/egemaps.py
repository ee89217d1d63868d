"""eGeMAPS functionals (openSMILE): the standard 88 paralinguistic descriptors per clip.

The extended Geneva Minimalistic Acoustic Parameter Set (Eyben et al. 2016) is a
common, interpretable baseline for emotion from voice. openSMILE fills the
functionals of a too-short segment with NaN; those clips become ClipErrors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from avbench import hookimpl

from .base import AudioParams
from .opensmile_functionals import OpenSmileFunctionals

N_FEATURES = {"eGeMAPSv02": 88, "GeMAPSv01b": 62}


class Egemaps(OpenSmileFunctionals):
    """eGeMAPSv02 functionals via opensmile: ``[88]`` (or GeMAPSv01b: ``[62]``)."""

    name = "egemaps"
    version = "1.0"
    cites = ('Eyben et al. 2016, "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for Voice Research and '
             'Affective Computing", IEEE Transactions on Affective Computing 7(2)')

    class Params(AudioParams):
        feature_set: Literal["eGeMAPSv02", "GeMAPSv01b"] = Field(
            "eGeMAPSv02", description="openSMILE functionals set: eGeMAPS v02 (88 features) or GeMAPS v01b (62)")

    def output_shape(self) -> tuple[int | None, ...]:
        return (N_FEATURES[self.params.feature_set],)

    def feature_set(self) -> str:
        return self.params.feature_set


@hookimpl
def avbench_plugins() -> list[type]:
    return [Egemaps]
