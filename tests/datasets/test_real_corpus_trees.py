"""The crema-d and savee readers on the real releases: every clip, label, speaker and gender."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from avbench.contract import RunContext
from avbench_plugins.datasets.crema_d import CremaD
from avbench_plugins.datasets.savee import Savee

CREMA_D = os.environ.get("AVBENCH_CREMA_D_ROOT")
CREMA_D_META = os.environ.get("AVBENCH_CREMA_D_META")
SAVEE = os.environ.get("AVBENCH_SAVEE_ROOT")


@pytest.mark.skipif(not (CREMA_D and CREMA_D_META), reason="AVBENCH_CREMA_D_ROOT (the AudioWAV release) and "
                    "AVBENCH_CREMA_D_META (the official metadata: VideoDemographics.csv, summaryTable.csv) are not both set")
def test_crema_d_real_tree_gives_all_7442_clips_of_91_actors_with_their_sex():
    dataset = CremaD()
    dataset.setup(RunContext())
    clips = dataset.clips(Path(CREMA_D))
    assert len(clips) == CremaD.clip_count == 7442 and list(dataset.problems) == []
    assert Counter(c.label for c in clips) == {"angry": 1271, "disgust": 1271, "fearful": 1271, "happy": 1271,
                                              "sad": 1271, "neutral": 1087}
    genders = {c.subject: c.meta["gender"] for c in clips}
    assert len(genders) == CremaD.speakers == 91
    assert Counter(genders.values()) == {"male": 48, "female": 43}
    assert all(c.meta["age"] is not None and c.meta["race"] for c in clips)


@pytest.mark.skipif(not (CREMA_D and CREMA_D_META), reason="AVBENCH_CREMA_D_ROOT and AVBENCH_CREMA_D_META are not both set")
def test_crema_d_voice_crowd_labels_leave_out_ties_and_keep_the_intended_label_in_meta():
    dataset = CremaD(label_target="voice")
    dataset.setup(RunContext())
    clips = dataset.clips(Path(CREMA_D))
    assert 6500 < len(clips) < 7442  # the tied votes (such as N:S) are left out
    assert Counter(c.label for c in clips)["neutral"] > 3000  # listeners call many acted clips neutral
    assert sum(c.label != c.meta["intended"] for c in clips) > 1000


@pytest.mark.skipif(not SAVEE, reason="AVBENCH_SAVEE_ROOT is not set (SAVEE AudioData/<speaker>/<code><nn>.flac)")
def test_savee_real_tree_gives_all_480_clips_of_4_male_speakers():
    dataset = Savee()
    clips = dataset.clips(Path(SAVEE))
    assert len(clips) == Savee.clip_count == 480 and list(dataset.problems) == []
    assert Counter(c.label for c in clips) == {"angry": 60, "disgust": 60, "fearful": 60, "happy": 60, "sad": 60,
                                              "surprised": 60, "neutral": 120}
    assert Counter(c.subject for c in clips) == {"DC": 120, "JE": 120, "JK": 120, "KL": 120}
    assert {c.meta["gender"] for c in clips} == {"male"}
    assert all(c.media["audio"].endswith(".flac") for c in clips)
