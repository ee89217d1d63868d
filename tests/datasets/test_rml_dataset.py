"""The rml reader: subject and language folders, emotion codes in file names, configurable patterns."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest
from pydantic import ValidationError

from avbench.contract import DatasetError
from avbench_plugins.datasets.naming.rml_names import RmlPathError, parse_rml_path
from avbench_plugins.datasets.rml import Rml


def test_subject_language_emotion_and_take_come_from_the_path():
    name = parse_rml_path(PurePath("rml-2/s6/Mandarin/di12.avi"))
    assert (name.subject, name.language, name.emotion, name.take) == (6, "mandarin", "di", 12)
    assert name.clip_id == "s6-mandarin-di12"


def test_path_without_subject_folder_or_emotion_code_names_both_problems():
    with pytest.raises(RmlPathError) as err:
        parse_rml_path(PurePath("videos/xx3.avi"))
    assert "subject folder" in str(err.value) and "emotion code 'xx'" in str(err.value)


def test_clips_from_flat_and_language_layouts(make_tree):
    root = make_tree(["rml-1/s1/an1.avi", "rml-1/s1/ha2.avi", "rml-2/s7/english/sa1.avi",
                      "rml-2/s7/persian/su3.avi"])
    clips = Rml().clips(root)
    assert [c.clip_id for c in clips] == ["s1-an1", "s1-ha2", "s7-english-sa1", "s7-persian-su3"]
    assert [c.label for c in clips] == ["angry", "happy", "sad", "surprised"]
    assert [c.subject for c in clips] == ["s1", "s1", "s7", "s7"]
    assert [c.meta["language"] for c in clips] == [None, None, "english", "persian"]
    assert all(c.media["audio"] == c.media["video"] for c in clips)


def test_extracted_audio_joins_its_video_and_is_preferred_for_audio(make_tree):
    root = make_tree(["video/s2/fe4.avi", "audio/s2/fe4.wav"])
    (clip,) = Rml().clips(root)
    assert Path(clip.media["audio"]).suffix == ".wav" and Path(clip.media["video"]).suffix == ".avi"


def test_class_subject_and_language_filters(make_tree):
    root = make_tree(["s1/english/an1.avi", "s1/urdu/an1.avi", "s2/english/di1.avi", "s3/ha1.avi"])
    assert {c.label for c in Rml(classes=["disgust"]).clips(root)} == {"disgust"}
    assert {c.subject for c in Rml(subjects=[1, 3]).clips(root)} == {"s1", "s3"}
    assert [c.clip_id for c in Rml(languages=["Urdu"]).clips(root)] == ["s1-urdu-an1"]


def test_patterns_are_parameters_for_other_copies(make_tree):
    root = make_tree(["Subject_04/angry_07.mp4"])
    rml = Rml(subject_pattern=r"^subject_(?P<subject>\d+)$", file_pattern=r"^(?P<emotion>[a-z]+)_(?P<take>\d+)$",
              emotion_codes={"angry": "angry"})
    (clip,) = rml.clips(root)
    assert (clip.subject, clip.label, clip.meta["take"]) == ("s4", "angry", 7)


def test_patterns_without_their_named_groups_are_refused():
    with pytest.raises(ValidationError, match="take"):
        Rml(file_pattern=r"^(?P<emotion>[a-z]+)\d+$")
    with pytest.raises(ValidationError, match="neutral"):
        Rml(emotion_codes={"ne": "neutral"})


def test_every_unreadable_file_is_listed_and_the_good_files_still_load(make_tree):
    root = make_tree(["s1/an1.avi", "s1/xx1.avi", "loose/ha1.avi", "s2/readme.avi"])
    dataset = Rml()
    assert [c.label for c in dataset.clips(root)] == ["angry"]
    joined = "\n".join(dataset.problems)
    assert len(dataset.problems) == 3
    assert "s1/xx1.avi" in joined and "loose/ha1.avi" in joined and "s2/readme.avi" in joined


def test_missing_root_names_the_expected_layout_and_variable(tmp_path):
    with pytest.raises(DatasetError, match="(?s)s1/an1.avi.*AVBENCH_RML_ROOT"):
        Rml().clips(tmp_path / "absent")
