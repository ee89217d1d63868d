"""The crema-d reader: names, demographics, joining audio and video, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from avbench.contract import DatasetError
from avbench_plugins.datasets.crema_d import CremaD
from avbench_plugins.datasets.naming.crema_d_names import CremaDNameError, parse_crema_d_name

DEMOGRAPHICS = ('"ActorID","Age","Sex","Race","Ethnicity"\n'
                '1001,51,"Male","Caucasian","Not Hispanic"\n'
                '1002,21,"Female","Caucasian","Not Hispanic"\n')


def test_name_fields_map_to_actor_sentence_label_and_level():
    name = parse_crema_d_name("1001_DFA_ANG_XX")
    assert (name.actor, name.sentence, name.label, name.level) == (1001, "DFA", "angry", "XX")
    assert name.clip_id == "1001_DFA_ANG_XX" and name.subject == "1001"


@pytest.mark.parametrize("code,label", [("ANG", "angry"), ("DIS", "disgust"), ("FEA", "fearful"),
                                        ("HAP", "happy"), ("NEU", "neutral"), ("SAD", "sad")])
def test_emotion_codes_map_to_canonical_labels(code, label):
    assert parse_crema_d_name(f"1050_IEO_{code}_HI").label == label


def test_every_wrong_field_of_a_name_is_named():
    with pytest.raises(CremaDNameError) as err:
        parse_crema_d_name("1000_ABC_JOY_ZZ")
    message = str(err.value)
    for part in ("actor '1000'", "sentence 'ABC'", "emotion 'JOY'", "level 'ZZ'"):
        assert part in message


def test_audio_and_video_of_a_take_join_by_stem_and_gender_comes_from_demographics(make_tree):
    root = make_tree(["AudioWAV/1001_DFA_ANG_XX.wav", "VideoFlash/1001_DFA_ANG_XX.flv",
                      "AudioWAV/1002_IEO_HAP_HI.wav", "VideoFlash/1002_IEO_HAP_HI.flv"])
    (root / "VideoDemographics.csv").write_text(DEMOGRAPHICS)
    first, second = CremaD().clips(root)
    assert first.clip_id == "1001_DFA_ANG_XX" and first.subject == "1001" and first.label == "angry"
    assert Path(first.media["audio"]).suffix == ".wav" and Path(first.media["video"]).suffix == ".flv"
    assert first.meta["gender"] == "male" and first.meta["age"] == 51
    assert second.meta["gender"] == "female"
    assert second.meta["level"] == "HI" and second.meta["intensity"] == "high"


def test_gender_is_unknown_without_the_demographics_table(make_tree, monkeypatch):
    monkeypatch.delenv("AVBENCH_CREMA_D_META", raising=False)  # no metadata folder to fall back on
    root = make_tree(["AudioWAV/1001_DFA_ANG_XX.wav"])
    (clip,) = CremaD().clips(root)
    assert clip.meta["gender"] == "unknown"


def test_demographics_table_without_its_columns_is_an_error_naming_it(make_tree):
    root = make_tree(["AudioWAV/1001_DFA_ANG_XX.wav"])
    (root / "VideoDemographics.csv").write_text("Actor,Gender\n1001,Male\n")
    with pytest.raises(DatasetError, match="(?s)VideoDemographics.csv.*ActorID"):
        CremaD().clips(root)


def test_wav_is_preferred_over_mp3_and_video_serves_audio_when_no_audio_file_exists(make_tree):
    root = make_tree(["AudioMP3/1001_DFA_ANG_XX.mp3", "AudioWAV/1001_DFA_ANG_XX.wav",
                      "VideoMP4/1001_DFA_SAD_XX.mp4"])
    angry, sad = CremaD().clips(root)
    assert angry.media["audio"].endswith(".wav") and "video" not in angry.media
    assert sad.media["audio"] == sad.media["video"] and sad.media["video"].endswith(".mp4")
    _, sad_video_only = CremaD(audio_from_video=False).clips(root)
    assert set(sad_video_only.media) == {"video"}


def test_class_actor_level_and_sentence_filters(make_tree):
    root = make_tree(["1001_DFA_ANG_XX.wav", "1001_IEO_ANG_HI.wav", "1002_DFA_SAD_XX.wav", "1003_TSI_NEU_XX.wav"])
    assert [c.label for c in CremaD(classes=["sad", "neutral"]).clips(root)] == ["sad", "neutral"]
    assert {c.subject for c in CremaD(actors=[1001]).clips(root)} == {"1001"}
    assert [c.clip_id for c in CremaD(levels=["HI"]).clips(root)] == ["1001_IEO_ANG_HI"]
    assert [c.clip_id for c in CremaD(sentences=["TSI"]).clips(root)] == ["1003_TSI_NEU_XX"]


def test_surprised_is_not_a_crema_d_class():
    with pytest.raises(ValidationError, match="surprised"):
        CremaD(classes=["surprised"])


def test_every_bad_file_is_listed_and_the_good_takes_still_load(make_tree):
    root = make_tree(["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_DFA_ANGRY_XX.wav",
                      "AudioWAV/1092_DFA_ANG_XX.wav", "AudioWAV/1001-DFA-ANG-XX.wav",
                      "copy/1001_DFA_ANG_XX.wav", "AudioWAV/1002_DFA_SAD_XX.wav"])
    dataset = CremaD()
    clips = dataset.clips(root)
    assert [(c.subject, c.label) for c in clips] == [("1002", "sad")]  # the take with two copies is left out
    joined = "\n".join(dataset.problems)
    assert len(dataset.problems) == 4
    assert "1001_DFA_ANGRY_XX.wav" in joined and "1092_DFA_ANG_XX.wav" in joined
    assert "1001-DFA-ANG-XX.wav" in joined
    assert "2 wav files" in joined and "copy/1001_DFA_ANG_XX.wav" in joined


def test_missing_root_names_the_variable_and_the_data_option(tmp_path):
    with pytest.raises(DatasetError, match="(?s)AVBENCH_CREMA_D_ROOT.*--data crema-d=PATH"):
        CremaD().clips(tmp_path / "absent")
