"""The savee reader: AudioData/AVIData speaker folders, emotion codes, joining wav and avi, the conformance kit."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest
from pydantic import ValidationError

from avbench.contract import DatasetError
from avbench.testing import check_plugin
from avbench_plugins.datasets.naming.savee_names import SaveePathError, parse_savee_path
from avbench_plugins.datasets.savee import Savee


@pytest.mark.parametrize("stem, label", [("a01", "angry"), ("d02", "disgust"), ("f03", "fearful"), ("h04", "happy"),
                                         ("n30", "neutral"), ("sa05", "sad"), ("su15", "surprised")])
def test_each_emotion_code_maps_to_its_canonical_label(stem, label):
    name = parse_savee_path(PurePath(f"AudioData/JK/{stem}.wav"))
    assert (name.speaker, name.label, name.clip_id) == ("JK", label, f"JK_{stem}")


def test_a_path_with_an_unknown_speaker_and_code_names_both():
    with pytest.raises(SaveePathError) as err:
        parse_savee_path(PurePath("AudioData/XY/x01.wav"))
    assert "folder 'XY'" in str(err.value) and "file name 'x01'" in str(err.value)


def test_wav_and_avi_of_a_take_join_and_the_avi_serves_audio_alone(make_tree):
    root = make_tree(["AudioData/DC/a01.wav", "AVIData/DC/a01.avi", "AVIData/KL/su12.avi", "AudioData/JE/n30.wav"])
    clips = {c.clip_id: c for c in Savee().clips(root)}
    assert sorted(clips) == ["DC_a01", "JE_n30", "KL_su12"]
    both = clips["DC_a01"]
    assert Path(both.media["audio"]).suffix == ".wav" and Path(both.media["video"]).suffix == ".avi"
    assert (both.subject, both.label, both.meta["gender"], both.meta["sentence"]) == ("DC", "angry", "male", 1)
    assert clips["KL_su12"].media["audio"] == clips["KL_su12"].media["video"]
    assert set(Savee(audio_from_video=False).clips(root)[-1].media) == {"video"}
    assert [c.clip_id for c in Savee(require=["video"]).clips(root)] == ["DC_a01", "KL_su12"]


def test_class_and_speaker_filters(make_tree):
    root = make_tree(["AudioData/DC/a01.wav", "AudioData/DC/sa01.wav", "AudioData/JK/sa02.wav"])
    assert [c.clip_id for c in Savee(classes=["sad"]).clips(root)] == ["DC_sa01", "JK_sa02"]
    assert [c.clip_id for c in Savee(speakers=["JK"]).clips(root)] == ["JK_sa02"]
    with pytest.raises(ValidationError, match="calm"):
        Savee(classes=["calm"])


def test_bad_files_are_listed_and_the_good_takes_still_load(make_tree):
    root = make_tree(["AudioData/DC/a01.wav", "AudioData/DC/a1.wav", "AudioData/XX/h01.wav",
                      "AudioData/DC/readme.wav"])
    dataset = Savee()
    assert [c.clip_id for c in dataset.clips(root)] == ["DC_a01"]
    joined = "\n".join(dataset.problems)
    assert len(dataset.problems) == 3
    assert "AudioData/DC/a1.wav" in joined and "AudioData/XX/h01.wav" in joined and "readme" in joined


def test_missing_root_names_the_layout_and_variable(tmp_path):
    with pytest.raises(DatasetError, match="(?s)AudioData/<speaker>.*AVBENCH_SAVEE_ROOT"):
        Savee().clips(tmp_path / "absent")


def test_savee_passes_every_conformance_check():
    results = check_plugin(Savee)
    assert [r.line() for r in results if r.status != "passed"] == []
    assert len(results) == 11
