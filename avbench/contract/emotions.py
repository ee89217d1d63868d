"""avbench's emotion vocabulary: the canonical label names, their aliases, and how a corpus adds its own.

Every dataset names its classes in one vocabulary so that results compare across corpora
and a ``classes = [...]`` list means the same thing everywhere.

Canonical names (:data:`CANONICAL_EMOTIONS`): RAVDESS's eight, ``neutral``, ``calm``,
``happy``, ``sad``, ``angry``, ``fearful``, ``disgust``, ``surprised``; and the further
categories acted and elicited corpora use: ``boredom`` (EmoDB), ``contempt`` (MSP-Podcast,
AFEW-VA), ``frustration`` and ``excited`` (IEMOCAP), ``other`` (an annotated category that
is none of the above).

Aliases (:data:`ALIASES`) are the spellings corpora use for those names in their files and
papers: nouns (``anger``, ``happiness``, ``joy``, ``fear``, ``sadness``, ``surprise``),
adjectives (``disgusted``, ``bored``, ``frustrated``), and the three-letter codes of IEMOCAP
and CREMA-D (``neu``, ``hap``, ``sad``, ``ang``, ``exc``, ``fru``, ``fea``, ``sur``,
``dis``, ``oth``). :func:`canonical` maps any of them, case-insensitively, to its canonical
name; a dataset plugin uses it to read its corpus's codes, never to guess.

A corpus with a category that has no canonical name (EmoDB-style ``anxiety`` beside
``fearful``, a corpus's own ``sarcastic``...) declares it on the dataset class in
``extra_labels``: label -> a one-line description of what the corpus means by it. Such
a label stays the corpus's own (it is not compared with other corpora's labels); the
conformance check accepts labels that are canonical or declared there, and nothing else.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

#: Canonical emotion names -> what they mean; the order is the display order of class lists.
CANONICAL_EMOTIONS: Mapping[str, str] = MappingProxyType({
    "neutral": "no particular emotion",
    "calm": "relaxed, at ease (RAVDESS's calm, distinct from neutral)",
    "happy": "happiness, joy",
    "sad": "sadness",
    "angry": "anger",
    "fearful": "fear",
    "disgust": "disgust",
    "surprised": "surprise",
    "boredom": "boredom",
    "contempt": "contempt",
    "frustration": "frustration",
    "excited": "excitement (IEMOCAP's exc; the standard 4-class task merges it into happy)",
    "other": "an annotated emotion that is none of the listed categories",
})

#: Other spellings -> canonical name (looked up lower-case).
ALIASES: Mapping[str, str] = MappingProxyType({
    # nouns and adjectives
    "anger": "angry", "mad": "angry",
    "happiness": "happy", "joy": "happy",
    "sadness": "sad",
    "fear": "fearful", "afraid": "fearful",
    "disgusted": "disgust",
    "surprise": "surprised",
    "bored": "boredom",
    "contemptuous": "contempt",
    "frustrated": "frustration",
    "excitement": "excited",
    "calmness": "calm",
    # three-letter codes of IEMOCAP and CREMA-D
    "neu": "neutral", "hap": "happy", "ang": "angry", "fea": "fearful", "dis": "disgust",
    "sur": "surprised", "exc": "excited", "fru": "frustration", "oth": "other",
})


class UnknownEmotionError(ValueError):
    """A label that is neither a canonical emotion name nor an alias of one."""


def is_canonical(label: str) -> bool:
    """True when ``label`` is spelled exactly as a canonical emotion name."""
    return label in CANONICAL_EMOTIONS


def canonical(label: str) -> str:
    """The canonical name of ``label`` (a canonical name or an alias, any case, surrounding space ignored).

    Raises :class:`UnknownEmotionError` naming the label and the canonical names otherwise.
    """
    key = str(label).strip().lower()
    if key in CANONICAL_EMOTIONS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    raise UnknownEmotionError(f"emotion label {label!r} is not a canonical name or a known alias; canonical names: "
                              f"{', '.join(CANONICAL_EMOTIONS)} (a corpus's own label goes in its dataset's "
                              "extra_labels, see avbench.contract.emotions)")


def label_problems(labels: tuple[str, ...], extra_labels: Mapping[str, str]) -> list[str]:
    """What is wrong with a dataset's ``labels`` and ``extra_labels``, one line each (empty: all fine).

    Each label must be canonical or declared in ``extra_labels`` with a description; a
    declared label must be one of ``labels``, and must not be a canonical name or an alias of one
    (use the canonical name instead).
    """
    problems = []
    if not labels:
        problems.append("labels is empty: list every emotion the corpus has")
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        problems.append(f"labels repeat: {repeated}")
    undeclared = [label for label in labels if not is_canonical(label) and label not in extra_labels]
    for label in undeclared:
        hint = f"use the canonical name {ALIASES[label.lower()]!r}" if label.lower() in ALIASES else \
            "declare it in extra_labels = {label: description}"
        problems.append(f"label {label!r} is not a canonical emotion name ({', '.join(CANONICAL_EMOTIONS)}); {hint}")
    for label, description in extra_labels.items():
        if label not in labels:
            problems.append(f"extra_labels declares {label!r}, which is not one of labels {list(labels)}")
        key = str(label).strip().lower()
        if key in CANONICAL_EMOTIONS or key in ALIASES:
            problems.append(f"extra_labels declares {label!r}, which is the canonical {canonical(key)!r}: "
                            "use the canonical name in labels instead")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"extra_labels[{label!r}] must be a one-line description of the label, "
                            f"got {description!r}")
    return problems
