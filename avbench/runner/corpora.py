"""Clips of an experiment: one dataset as it is, or several namespaced and mapped onto a shared class set.

A multi-dataset experiment's clips get ids ``<dataset>/<clip id>`` and subjects ``<dataset>/<subject>`` so
that corpora never collide (two corpora may both have an actor ``01``), and ``meta["corpus"]`` names their
dataset; protocols split by corpus from that. Extractors and the feature cache still see each clip as its
dataset gave it (:func:`source_clip`), so features are shared with single-dataset experiments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from avbench.config.schema import ExperimentConfig
from avbench.contract import Clip

SOURCE_ID = "source_clip_id"
SOURCE_SUBJECT = "source_subject"
SOURCE_LABEL = "source_label"


def experiment_clips(exp: ExperimentConfig, clips_by_dataset: Mapping[str, Sequence[Clip]]) -> list[Clip]:
    """Every clip the experiment reads, labels mapped (a label mapped to ``""`` drops its clips)."""
    out: list[Clip] = []
    for name in exp.corpora:
        for clip in clips_by_dataset.get(name, ()):
            label = exp.mapped_label(name, clip.label)
            if label is None:
                continue
            if not exp.multi_corpus:
                out.append(clip if label == clip.label else
                           replace(clip, label=label, meta={**clip.meta, SOURCE_LABEL: clip.label}))
                continue
            out.append(Clip(f"{name}/{clip.clip_id}", f"{name}/{clip.subject}", label, clip.media,
                            {**clip.meta, "corpus": name, SOURCE_ID: clip.clip_id, SOURCE_SUBJECT: clip.subject,
                             SOURCE_LABEL: clip.label}))
    return out


def source_clip(clip: Clip) -> Clip:
    """The clip as its dataset plugin gave it: what extractors read and feature keys name."""
    if SOURCE_ID not in clip.meta:
        return clip
    meta = {k: v for k, v in clip.meta.items() if k not in (SOURCE_ID, SOURCE_SUBJECT, SOURCE_LABEL, "corpus")}
    return Clip(clip.meta[SOURCE_ID], clip.meta.get(SOURCE_SUBJECT, clip.subject),
                clip.meta.get(SOURCE_LABEL, clip.label), clip.media, meta)


def source_id(clip: Clip) -> str:
    """The clip id its dataset gave it (the id in its feature key)."""
    return str(clip.meta.get(SOURCE_ID, clip.clip_id))


def class_coverage(clips: Mapping[str, Clip], train: Sequence[str], test: Sequence[str]) -> dict[str, list[str]]:
    """Which classes have clips on each side of a fold."""
    return {"train": sorted({clips[c].label for c in train if c in clips}),
            "test": sorted({clips[c].label for c in test if c in clips})}
