"""The ased reader: names, folders, each speaker's gender, the real release read whole."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

from avbench_plugins.datasets.ased import Ased
from avbench_plugins.datasets.naming.ased_names import AsedNameError, parse_ased_path


def test_name_fields_give_label_sentence_repetition_gender_and_speaker():
    name = parse_ased_path(PurePosixPath("05Angry/a5-03-01-02-50.wav"))
    assert (name.label, name.sentence, name.repetition, name.gender_code, name.subject) == ("angry", 3, 1, 2, "50")
    assert parse_ased_path(PurePosixPath("04Sad/S4-04-02-01-29.wav")).clip_id == "s4-04-02-01-29"


@pytest.mark.parametrize("path,problem", [("05Angry/a4-03-01-02-50.wav", "folder number 5, not 4"),
                                          ("04Sad/a5-03-01-02-50.wav", "in folder '04Sad'"),
                                          ("05Angry/a5-03-01-03-50.wav", "gender '03'"),
                                          ("05Angry/a5-03-01-02-66.wav", "speaker '66'"),
                                          ("05Angry/x5-03-01-02-50.wav", "emotion 'x'"),
                                          ("05Angry/angry.wav", "does not match")])
def test_every_wrong_field_is_named(path, problem):
    with pytest.raises(AsedNameError, match=problem):
        parse_ased_path(PurePosixPath(path))


def test_a_speaker_gets_the_gender_most_of_their_files_name(make_tree):
    root = make_tree(["01Neutral/n1-01-01-01-09.wav", "02Fearful/f2-01-01-01-09.wav", "02Fearful/f2-01-02-02-09.wav",
                      "05Angry/a5-01-01-02-10.wav"])
    clips = Ased().clips(root)
    assert {c.clip_id: (c.subject, c.meta["gender"]) for c in clips} == {
        "n1-01-01-01-09": ("09", "female"), "f2-01-01-01-09": ("09", "female"), "f2-01-02-02-09": ("09", "female"),
        "a5-01-01-02-10": ("10", "male")}


def test_a_misnamed_file_is_a_problem_and_the_rest_is_read(make_tree):
    root = make_tree(["01Neutral/n1-01-01-01-01.wav", "01Neutral/a5-01-01-01-01.wav"])
    dataset = Ased()
    (clip,) = dataset.clips(root)
    assert clip.label == "neutral"
    assert len(dataset.problems) == 1 and "01Neutral/a5-01-01-01-01.wav" in dataset.problems[0]


@pytest.mark.skipif(not os.environ.get("AVBENCH_ASED_ROOT"),
                    reason="AVBENCH_ASED_ROOT is not set (the ASED v1 release, e.g. a checkout of Ethio2021/ASED_V1)")
def test_the_real_release_gives_every_clip_speaker_label_and_gender():
    dataset = Ased()
    clips = dataset.clips(Path(os.environ["AVBENCH_ASED_ROOT"]))
    assert len(clips) == Ased.clip_count == 2474 and list(dataset.problems) == []
    assert Counter(c.label for c in clips) == {"neutral": 522, "fearful": 510, "happy": 486, "sad": 470, "angry": 486}
    genders = {c.subject: c.meta["gender"] for c in clips}
    assert len(genders) == Ased.speakers == 65
    assert Counter(genders.values()) == {"female": 25, "male": 40}  # as the release's README says
