"""``ased``: the Amharic Speech Emotional Dataset v1 (Retta et al. 2022), 65 speakers, 5 emotions, 16 kHz.

Layout followed (the public release, ``Ethio2021/ASED_V1``)::

    <root>/01Neutral/n1-01-01-01-01.wav ... <root>/05Angry/a5-07-02-02-65.wav

Everything is in the file name (see :mod:`.naming.ased_names`): emotion, sentence, repetition,
gender and speaker. A speaker's gender is the one most of their files name (five speakers
have one file that says otherwise). Recordings were kept when at least five of eight judges
accepted them: the label is the intended emotion, confirmed by the judges.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import AUDIO_EXTENSIONS_HELP, CLASSES_HELP, Exclude, Extensions, each_known, known_classes
from .naming.ased_names import GENDERS, LABELS, SPEAKERS, AsedNameError, parse_ased_path
from .tree import no_clips_error, nothing_usable_error, read_named_takes, require_root

ENV_VAR = "AVBENCH_ASED_ROOT"
LAYOUT = "<NN><Emotion>/<e><n>-<sentence>-<repetition>-<gender>-<speaker>.wav (e.g. 05Angry/a5-03-01-02-50.wav)"


class AsedParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "ASED")] = Field([], description=CLASSES_HELP)
    speakers: Annotated[list[int], each_known(SPEAKERS, "ASED speakers are 1-65")] = Field(
        [], description="speaker numbers 1-65; empty = all")
    audio_extensions: Extensions = Field(["wav", "flac"], min_length=1, description=AUDIO_EXTENSIONS_HELP)
    exclude: Exclude = []


def speaker_genders(names: list) -> dict[int, str]:
    """Each speaker's gender: the one most of their file names give (ties: the lower code)."""
    votes: dict[int, Counter] = {}
    for name in names:
        votes.setdefault(name.speaker, Counter())[name.gender_code] += 1
    return {s: GENDERS[min(c, key=lambda g: (-c[g], g))] for s, c in votes.items()}


class Ased(Dataset):
    """ASED v1: 65 Amharic speakers (25 female, 40 male), 5 emotions, 2474 wav clips at 16 kHz."""

    name = "ased"
    version = "1.0"
    cites = ('Retta et al. 2022, "A New Amharic Speech Emotion Dataset and Classification Benchmark", '
             'ACM Transactions on Asian and Low-Resource Language Information Processing')
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio",)
    languages: ClassVar[tuple[str, ...]] = ("am",)
    speakers: ClassVar[int | None] = 65
    clip_count: ClassVar[int | None] = 2474
    licence: ClassVar[str] = "none stated (research use)"
    source: ClassVar[str] = "https://github.com/Ethio2021/ASED_V1"
    sample_rate: ClassVar[int | None] = 16000
    label_origin: ClassVar[str] = ("acted; the intended emotion, kept only where at least 5 of 8 judges accepted it "
                                   "(common sentences: 5 of 8 judges named that emotion unprompted)")
    Params = AsedParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny ASED tree for ``avbench check``: speakers 01 (female) and 02 (male) x 5 emotions of wav."""
        from avbench.testing.media import speech_like, write_wav

        root = Path(tmp_dir) / "ased"
        for i, (letter, number, word) in enumerate((("n", 1, "Neutral"), ("f", 2, "Fearful"), ("h", 3, "Happy"),
                                                    ("s", 4, "Sad"), ("a", 5, "Angry"))):
            folder = root / f"{number:02d}{word}"
            folder.mkdir(parents=True)
            for speaker, gender in ((1, 1), (2, 2)):
                write_wav(folder / f"{letter}{number}-01-01-{gender:02d}-{speaker:02d}.wav", speech_like(0.3, seed=i))
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: AsedParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="ASED", layout=LAYOUT, env_var=ENV_VAR, data_name="ased")
        takes, names, self.problems = read_named_takes(root, p.audio_extensions, p.exclude, parse_ased_path,
                                                       AsedNameError)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="ASED", layout=LAYOUT,
                                       extensions=p.audio_extensions, env_var=ENV_VAR, data_name="ased")
        genders = speaker_genders([names[c] for c in takes])
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            if (p.classes and name.label not in p.classes) or (p.speakers and name.speaker not in p.speakers):
                continue
            audio = next(files[e] for e in p.audio_extensions if e in files)
            meta = {"speaker": name.speaker, "gender": genders[name.speaker], "sentence": name.sentence,
                    "repetition": name.repetition}
            clips.append(Clip(clip_id, name.subject, name.label, {"audio": str(audio)}, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Ased]
