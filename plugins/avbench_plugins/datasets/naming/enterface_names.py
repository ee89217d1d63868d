"""eNTERFACE'05 paths: ``subject N/<emotion>/sentence K/sN_<code>_K.avi``.

Martin, Kotsia, Macq & Pitas, "The eNTERFACE'05 Audio-Visual Emotion Database" (ICDE Workshops
2006): subjects reading five English sentences per emotion, six emotions (anger, disgust, fear,
happiness, sadness, surprise), one audio-visual avi per take. The distributed archive nests
``subject N/<emotion>/sentence K/`` with files named ``sN_<code>_K.avi``, code an, di, fe, ha, sa,
su. Both the folders and the file name say the subject, emotion and sentence; a file where they
disagree is reported rather than guessed at. Names are read case-insensitively, and folder
names may use ``_`` or no separator (``subject_3``, ``sentence1``), as copies differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from avbench.contract import canonical

#: Emotion folder names and file-name codes -> canonical names.
FOLDERS: dict[str, str] = {word: canonical(word) for word in
                           ("anger", "disgust", "fear", "happiness", "sadness", "surprise")}
CODES: dict[str, str] = {word[:2]: label for word, label in FOLDERS.items()}
LABELS: tuple[str, ...] = ("happy", "sad", "angry", "fearful", "disgust", "surprised")
EXPECTED = "subject N/<emotion>/sentence K/sN_<code>_K.avi, e.g. subject 1/anger/sentence 1/s1_an_1.avi"
_SUBJECT = re.compile(r"^subject[ _]?(?P<n>\d+)$", re.IGNORECASE)
_SENTENCE = re.compile(r"^sentence[ _]?(?P<k>\d+)$", re.IGNORECASE)
_FILE = re.compile(r"^s(?P<n>\d+)_(?P<code>[a-z]{2})_(?P<k>\d+)$", re.IGNORECASE)


class EnterfacePathError(ValueError):
    """A path that is not an eNTERFACE'05 take; the message says every part that is wrong."""


@dataclass(frozen=True, order=True)
class EnterfaceName:
    subject: int
    code: str       # an, di, fe, ha, sa, su
    sentence: int

    @property
    def clip_id(self) -> str:
        return f"s{self.subject}_{self.code}_{self.sentence}"

    @property
    def label(self) -> str:
        return CODES[self.code]


def parse_enterface_path(relative_path: PurePath) -> EnterfaceName:
    """Subject, emotion and sentence from the last three folders and the file name, which must agree."""
    parts = relative_path.parts
    stem = PurePath(relative_path.name).stem
    if len(parts) < 4:
        raise EnterfacePathError(f"path has no subject/emotion/sentence folders; expected {EXPECTED}")
    subject_folder, emotion_folder, sentence_folder = parts[-4:-1]
    problems = []
    subject, sentence = _SUBJECT.match(subject_folder), _SENTENCE.match(sentence_folder)
    emotion = emotion_folder.lower()
    name = _FILE.match(stem)
    if subject is None:
        problems.append(f"folder {subject_folder!r} is not 'subject N'")
    if emotion not in FOLDERS:
        problems.append(f"folder {emotion_folder!r} is not one of {', '.join(FOLDERS)}")
    if sentence is None:
        problems.append(f"folder {sentence_folder!r} is not 'sentence K'")
    if name is None:
        problems.append(f"file name {stem!r} is not sN_<code>_K")
    elif name["code"].lower() not in CODES:
        problems.append(f"code {name['code']!r} is not one of {', '.join(CODES)}")
    if not problems:
        assert subject and sentence and name
        code = name["code"].lower()
        if int(name["n"]) != int(subject["n"]):
            problems.append(f"file says subject {int(name['n'])}, folder says {int(subject['n'])}")
        if CODES[code] != FOLDERS[emotion]:
            problems.append(f"file code {code!r} is not the folder's emotion {emotion!r}")
        if int(name["k"]) != int(sentence["k"]):
            problems.append(f"file says sentence {int(name['k'])}, folder says {int(sentence['k'])}")
    if problems:
        raise EnterfacePathError("; ".join(problems) + f"; expected {EXPECTED}")
    assert subject and sentence and name
    return EnterfaceName(int(subject["n"]), name["code"].lower(), int(sentence["k"]))
